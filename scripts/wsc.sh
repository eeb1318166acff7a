#!/usr/bin/env bash
# Builds wsc and runs it. With no arguments it starts an embedded echo server and talks to it;
# any arguments are passed to wsc (try: bash scripts/wsc.sh --help, or bash scripts/wsc.sh serve --help).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
dotnet build "$root/src/Whatwg.WebSockets.Cli" -c Release -nologo -v quiet >/dev/null
exec dotnet "$root/src/Whatwg.WebSockets.Cli/bin/Release/net10.0/wsc.dll" "$@"
