-- 0004-metric-lookup.sql: find a run's metric by name without a scan.
--
-- Filters such as `accuracy>0.9` test, per run, whether it has a metric of
-- that name in range.  With only (metric, value) and the unique (run_id,
-- task, metric) key, SQLite answered that per run through the wrong index:
-- 21 s over 100,000 runs with 20 metrics each (bench/tui-latency), against
-- under 20 ms with this one.
CREATE INDEX metrics_run_metric ON metrics (run_id, metric, value);
