/*
 * test-lock.c - job locks: one holder per database and suite x model, a
 * second one refused at once with who holds it, or waiting until the
 * first lets go; locks die with their process.
 */
#include "config.h"

#include <criterion/criterion.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "error.h"
#include "helpers.h"
#include "lock.h"
#include "util.h"

static char *dir, *db;

static void setup(void)
{
	dir = th_tmpdir();
	db = bt_path_join(dir, "bench.db");
}

static void teardown(void)
{
	th_rm_rf(dir);
	free(dir);
	free(db);
}

TestSuite(lock, .init = setup, .fini = teardown);

Test(lock, a_second_holder_is_refused_at_once_with_the_holder_named)
{
	struct bt_lock *a, *b;
	char *want;

	cr_assert_eq(bt_lock_acquire(&a, db, "tabular", "knn", 0, "benchtop run"), 0, "%s",
	             bt_error_last());
	cr_assert_eq(bt_lock_acquire(&b, db, "tabular", "knn", 0, "benchtop check"), BT_EBUSY);
	cr_assert_null(b);
	want = bt_xasprintf("pid %ld on host", (long)getpid());
	cr_assert(strstr(bt_error_last(), want), "%s", bt_error_last());
	cr_assert(strstr(bt_error_last(), "suite 'tabular' with model 'knn'"), "%s",
	          bt_error_last());
	cr_assert(strstr(bt_error_last(), "benchtop run, since"), "%s", bt_error_last());
	free(want);
	cr_assert_eq(bt_status_exit_code(BT_EBUSY), 3);

	/* Other pairs and other databases are independent. */
	cr_assert_eq(bt_lock_acquire(&b, db, "tabular", "logreg", 0, NULL), 0);
	bt_lock_release(b);
	{
		char *other = bt_path_join(dir, "other.db");
		cr_assert_eq(bt_lock_acquire(&b, other, "tabular", "knn", 0, NULL), 0);
		bt_lock_release(b);
		free(other);
	}
	bt_lock_release(a);
	cr_assert_eq(bt_lock_acquire(&b, db, "tabular", "knn", 0, NULL), 0);
	bt_lock_release(b);
}

Test(lock, names_never_collide_and_stay_next_to_the_database)
{
	char *p1 = bt_lock_path(db, "a.b", "c"), *p2 = bt_lock_path(db, "a", "b.c");
	char *p3 = bt_lock_path(db, "../../etc", "x/y"), *prefix = bt_xasprintf("%s.lock.", db);

	cr_assert_str_neq(p1, p2);
	cr_assert(bt_starts_with(p1, prefix), "%s", p1);
	cr_assert(bt_starts_with(p3, prefix), "%s", p3);
	cr_assert_null(strchr(p3 + strlen(prefix), '/'), "%s", p3);
	free(p1);
	free(p2);
	free(p3);
	free(prefix);
}

Test(lock, a_waiter_gets_the_lock_when_the_holder_lets_go)
{
	struct bt_lock *a;
	int ready[2], rc;
	pid_t child;
	char c;

	cr_assert_eq(pipe(ready), 0);
	child = fork();
	cr_assert_geq(child, 0);
	if (child == 0) {
		struct bt_lock *l;
		if (bt_lock_acquire(&l, db, "s", "m", 0, "child") != 0)
			_exit(1);
		if (write(ready[1], "x", 1) != 1)
			_exit(1);
		usleep(300000);
		bt_lock_release(l);
		_exit(0);
	}
	close(ready[1]);
	cr_assert_eq(read(ready[0], &c, 1), 1);
	close(ready[0]);
	cr_assert_eq(bt_lock_acquire(&a, db, "s", "m", 0, NULL), BT_EBUSY);
	cr_assert(strstr(bt_error_last(), "(child, since"), "%s", bt_error_last());
	rc = bt_lock_acquire(&a, db, "s", "m", 60, NULL);
	cr_assert_eq(rc, 0, "%s", bt_error_last());
	bt_lock_release(a);
	waitpid(child, &rc, 0);
	cr_assert_eq(WEXITSTATUS(rc), 0);
}

Test(lock, waiting_gives_up_at_its_deadline)
{
	struct bt_lock *a, *b;

	cr_assert_eq(bt_lock_acquire(&a, db, "s", "m", 0, NULL), 0);
	cr_assert_eq(bt_lock_acquire(&b, db, "s", "m", 0.2, NULL), BT_EBUSY);
	cr_assert(strstr(bt_error_last(), "gave up after 0.2s waiting"), "%s", bt_error_last());
	bt_lock_release(a);
}

Test(lock, a_killed_holder_leaves_no_stale_lock)
{
	struct bt_lock *a;
	int ready[2], st;
	pid_t child;
	char c;

	cr_assert_eq(pipe(ready), 0);
	child = fork();
	cr_assert_geq(child, 0);
	if (child == 0) {
		struct bt_lock *l;
		if (bt_lock_acquire(&l, db, "s", "m", 0, NULL) != 0)
			_exit(1);
		if (write(ready[1], "x", 1) != 1)
			_exit(1);
		pause();
		_exit(0);
	}
	close(ready[1]);
	cr_assert_eq(read(ready[0], &c, 1), 1);
	close(ready[0]);
	cr_assert_eq(bt_lock_acquire(&a, db, "s", "m", 0, NULL), BT_EBUSY);
	kill(child, SIGKILL);
	waitpid(child, &st, 0);
	cr_assert_eq(bt_lock_acquire(&a, db, "s", "m", 0, NULL), 0, "%s", bt_error_last());
	bt_lock_release(a);
}

Test(lock, an_unwritable_directory_is_an_io_error)
{
	struct bt_lock *a;
	char *bad = bt_path_join(dir, "missing/bench.db");

	cr_assert_eq(bt_lock_acquire(&a, bad, "s", "m", 0, NULL), BT_EIO);
	cr_assert(strstr(bt_error_last(), "cannot create lock file"), "%s", bt_error_last());
	free(bad);
}
