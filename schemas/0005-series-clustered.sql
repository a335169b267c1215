-- 0005-series-clustered.sql: store each curve as one ordered range.
--
-- Points are written at a million a second (`benchtop log --jsonl`,
-- libbenchtop) and read as "all points of key K for runs R1..Rn in step
-- order".  A rowid table with an index on (run_id, key, step) paid for two
-- B-trees per point; a table clustered on that key pays for one, reads a
-- curve as one range, and was about 1.45 times faster to fill here
-- (bench/README.md, "Bulk ingestion").
--
-- A step is one point per run and key: logging the same step again
-- replaces its value (the last word wins), as a curve has one value per
-- step.
CREATE TABLE series_clustered (
	run_id    INTEGER NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
	key       TEXT NOT NULL,
	step      INTEGER NOT NULL,
	value     REAL,
	wall_time REAL,
	PRIMARY KEY (run_id, key, step)
) WITHOUT ROWID;
INSERT OR REPLACE INTO series_clustered (run_id, key, step, value, wall_time)
	SELECT run_id, key, step, value, wall_time FROM series ORDER BY rowid;
DROP TABLE series;
ALTER TABLE series_clustered RENAME TO series;
