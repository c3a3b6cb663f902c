#!/usr/bin/env bash
# Runs tests/ccxt/check_binance_usdm.py: ccxt's binanceusdm (a third-party client, its own signing)
# against `rampart sim` on loopback. Creates or reuses a venv under target/ccxt-venv with the
# pinned ccxt, builds rampart-cli when needed, and passes its arguments on to the script
# (e.g. --allow-missing, --verbose, --rampart PATH). Exit status: the script's.
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$repo"
venv="$repo/target/ccxt-venv"
req="$repo/tests/ccxt/requirements.txt"

python="${PYTHON:-python3}"
if ! "$python" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 9) else 1)' 2>/dev/null; then
    echo "tests/ccxt: needs Python 3.9 or later as \$PYTHON or python3" >&2
    exit 2
fi

# (Re)install only when the venv is new or requirements.txt changed since the last install.
stamp="$venv/.requirements.sha256"
want="$(sha256sum "$req" | cut -d' ' -f1)"
if [[ ! -x "$venv/bin/python" ]]; then
    mkdir -p "$repo/target"
    if ! "$python" -m venv "$venv"; then
        rm -rf "$venv"
        echo "tests/ccxt: '$python -m venv' failed (on Debian/Ubuntu: apt-get install python3-venv)" >&2
        exit 2
    fi
fi
if [[ ! -f "$stamp" || "$(cat "$stamp")" != "$want" ]]; then
    echo "tests/ccxt: installing $(grep -v '^#' "$req" | xargs) into target/ccxt-venv" >&2
    "$venv/bin/python" -m pip install --quiet --disable-pip-version-check -r "$req"
    echo "$want" > "$stamp"
fi

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
exit "$status"
