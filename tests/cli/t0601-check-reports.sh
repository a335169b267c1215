#!/bin/sh
# t0601-check-reports: --junit writes JUnit XML that xmllint validates
# against tests/junit.xsd, --markdown a table for a pull request; both are
# replaced atomically, and a report that cannot be written is an error.
. "$top_srcdir/tests/cli/lib.sh"

command -v xmllint >/dev/null 2>&1 || {
	echo "xmllint is not installed (apt-get install libxml2-utils)" >&2
	exit 77
}
XSD="$top_srcdir/tests/junit.xsd"
export BENCHTOP_DB="$TEST_DIR/db/bench.db"
expect_rc 0 init

mk() {
	"$MKRUN" --db "$BENCHTOP_DB" --suite-hash h1 "$@"
}

# Text that must be escaped in XML and Markdown, and a terminal escape.
weird=$(printf 'qa<&>"|*_\033[31m')
mk --suite tabular --model knn --samples iris:2000:0.9:1 --samples "$weird":300:0.8:2 >/dev/null
mk --suite tabular --model logreg --samples iris:2000:0.8:1 >/dev/null
mk --suite text --model majority --metric qa/exact_match=0.5:0.45:0.55 >/dev/null
echo two >>README
git_commit "degrade knn on iris"
mk --suite tabular --model knn --samples iris:2000:0.86:1 --samples "$weird":300:0.8:2 >/dev/null
mk --suite tabular --model logreg --status failed --reason "out of memory" >/dev/null
txt=$(mk --suite text --model majority --metric qa/exact_match=0.51:0.46:0.56)
mk --suite images --model cnn --samples digits:100:0.5:1 >/dev/null

echo "stale contents" >"$TEST_DIR/junit.xml"
expect_rc 1 check --junit "$TEST_DIR/junit.xml" --markdown "$TEST_DIR/summary.md"
xmllint --noout --schema "$XSD" "$TEST_DIR/junit.xml" 2>"$TEST_DIR/xmllint.err" ||
	fail "JUnit report does not validate: $(cat "$TEST_DIR/xmllint.err")"
ok "JUnit validates against the schema"

python3 - "$TEST_DIR/junit.xml" <<'EOF' || fail "JUnit content"
import sys, xml.etree.ElementTree as ET
root = ET.parse(sys.argv[1]).getroot()
assert root.tag == "testsuites"
suites = {s.get("name"): s for s in root.findall("testsuite")}
assert set(suites) == {"tabular", "text", "images"}, suites.keys()
tab = suites["tabular"]
cases = {(c.get("classname"), c.get("name")): c for c in tab.findall("testcase")}
acc = cases[("tabular.knn", "iris/accuracy")]
f = acc.find("failure")
assert f is not None and f.get("type") == "regression", ET.tostring(acc)
assert "accuracy regressed" in f.get("message"), f.get("message")
weird = [k for k in cases if k[1].startswith("qa<&>")]
assert weird and cases[weird[0]].find("failure") is None, cases.keys()
assert "\x1b" not in open(sys.argv[1]).read()
run = cases[("tabular.logreg", "run")]
assert "out of memory" in run.find("failure").get("message")
assert tab.get("failures") == "2" and tab.get("tests") == "3", tab.attrib
img = suites["images"].find("testcase")
assert img.get("name") == "baseline" and img.find("skipped") is not None
assert suites["images"].get("skipped") == "1"
assert root.get("failures") == "2", root.attrib
EOF
ok "one testsuite per suite, a testcase per task and metric, failures for regressions"

md=$(cat "$TEST_DIR/summary.md")
case $md in
"### check: FAIL: 1 regressed"*) ;;
*) fail "markdown heading: $md" ;;
esac
printf '%s\n' "$md" | grep -q '^| Task | Metric | Baseline | Candidate | Delta | 95% CI | p | Test | Verdict |$' ||
	fail "no table header in: $md"
printf '%s\n' "$md" | grep -q '^| iris | accuracy | 0\.9[0-9]* | 0\.8[0-9]* | -0\.0[0-9]* | \[.*\] | <0\.0001 | mcnemar | \*\*regressed\*\* |$' ||
	fail "no regressed row in: $md"
printf '%s\n' "$md" | grep -qF '| qa\<&\>"\|\*\_^\[\[31m |' || fail "unescaped task name in: $md"
printf '%s\n' "$md" | grep -q 'failed\*\*: run [0-9]* failed: out of memory' || fail "failed run: $md"
printf '%s\n' "$md" | grep -q 'no baseline' || fail "missing baseline: $md"
ok "markdown table with escaped text"

ls "$TEST_DIR" | grep -q '\.tmp\.' && fail "a temporary report file was left behind"
expect_rc 1 check --junit "$TEST_DIR/junit.xml"
xmllint --noout --schema "$XSD" "$TEST_DIR/junit.xml" 2>/dev/null || fail "rewrite"
ok "reports replace the old file"

# An unwritable report is reported; a passing gate then fails with 3, a failing one stays 1.
expect_rc 1 check --junit "$TEST_DIR/no/such/dir/junit.xml"
expect_err "cannot write '$TEST_DIR/no/such/dir/junit.xml'"
expect_rc 3 check "$txt" --markdown "$TEST_DIR/no/such/dir/s.md"
expect_err "cannot write"
ok "a report that cannot be written is an error"

# A passing check validates too.
expect_rc 0 check "$txt" --junit "$TEST_DIR/pass.xml"
xmllint --noout --schema "$XSD" "$TEST_DIR/pass.xml" 2>/dev/null || fail "passing JUnit"
grep -q '<failure' "$TEST_DIR/pass.xml" && fail "failures in a passing report"
ok "a passing gate writes a passing report"
