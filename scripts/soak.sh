#!/usr/bin/env bash
# Runs the receiver's property tests (tests/Whatwg.WebSockets.Protocol.Tests/Properties) in the long mode and
# prints what was tried: valid streams split every way, mutated and random streams, failures, and the largest
# allocation one call into the receiver made.
#
# Usage: scripts/soak.sh [SECONDS] [SEED]
#   SECONDS  how long each property runs (default 600). The four properties run two at a time (one test class
#            each), so the soak takes about 2 x SECONDS plus the build.
#   SEED     the base seed (default: a random one per property, printed in the figures).
# A failure names the seed that shows it; rerun that case alone with
#   PROPERTY_SEED=<seed> PROPERTY_ITERATIONS=1 dotnet test tests/Whatwg.WebSockets.Protocol.Tests -c Release --filter "FullyQualifiedName~<test>"
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1
seconds="${1:-600}"
report="$(mktemp)"
trap 'rm -f "$report"' EXIT

export PROPERTY_SOAK_SECONDS="$seconds" PROPERTY_REPORT="$report"
if [[ -n "${2:-}" ]]; then
  export PROPERTY_SEED="$2"
fi

dotnet build tests/Whatwg.WebSockets.Protocol.Tests -c Release -nologo -v quiet >/dev/null
started=$SECONDS
set +e
dotnet test tests/Whatwg.WebSockets.Protocol.Tests -c Release --no-build --nologo \
  --filter "FullyQualifiedName~Whatwg.WebSockets.Protocol.Tests.Properties" \
  --blame-hang-timeout "$((seconds + 300))s" --blame-hang-dump-type none
rc=$?
set -e

echo
echo "== Soak: ${seconds} s per property, $((SECONDS - started)) s in all"
cat "$report"
python3 - "$report" <<'PY'
import sys

totals = {}
maxima = {}
outcomes = {}
for line in open(sys.argv[1], encoding="utf-8"):
    words = line.split()
    if len(words) < 2:
        continue
    name, outcome = words[0], words[1]
    outcomes[name] = outcome
    figures = dict(word.split("=", 1) for word in words[2:] if "=" in word)
    for key, value in figures.items():
        if not value.lstrip("-").isdigit():
            continue
        value = int(value)
        if key.startswith("max_"):
            maxima[key] = max(maxima.get(key, 0), value)
        elif key not in ("cases", "base_seed"):
            totals[(name, key)] = value


def total(key, names=None):
    return sum(v for (n, k), v in totals.items() if k == key and (names is None or any(x in n for x in names)))


valid = total("streams", ["SmallGeneratedStream", "LargeGeneratedStream"])
mutated = total("streams", ["MutatedValidStream"])
random_streams = total("streams", ["RandomBytes"])
failed = sum(1 for o in outcomes.values() if o != "passed")
print()
print(f"valid streams split every way: {valid} ({total('feeds', ['SmallGeneratedStream', 'LargeGeneratedStream'])} feeds)")
print(f"mutated streams: {mutated} ({total('mutations')} mutations)")
print(f"random streams: {random_streams}")
print(f"properties failed: {failed} of {len(outcomes)}")
print(f"max allocation in one receiver call: {maxima.get('max_call_allocation_bytes', 0)} bytes")
print(f"max receiver allocation per stream beyond its events: {maxima.get('max_stream_overhead_bytes', 0)} bytes")
PY
exit $rc
