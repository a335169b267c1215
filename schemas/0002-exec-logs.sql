-- 0002-exec-logs.sql: captured output of tracked commands, and an index
-- shaped for training curves.
--
-- `benchtop exec` stores what its command printed, capped by --max-log:
-- when the output was larger, the first and the last bytes are kept and
-- the middle is dropped (total_bytes says how much there was).  Output
-- captured through a pseudo-terminal has stdout and stderr merged and
-- "\r\n" line ends, exactly as the terminal received it.

CREATE TABLE run_logs (
	run_id      INTEGER PRIMARY KEY REFERENCES runs (id) ON DELETE CASCADE,
	head        BLOB NOT NULL,      -- the first bytes of the output (all of it when it fit)
	tail        BLOB NOT NULL,      -- the last bytes when the middle was dropped, else empty
	total_bytes INTEGER NOT NULL,   -- every byte the command wrote
	max_bytes   INTEGER NOT NULL,   -- the cap in force (--max-log)
	pty         INTEGER NOT NULL    -- 1: captured through a pseudo-terminal
);

-- Curves are read as "all points of key K for runs R1..Rn, in step order"
-- (the dashboard, `show --series`): 0001's series_run_key (run_id, key,
-- step) answers that with one index range per run, so it stays as it is.
-- A covering index (run_id, key, step, value) was measured and rejected:
-- 6% faster on a warm 400,000-point curve, but a third more file and no
-- faster ingestion (bench/README.md).
