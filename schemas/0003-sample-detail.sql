-- 0003-sample-detail.sql: what a sample needs beyond its text forms.
--
-- `detail` holds, as JSON, what `prediction` and `target` cannot: the
-- per-class scores of a classification ({"scores": [...]}, in the task's
-- label order) and the chosen and correct indices of a multiple-choice
-- example ({"choice": 2, "target_choice": 0}).  With it, a task's outcomes
-- can be rebuilt exactly from its samples (resuming a run, merging shards).
-- `input` is the example's text input, for tasks that have one, so that
-- samples can be read without the suite's data at hand.
ALTER TABLE samples ADD COLUMN detail TEXT;
ALTER TABLE samples ADD COLUMN input TEXT;
