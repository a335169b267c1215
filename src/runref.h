/*
 * runref.h - turning what a user types into a run id.
 *
 *   42            the run with that integer id
 *   @  @~N        the latest run, and the one N before it
 *   tag:NAME      the latest run carrying tag NAME
 *   0193a1f2      a unique prefix (4+ hex digits) of a run's uuid
 *   main HEAD~3   any git revision: the latest run made at that commit
 *
 * An all-digit reference is an id; a hex string is tried as a uuid prefix
 * first and as a commit second.
 */
#ifndef BT_RUNREF_H
#define BT_RUNREF_H

#include <stdint.h>

#include "store.h"

/*
 * Resolve `ref`.  `repo_path` locates the git repository for revisions
 * (NULL: the current directory).  BT_ENOTFOUND when nothing matches,
 * BT_EAMBIGUOUS when a uuid prefix matches several runs.
 */
int bt_runref_resolve(struct bt_store *s, const char *ref, const char *repo_path, int64_t *out);

#endif
