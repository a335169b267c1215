#!/usr/bin/env python3
"""harness-reference.py - the reference loop for bench/harness-throughput.

The same job as `benchtop run` on the benchmark suite, done the obvious way
in Python with its C-backed json and sqlite3 modules: parse each JSONL line,
"predict" the first label (what the trivial plugin does), and insert one
sample row per example into the same benchtop schema, one transaction per
1,000 rows.  Prints examples per second.

usage: harness-reference.py DATA.jsonl DB
"""
import json
import sqlite3
import sys
import time


def main():
    data, db = sys.argv[1], sys.argv[2]
    con = sqlite3.connect(db, isolation_level=None)
    con.execute("PRAGMA journal_mode=WAL")
    con.execute("PRAGMA synchronous=NORMAL")
    con.execute("INSERT INTO runs (uuid, kind, started_at) VALUES ('py', 'eval', 0)")
    run = con.execute("SELECT last_insert_rowid()").fetchone()[0]
    con.execute("INSERT INTO tasks (run_id, name, type) VALUES (?, 't', 'classification')", (run,))
    task = con.execute("SELECT last_insert_rowid()").fetchone()[0]
    sql = ("INSERT INTO samples (task_id, idx, example_id, prediction, target, correct, "
           "latency) VALUES (?, ?, ?, ?, ?, ?, ?)")
    t0 = time.perf_counter()
    rows = []
    n = 0
    with open(data) as f:
        for i, line in enumerate(f):
            ex = json.loads(line)
            t1 = time.perf_counter()
            pred = "a"
            lat = time.perf_counter() - t1
            rows.append((task, i, ex["id"], pred, ex["label"], int(pred == ex["label"]), lat))
            if len(rows) == 1000:
                con.execute("BEGIN")
                con.executemany(sql, rows)
                con.execute("COMMIT")
                rows = []
            n += 1
    if rows:
        con.execute("BEGIN")
        con.executemany(sql, rows)
        con.execute("COMMIT")
    dt = time.perf_counter() - t0
    print("%.0f" % (n / dt))


if __name__ == "__main__":
    main()
