#!/usr/bin/env bash
# make bench: the benchmarks, in one run (not part of make test). Builds the release simulator
# binary and the ccxt venv when needed, then:
#   1. ccxt's binanceusdm and Rampart's connector against the same `rampart sim` (http and TLS);
#   2. the engine's order path in process (journal on tmpfs, fsync on disk, 100,000 orders);
#   3. validate + sign + encode alone, and the guard's verdict with a year of history;
#   4. the workspace in the release app, in a real window under Xvfb: click to wire, frames under
#      a busy Demo market, start time and memory (tests/benches/app_workspace.rs).
# Record what it prints in BENCHMARKS.md with the machine (lscpu's model name) and the command.
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$repo"
target="${CARGO_TARGET_DIR:-$repo/target}"

scripts/setup.sh test
export PATH="${CARGO_HOME:-$HOME/.cargo}/bin:$PATH"
tests/ccxt/venv.sh
cargo build --release --quiet -p rampart-cli
npm --prefix ui run build
cargo build --release --quiet --locked -p rampart-app --features custom-protocol
echo "machine: $(lscpu | sed -n 's/^Model name: *//p' | head -1), $(nproc) CPUs"
RAMPART_BIN="$target/release/rampart" cargo bench --quiet -p rampart-tests --bench client_vs_ccxt
cargo bench --quiet -p rampart-tests --bench engine_order_path
cargo bench --quiet -p rampart-venues --bench order_path
cargo bench --quiet -p rampart-guard --bench verdict
RAMPART_APP_BIN="$target/release/rampart-app" xvfb-run -a -s "-screen 0 1280x800x24" \
  cargo bench --quiet -p rampart-tests --bench app_workspace
