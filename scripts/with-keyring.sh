#!/usr/bin/env bash
# Runs a command inside a private D-Bus session with an unlocked gnome-keyring (Secret Service),
# so tests use the real OS keychain without touching the user's own.
#   scripts/with-keyring.sh <command> [args…]
set -euo pipefail
if [ "${RAMPART_IN_KEYRING_SESSION:-}" = 1 ]; then
  exec "$@"
fi
export RAMPART_IN_KEYRING_SESSION=1
exec dbus-run-session -- bash -c '
  set -euo pipefail
  # A fresh keyring directory per session: tests never see the user''s secrets.
  export XDG_DATA_HOME="$(mktemp -d)"
  trap "rm -rf \"$XDG_DATA_HOME\"" EXIT
  printf "%s" "rampart-test-keyring" | gnome-keyring-daemon --unlock --components=secrets >/dev/null
  "$@"
' rampart-keyring "$@"
