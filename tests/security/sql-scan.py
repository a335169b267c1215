#!/usr/bin/env python3
"""sql-scan.py - find SQL that C code assembles with printf-style formatting.

    sql-scan.py ALLOWLIST FILE.c...

Every call of a printf-family function (bt_buf_printf, snprintf,
bt_xasprintf, sqlite3_mprintf, ...) whose format string holds an SQL keyword
(upper case, as benchtop writes SQL) and a conversion other than %% must be
listed in ALLOWLIST with the reason it is safe.  Lines of the allowlist:

    FILE <TAB> FORMAT <TAB> REASON

where FORMAT is the format as the compiler sees it (adjacent literals
joined, escapes as written; each branch of a format chosen with ?: on its
own) and one line covers every call in FILE with that format.  Also refused, whatever the allowlist says:

  - sqlite3_mprintf / sqlite3_vmprintf / sqlite3_snprintf anywhere (SQLite's
    own formatting invites %q/%s quoting mistakes: bind parameters instead);
  - sqlite3_exec() whose SQL is not a string literal, outside src/store.c
    (the one module that runs the embedded migrations).

Allowlist lines that no longer match any call are reported too, so the list
never holds stale excuses.  Exit status 0 when clean, 1 otherwise.
"""
import os
import re
import sys

PRINTF = re.compile(
    r"\b(bt_buf_printf|bt_buf_vprintf|bt_xasprintf|bt_error_set|snprintf|vsnprintf|"
    r"sprintf|vsprintf|asprintf|vasprintf|sqlite3_mprintf|sqlite3_vmprintf|"
    r"sqlite3_snprintf)\s*\(")
SQLITE_FMT = re.compile(r"\b(sqlite3_mprintf|sqlite3_vmprintf|sqlite3_snprintf)\s*\(")
EXEC = re.compile(r"\bsqlite3_exec\s*\(")
KEYWORDS = re.compile(
    r"\b(SELECT|INSERT|UPDATE|DELETE|REPLACE|WHERE|FROM|JOIN|ORDER BY|GROUP BY|"
    r"HAVING|LIMIT|OFFSET|VALUES|CREATE|DROP|ALTER|PRAGMA|UNION|INTO|AND|OR|NOT|"
    r"IN|LIKE|GLOB|BETWEEN|ATTACH|VACUUM|SET)\b")
CONVERSION = re.compile(r"%(?!%)[-+ #0-9.*]*(hh|h|ll|l|z|j|t|L)?[diouxXeEfgGaAcspqQw]")


def strip_comments(text):
    """Blank out comments, keeping string literals and line numbers."""
    out, i, n = [], 0, len(text)
    while i < n:
        c = text[i]
        if text.startswith("/*", i):
            j = text.find("*/", i + 2)
            j = n if j < 0 else j + 2
            out.append("".join("\n" if ch == "\n" else " " for ch in text[i:j]))
            i = j
        elif text.startswith("//", i):
            j = text.find("\n", i)
            j = n if j < 0 else j
            out.append(" " * (j - i))
            i = j
        elif c in "\"'":
            j = i + 1
            while j < n and text[j] != c:
                j += 2 if text[j] == "\\" else 1
            out.append(text[i:j + 1])
            i = j + 1
        else:
            out.append(c)
            i += 1
    return "".join(out)


def call_args(text, start):
    """The arguments of the call whose '(' is at text[start], split at top-level commas."""
    depth, i, args, cur = 0, start, [], []
    while i < len(text):
        c = text[i]
        if c in "\"'":
            j = i + 1
            while j < len(text) and text[j] != c:
                j += 2 if text[j] == "\\" else 1
            cur.append(text[i:j + 1])
            i = j + 1
            continue
        if c == "(":
            depth += 1
            if depth == 1:
                i += 1
                continue
        elif c == ")":
            depth -= 1
            if depth == 0:
                args.append("".join(cur).strip())
                return args
        elif c == "," and depth == 1:
            args.append("".join(cur).strip())
            cur = []
            i += 1
            continue
        cur.append(c)
        i += 1
    return args


LITERAL = re.compile(r'^(\s*"(?:[^"\\]|\\.)*"\s*)+$', re.S)


def literal_value(arg):
    """The joined text of an argument made only of string literals, else None."""
    if not LITERAL.match(arg):
        return None
    return "".join(re.findall(r'"((?:[^"\\]|\\.)*)"', arg))


def main():
    if len(sys.argv) < 3:
        sys.stderr.write("usage: sql-scan.py ALLOWLIST FILE.c...\n")
        return 2
    allow = {}
    bad = []
    with open(sys.argv[1]) as f:
        for no, line in enumerate(f, 1):
            line = line.rstrip("\n")
            if not line.strip() or line.startswith("#"):
                continue
            parts = line.split("\t")
            if len(parts) != 3 or not parts[2].strip():
                bad.append("%s:%d: needs FILE<TAB>FORMAT<TAB>REASON" % (sys.argv[1], no))
                continue
            allow[(parts[0], parts[1])] = [no, 0]
    found = 0
    for path in sys.argv[2:]:
        rel = path
        m = re.search(r"(^|/)(src/.*)$", path)
        if m:
            rel = m.group(2)
        with open(path, encoding="utf-8", errors="replace") as f:
            text = strip_comments(f.read())
        for m in SQLITE_FMT.finditer(text):
            line = text.count("\n", 0, m.start()) + 1
            bad.append("%s:%d: %s: use bound parameters, not SQLite's formatting"
                       % (rel, line, m.group(1)))
        for m in EXEC.finditer(text):
            line = text.count("\n", 0, m.start()) + 1
            args = call_args(text, m.end() - 1)
            if len(args) >= 2 and literal_value(args[1]) is None and rel != "src/store.c":
                bad.append("%s:%d: sqlite3_exec with SQL that is not a literal: %s"
                           % (rel, line, args[1]))
        for m in PRINTF.finditer(text):
            line = text.count("\n", 0, m.start()) + 1
            args = call_args(text, m.end() - 1)
            # The format: the first argument holding string literals; when it
            # chooses between literals (c ? "A %s" : "B %s"), each is a format.
            fmts = []
            for a in args:
                if literal_value(a) is not None:
                    fmts = [literal_value(a)]
                    break
                if '"' in a:
                    fmts = re.findall(r'"((?:[^"\\]|\\.)*)"', a)
                    break
            for fmt in fmts:
                if not KEYWORDS.search(fmt) or not CONVERSION.search(fmt):
                    continue
                found += 1
                key = (rel, fmt)
                if key in allow:
                    allow[key][1] += 1
                else:
                    bad.append('%s:%d: SQL built with %s("%s"): bind the values, or list it '
                               "in the allowlist with the reason it is safe"
                               % (rel, line, m.group(1), fmt))
    for (rel, fmt), (no, used) in sorted(allow.items(), key=lambda kv: kv[1][0]):
        if not used:
            bad.append('%s:%d: stale entry: no call in %s formats "%s"'
                       % (sys.argv[1], no, rel, fmt))
    for b in bad:
        print(b)
    print("%d formatted SQL calls, %d allowlisted formats, %d problems"
          % (found, len(allow), len(bad)))
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
