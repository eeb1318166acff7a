#!/usr/bin/env bash
# Runs every Autobahn-class case against our client and ClientWebSocket, and rewrites the
# generated part of docs/conformance.md. Extra arguments go to the runner (e.g. --cases 6.4).
# Groups 12 and 13 (permessage-deflate) send all 1000 messages per case here and take most of the
# run (about a quarter of an hour per client on two cores); --message-scale 0.02 makes a quick run
# that does not write the report. --self-check only tests the server's zlib binding.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
dotnet build tests/Whatwg.WebSockets.Conformance -c Release -nologo -v quiet >/dev/null
dotnet tests/Whatwg.WebSockets.Conformance/bin/Release/net10.0/Whatwg.WebSockets.Conformance.dll --report docs/conformance.md "$@"
