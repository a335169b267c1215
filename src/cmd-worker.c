/*
 * cmd-worker.c - `benchtop __worker`: the hidden command a harness starts
 * for each isolated worker process (see isolate.h).  Requests arrive on
 * descriptor 3, replies leave on descriptor 4; it is not for people.
 */
#include "config.h"

#include "cli.h"
#include "isolate.h"
#include "util.h"

int cmd_worker(int argc, char **argv, struct bt_ctx *ctx)
{
	BT_UNUSED(argc);
	BT_UNUSED(argv);
	BT_UNUSED(ctx);
	return bt_worker_main(3, 4);
}
