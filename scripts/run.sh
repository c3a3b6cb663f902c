#!/usr/bin/env bash
# Builds Rampart (release) and starts it.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ "$(uname -s)" = Linux ] && [ -z "${DISPLAY:-}" ] && [ -z "${WAYLAND_DISPLAY:-}" ]; then
  cat >&2 <<'MSG'
Rampart is a desktop app and there is no display here (neither DISPLAY nor WAYLAND_DISPLAY is set).
Run it from a desktop session, or on a headless machine under a virtual X server:

    xvfb-run -a make run

(The window is then invisible; the end-to-end tests in `make test` drive it that way and save
screenshots under target/e2e/.)
MSG
  exit 1
fi

scripts/setup.sh build
npm --prefix ui run build
cargo build --release --locked -p rampart-app --features custom-protocol
exec target/release/rampart-app "$@"
