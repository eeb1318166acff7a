#!/usr/bin/env bash
# Builds the solution and runs every test project, then prints a summary whose last line is
#   tests: N passed, N failed[, N skipped]
#
# Usage: scripts/test.sh [FILTER]
#   FILTER is passed to `dotnet test --filter`, e.g. scripts/test.sh "FullyQualifiedName~Close".
# Environment overrides (for trying the script on another checkout layout):
#   TEST_SOLUTION  solution to restore and build (default: Whatwg.WebSockets.slnx)
#   TEST_PROJECTS  space-separated test project files (default: the three test projects below)
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1

# The load test holds about 2,000 sockets in one process; raise the soft open-files limit to the hard one.
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true

FILTER="${1:-}"
SOLUTION="${TEST_SOLUTION:-Whatwg.WebSockets.slnx}"
read -r -a PROJECTS <<< "${TEST_PROJECTS:-tests/Whatwg.WebSockets.Protocol.Tests/Whatwg.WebSockets.Protocol.Tests.csproj tests/Whatwg.WebSockets.Tests/Whatwg.WebSockets.Tests.csproj tests/Whatwg.WebSockets.Cli.Tests/Whatwg.WebSockets.Cli.Tests.csproj}"
RESULTS="$ROOT/artifacts/test-results"
PROBLEMS=()

# 1. The Node peer's dependencies, reinstalled when package-lock.json changes.
NODE_PEER=tests/peers/node
if [[ -f "$NODE_PEER/package-lock.json" ]]; then
  lock_hash="$(sha256sum "$NODE_PEER/package-lock.json" | cut -d' ' -f1)"
  stamp="$NODE_PEER/node_modules/.package-lock.sha256"
  if [[ ! -d "$NODE_PEER/node_modules" || ! -f "$stamp" || "$(cat "$stamp")" != "$lock_hash" ]]; then
    echo "== npm ci in $NODE_PEER"
    if (cd "$NODE_PEER" && npm ci --no-audit --no-fund); then
      echo "$lock_hash" > "$stamp"
    else
      PROBLEMS+=("npm ci in $NODE_PEER failed")
    fi
  fi
fi

# 2. Restore and build.
echo "== dotnet restore $SOLUTION"
if ! dotnet restore "$SOLUTION"; then
  echo "dotnet restore failed"
  echo "tests: 0 passed, 0 failed"
  exit 1
fi
echo "== dotnet build $SOLUTION"
if ! dotnet build "$SOLUTION" -c Release --no-restore; then
  PROBLEMS+=("dotnet build failed")
fi

# 3. Run each test project, carrying on past failures.
rm -rf "$RESULTS"
mkdir -p "$RESULTS"
RUNS=()
for project in "${PROJECTS[@]}"; do
  [[ -f "$project" ]] || continue
  name="$(basename "$project" .csproj)"
  args=(test "$project" -c Release --no-build
        --logger "trx;LogFileName=$name.trx" --results-directory "$RESULTS"
        --blame-hang-timeout 5m --blame-hang-dump-type none)
  if [[ -n "$FILTER" ]]; then
    args+=(--filter "$FILTER")
  fi
  echo "== dotnet test $project"
  if dotnet "${args[@]}"; then rc=0; else rc=$?; fi
  RUNS+=("$name|$RESULTS/$name.trx|$rc")
done

# 4. Summary from the TRX files; its last line is the totals.
set +e
python3 - "${#PROBLEMS[@]}" "${PROBLEMS[@]}" "${RUNS[@]}" <<'PY'
import os
import sys
import xml.etree.ElementTree as ET

NS = {"t": "http://microsoft.com/schemas/VisualStudio/TeamTest/2010"}
PASSED = {"Passed"}
SKIPPED = {"NotExecuted", "Inconclusive", "Pending"}


def first_lines(text, count=3, width=300):
    lines = [line.rstrip() for line in (text or "").strip().splitlines() if line.strip()]
    return [line[:width] for line in lines[:count]]


