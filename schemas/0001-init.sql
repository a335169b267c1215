-- 0001-init.sql: benchtop's results store, first version.
--
-- Times are seconds since the Unix epoch (UTC) as REAL, so that sub-second
-- latencies and heartbeats need no second convention.  Text that came from
-- data, models or users is stored as given and sanitised only on output.
-- Applied inside one transaction by store.c, which then sets user_version.

-- Marks the file as benchtop's (see store.c: a SQLite file without this
-- table is somebody else's and is never modified).
CREATE TABLE benchtop_meta (
	key   TEXT PRIMARY KEY,
	value TEXT NOT NULL
) WITHOUT ROWID;

CREATE TABLE runs (
	id               INTEGER PRIMARY KEY,
	uuid             TEXT NOT NULL UNIQUE,
	kind             TEXT NOT NULL CHECK (kind IN ('eval', 'exec')),
	name             TEXT,
	status           TEXT NOT NULL DEFAULT 'running'
	                 CHECK (status IN ('running', 'finished', 'failed', 'interrupted')),
	status_reason    TEXT,          -- why a run failed or was interrupted
	suite            TEXT,          -- suite name (eval runs)
	suite_version    TEXT,
	suite_hash       TEXT,          -- sha256 over the suite file and its data
	suite_path       TEXT,
	model            TEXT,          -- plugin name (eval) or program (exec)
	model_version    TEXT,
	plugin_sha256    TEXT,
	command          TEXT,          -- JSON array: the argv that made the run
	cwd              TEXT,
	seed             INTEGER,
	git_sha          TEXT,          -- HEAD when the run started; NULL outside a repository
	git_branch       TEXT,          -- NULL when detached or outside a repository
	git_dirty        INTEGER,       -- 1 when tracked files differed from HEAD
	git_patch        TEXT,          -- diff of HEAD against the work tree, when dirty
	git_patch_sha256 TEXT,
	git_workdir      TEXT,
	host             TEXT,
	user             TEXT,
	pid              INTEGER,
	started_at       REAL NOT NULL,
	ended_at         REAL,
	heartbeat_at     REAL,
	progress_done    INTEGER,       -- examples finished, for live progress
	progress_total   INTEGER,
	exit_status      INTEGER,       -- exec runs: exit code, or 128 + signal
	shard_index      INTEGER,       -- --shard I/N; NULL when not sharded
	shard_count      INTEGER,
	shard_group      TEXT,          -- shards of one logical evaluation share it
	note             TEXT
);
CREATE INDEX runs_started ON runs (started_at);
CREATE INDEX runs_status ON runs (status, started_at);
CREATE INDEX runs_git ON runs (git_sha, started_at);
CREATE INDEX runs_suite_model ON runs (suite, model, started_at);

CREATE TABLE params (
	run_id INTEGER NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
	key    TEXT NOT NULL,
	value  TEXT NOT NULL,
	PRIMARY KEY (run_id, key)
) WITHOUT ROWID;
CREATE INDEX params_key ON params (key, value);

CREATE TABLE tags (
	run_id INTEGER NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
	tag    TEXT NOT NULL,
	PRIMARY KEY (run_id, tag)
) WITHOUT ROWID;
CREATE INDEX tags_tag ON tags (tag, run_id);

-- One row per task of an eval run: its type, size and what was measured
-- beyond scalar metrics (labels, confusion matrix as JSON).
CREATE TABLE tasks (
	id         INTEGER PRIMARY KEY,
	run_id     INTEGER NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
	name       TEXT NOT NULL,
	type       TEXT NOT NULL,
	n_examples INTEGER NOT NULL DEFAULT 0,
	n_errors   INTEGER NOT NULL DEFAULT 0,
	labels     TEXT,                -- JSON array of class labels, in matrix order
	confusion  TEXT,                -- JSON array of arrays: rows true, columns predicted
	started_at REAL,
	ended_at   REAL,
	UNIQUE (run_id, name)
);

-- Metric summaries: one value per run, task and metric, with its bootstrap
-- confidence interval, standard error and the number of examples behind it.
-- A rowid table on purpose: rowid order is the order the harness reported
-- the metrics in, which is the order people expect to read them.
CREATE TABLE metrics (
	run_id  INTEGER NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
	task    TEXT NOT NULL,
	metric  TEXT NOT NULL,
	value   REAL,
	ci_low  REAL,
	ci_high REAL,
	stderr  REAL,
	n       INTEGER,
	UNIQUE (run_id, task, metric)
);
CREATE INDEX metrics_metric ON metrics (metric, value);

-- Metric series: training curves and anything else logged against a step.
CREATE TABLE series (
	run_id    INTEGER NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
	key       TEXT NOT NULL,
	step      INTEGER NOT NULL,
	value     REAL,
	wall_time REAL
);
CREATE INDEX series_run_key ON series (run_id, key, step);

-- Per-example samples.  `idx` is the example's position in its task's test
-- split, identical across runs with the same suite hash, so two runs are
-- paired by (task name, idx); `example_id` is what users see.
CREATE TABLE samples (
	task_id    INTEGER NOT NULL REFERENCES tasks (id) ON DELETE CASCADE,
	idx        INTEGER NOT NULL,
	example_id TEXT NOT NULL,
	prediction TEXT,
	target     TEXT,
	correct    INTEGER,             -- 1/0 for tasks with a notion of correct
	score      REAL,                -- per-example score (squared error, F1, ...)
	latency    REAL,                -- seconds spent in predict for this example
	error      TEXT,                -- why there is no prediction
	PRIMARY KEY (task_id, idx)
) WITHOUT ROWID;

-- Git commits seen by runs, cached so views need not open the repository.
CREATE TABLE commits (
	sha          TEXT PRIMARY KEY,
	parents      TEXT NOT NULL DEFAULT '',   -- space-separated shas
	author_name  TEXT,
	author_email TEXT,
	author_time  REAL,
	summary      TEXT
) WITHOUT ROWID;

INSERT INTO benchtop_meta (key, value) VALUES ('application', 'benchtop');
