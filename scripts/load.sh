#!/usr/bin/env bash
# Load run: many concurrent connections to a local server on 127.0.0.1, each exchanging sequence-checked
# messages both ways; prints connections, messages each way, lost/duplicated/reordered/corrupt counts,
# memory per connection and the CPU time of client and server. Exit code 0 when nothing went wrong.
#
# Usage: scripts/load.sh [options]          default: 10,000 connections x 60 s, server in its own process
#   --connections N [10000]  --duration S [60]  --interval MS [1000]  --burst N [1]
#   --window N [16]: at most N unanswered messages per connection; a tick that would pass it is skipped and
#                    counted, so an overloaded machine lowers the rate instead of queueing without bound
#   --min-size B [32]  --max-size B [256]  --connect-concurrency N [64]
#   --drain S [60]: how long each connection waits for its last replies; --keepalive S [20]: ping interval, 0 = off
#   --server process|inproc|ws://127.0.0.1:PORT/load [process]
# Example, the CI-sized run: scripts/load.sh --connections 1000 --duration 10 --interval 250
# Each connection is one descriptor in the client and one in the server (twice that with --server inproc),
# so the soft limit on open files is raised to the hard limit first.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
dotnet build bench/Whatwg.WebSockets.Load -c Release -nologo -v quiet >/dev/null
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
echo "open files limit: $(ulimit -n)"
exec dotnet bench/Whatwg.WebSockets.Load/bin/Release/net10.0/Whatwg.WebSockets.Load.dll run "$@"