def message_of(result):
    for path in ("t:Output/t:ErrorInfo/t:Message", "t:Output/t:StdOut"):
        node = result.find(path, NS)
        if node is not None and node.text and node.text.strip():
            return node.text
    return ""


def unfinished_tests(name):
    """Tests the blame collector saw start but not finish (hung, or running when the test host died)."""
    found = {}
    for folder, _, files in os.walk(results_dir):
        for file in files:
            if not (file.startswith("Sequence_") and file.endswith(".xml")):
                continue
            try:
                tests = ET.parse(os.path.join(folder, file)).getroot().iter("Test")
            except ET.ParseError:
                continue
            for test in tests:
                source = os.path.basename(test.get("Source", ""))
                if source == f"{name}.dll" and test.get("Completed") == "False":
                    display = test.get("DisplayName") or test.get("Name", "?")
                    found[display] = True
    return list(found)


def aborted_messages(root):
    messages = []
    for info in root.iter(f"{{{NS['t']}}}RunInfo"):
        text = info.findtext("t:Text", default="", namespaces=NS)
        if info.get("outcome") == "Error" and "aborted" in text.lower():
            messages.append(text.strip().splitlines()[0])
    return messages


problem_count = int(sys.argv[1])
problems = list(sys.argv[2:2 + problem_count])
runs = [arg.split("|") for arg in sys.argv[2 + problem_count:]]
results_dir = os.path.dirname(runs[0][1]) if runs else "."
totals = {"passed": 0, "failed": 0, "skipped": 0}
failed, skipped = [], []

print()
print("== Test summary")
for name, trx, rc in runs:
    counts = {"passed": 0, "failed": 0, "skipped": 0}
    if not os.path.isfile(trx):
        problems.append(f"{name}: no test results (dotnet test exit code {rc})")
        print(f"{name}: did not run (exit code {rc})")
        continue
    try:
        root = ET.parse(trx).getroot()
    except ET.ParseError as error:
        problems.append(f"{name}: unreadable TRX ({error})")
        continue
    for result in root.iter(f"{{{NS['t']}}}UnitTestResult"):
        outcome = result.get("outcome", "")
        test = result.get("testName", "?")
        if outcome in PASSED:
            counts["passed"] += 1
        elif outcome in SKIPPED:
            counts["skipped"] += 1
            skipped.append((name, test, message_of(result)))
        else:
            counts["failed"] += 1
            failed.append((name, test, outcome, message_of(result)))
    for test in unfinished_tests(name):
        counts["failed"] += 1
        failed.append((name, test, "did not finish", "hung past the blame-hang timeout, or running when the test host died"))
    for message in aborted_messages(root):
        problems.append(f"{name}: {message}")
    for key in totals:
        totals[key] += counts[key]
    line = f"{name}: {counts['passed']} passed, {counts['failed']} failed, {counts['skipped']} skipped"
    if rc != "0":
        line += f" (exit code {rc})"
        if counts["failed"] == 0:
            problems.append(f"{name}: dotnet test exited with {rc}")
    print(line)

if failed:
    print()
    print(f"Failed tests ({len(failed)}):")
    for name, test, outcome, message in failed:
        print(f"  FAIL {test} [{name}]" + ("" if outcome == "Failed" else f" ({outcome})"))
        for text in first_lines(message):
            print(f"       {text}")

if skipped:
    print()
    print(f"Skipped tests ({len(skipped)}):")
    for name, test, reason in skipped:
        reasons = first_lines(reason, count=1)
        print(f"  SKIP {test} [{name}]" + (f": {reasons[0]}" if reasons else ""))

if totals["passed"] + totals["failed"] == 0:
    problems.append("no test ran")

if problems:
    print()
    for problem in problems:
        print(f"PROBLEM: {problem}")

summary = f"tests: {totals['passed']} passed, {totals['failed']} failed"
if totals["skipped"]:
    summary += f", {totals['skipped']} skipped"
print()
print(summary)
sys.exit(1 if totals["failed"] or problems else 0)
PY
