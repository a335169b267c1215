/*
 * track-bench.c - what libbenchtop costs a trainer: log N points (default
 * 1,000,000) in a tight loop through the public API, then finish, and
 * print the time per point in the caller's thread and the time until all
 * of them were stored.  Used by bench/README.md's figures; the database is
 * $BENCHTOP_DB.  Prints the run's uuid last so a script can count points.
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include <benchtop/track.h>

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	long n = argc > 1 ? atol(argv[1]) : 1000000, i;
	double t0, t1, t2;
	benchtop_track *t = benchtop_track_open("track-bench");
	char uuid[40];

	if (!t) {
		fprintf(stderr, "track-bench: %s\n", benchtop_track_error());
		return 1;
	}
	snprintf(uuid, sizeof(uuid), "%s", benchtop_track_run(t));
	t0 = now();
	for (i = 0; i < n; i++)
		benchtop_track_log(t, "train/loss", i, 1.0 / (double)(i + 1));
	t1 = now();
	if (benchtop_track_finish(t, BENCHTOP_TRACK_FINISHED)) {
		fprintf(stderr, "track-bench: %s\n", benchtop_track_error());
		return 1;
	}
	t2 = now();
	printf("points: %ld\n", n);
	printf("caller: %.1f ns/point (%.3f s in benchtop_track_log)\n", (t1 - t0) / n * 1e9,
	       t1 - t0);
	printf("stored: %.3f s from the first point to finish returning\n", t2 - t0);
	printf("run: %s\n", uuid);
	return 0;
}
