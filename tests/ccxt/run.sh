#!/usr/bin/env bash
# Runs tests/ccxt/check_binance_usdm.py (and its WebSocket check), then the Bybit, OKX and
# Deribit checks (check_<venue>.py and check_<venue>_ws.py): ccxt's clients (a third-party
# client, its own signing)
# against `rampart sim` on loopback. Creates or reuses a venv under target/ccxt-venv with the
# pinned ccxt, builds rampart-cli when needed, and passes its arguments on to the script
# (e.g. --allow-missing, --verbose, --rampart PATH). Exit status: the script's.
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$repo"
venv="$repo/target/ccxt-venv"
"$repo/tests/ccxt/venv.sh"

# Build the simulator's binary unless one was named; cargo itself skips the work when it is up to date.
if [[ -z "${RAMPART_BIN:-}" ]]; then
    if ! cargo build --quiet -p rampart-cli; then
        echo "FAIL build — cargo build -p rampart-cli failed (output above)"
        echo "ccxt: 0 passed, 1 failed"
        exit 1
    fi
    # Cargo puts the binary under $CARGO_TARGET_DIR when one is set (a shared or per-worktree
    # target directory), else under target/.
    export RAMPART_BIN="${CARGO_TARGET_DIR:-$repo/target}/debug/rampart"
fi

# REST check, then the WebSocket check (ccxt.pro); each prints its own `ccxt: N passed, M failed`.
status=0
"$venv/bin/python" "$repo/tests/ccxt/check_binance_usdm.py" "$@" || status=$?
ws_args=()
for a in "$@"; do [[ "$a" == "--tls" ]] && ws_args+=(--tls); done
"$venv/bin/python" "$repo/tests/ccxt/check_binance_usdm_ws.py" "${ws_args[@]}" || status=$?
# Bybit v5 (`rampart sim --venue bybit`): REST (plain, then over TLS), then ccxt.pro's streams.
"$venv/bin/python" "$repo/tests/ccxt/check_bybit.py" || status=$?
"$venv/bin/python" "$repo/tests/ccxt/check_bybit_ws.py" "${ws_args[@]}" || status=$?
# The same for OKX v5 (`rampart sim --venue okx`): REST, then ccxt.pro.
"$venv/bin/python" "$repo/tests/ccxt/check_okx.py" "${ws_args[@]}" || status=$?
"$venv/bin/python" "$repo/tests/ccxt/check_okx_ws.py" "${ws_args[@]}" || status=$?
# Deribit v2 (`rampart sim --venue deribit`): REST (a future and an option), then ccxt.pro.
"$venv/bin/python" "$repo/tests/ccxt/check_deribit.py" "${ws_args[@]}" || status=$?
"$venv/bin/python" "$repo/tests/ccxt/check_deribit_ws.py" "${ws_args[@]}" || status=$?
exit "$status"
