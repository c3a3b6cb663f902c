#!/usr/bin/env bash
# Creates (or reuses) target/ccxt-venv with the pinned ccxt of tests/ccxt/requirements.txt, for
# the protocol check (tests/ccxt/run.sh) and the client comparison (make bench). Reinstalls only
# when the venv is new or requirements.txt changed since the last install. Exit status 2 when
# Python or its venv module is missing.
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
venv="$repo/target/ccxt-venv"
req="$repo/tests/ccxt/requirements.txt"

python="${PYTHON:-python3}"
if ! "$python" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 9) else 1)' 2>/dev/null; then
    echo "tests/ccxt: needs Python 3.9 or later as \$PYTHON or python3" >&2
    exit 2
fi

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
