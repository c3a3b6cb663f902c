#!/usr/bin/env bash
# Every check Rampart has, in the order that fails fastest. Exits non-zero on the first failure.
set -euo pipefail
cd "$(dirname "$0")/.."

step() { printf '\n\033[1m==> %s\033[0m\n' "$*"; }

# Every runner's output is kept so the closing line can total what ran.
log_dir=$(mktemp -d)
trap 'rm -rf "$log_dir"' EXIT

scripts/setup.sh test
export PATH="${CARGO_HOME:-$HOME/.cargo}/bin:$PATH"

step "rustfmt"
cargo fmt --all -- --check

step "UI build (embedded into the app)"
npm --prefix ui run build

step "UI type check (svelte-check)"
npm --prefix ui run check

step "UI unit tests (vitest)"
npm --prefix ui test -- --reporter=default --reporter=json --outputFile="$log_dir/vitest.json"

step "clippy, warnings denied"
cargo clippy --workspace --all-targets --locked -- -D warnings

step "build the app for the end-to-end tests"
cargo build --locked -p rampart-app

rm -rf target/e2e
step "Rust tests: unit, keychain, bindings freshness, end to end (Xvfb + D-Bus + gnome-keyring)"
xvfb-run -a -s "-screen 0 1280x800x24" scripts/with-keyring.sh \
  cargo test --workspace --locked 2>&1 | tee "$log_dir/cargo.txt"

step "protocol check: ccxt's binanceusdm (a third-party client) against the simulator, http and TLS"
tests/ccxt/run.sh 2>&1 | tee "$log_dir/ccxt.txt"
tests/ccxt/run.sh --tls 2>&1 | tee -a "$log_dir/ccxt.txt"

step "screenshots"
ls -l target/e2e/*.png

# One closing line for everything that ran (pipefail above has already stopped on any failure).
read -r rust_passed rust_failed < <(sed -E 's/\x1b\[[0-9;]*m//g' "$log_dir/cargo.txt" |
  awk '/^test result:/ { p += $4; f += $6 } END { print p + 0, f + 0 }')
read -r ui_passed ui_failed < <(node -e '
  const r = require(process.argv[1]);
  console.log(r.numPassedTests, r.numFailedTests);' "$log_dir/vitest.json")
read -r ccxt_passed ccxt_failed < <(awk '/^ccxt: [0-9]+ passed, [0-9]+ failed$/ { p += $2; f += $4 }
  END { print p + 0, f + 0 }' "$log_dir/ccxt.txt")
echo
echo "rampart: $((rust_passed + ui_passed + ccxt_passed)) passed, $((rust_failed + ui_failed + ccxt_failed)) failed"
