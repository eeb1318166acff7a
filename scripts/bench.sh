#!/usr/bin/env bash
# Benchmarks. With no argument: end to end against ClientWebSocket over loopback (about 10 minutes),
# rewriting docs/benchmarks.md and docs/benchmarks.svg (options: --reps N, --scale N divides the work).
# "quick [--only TEXT] [--reps N]": a shorter run that writes nothing. "idle [--reps N]": only idle memory, writes nothing.
# "micro [BenchmarkDotNet args]": the microbenchmarks (e.g. micro --filter '*Masking*').
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
dotnet build bench/Whatwg.WebSockets.Benchmarks -c Release -nologo -v quiet >/dev/null
bench=(dotnet bench/Whatwg.WebSockets.Benchmarks/bin/Release/net10.0/Whatwg.WebSockets.Benchmarks.dll)
ulimit -n 65536 2>/dev/null || true
case "${1:-}" in
  micro) shift; "${bench[@]}" micro "$@" ;;
  quick) shift; "${bench[@]}" e2e --quick "$@" ;;
  idle) shift; "${bench[@]}" e2e --only idle "$@" ;;
  *) "${bench[@]}" e2e --out docs/benchmarks.md "$@" ;;
esac
