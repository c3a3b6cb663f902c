# The two commands the README gives; each installs what is missing first (scripts/setup.sh).
.PHONY: run test ui bindings bench

## Build Rampart (release) and start it.
run:
	scripts/run.sh

## Run every check: formatting, lints, UI checks and tests, Rust tests, end-to-end tests.
test:
	scripts/test.sh

## Build the UI into ui/dist (the app embeds it at compile time).
ui:
	scripts/setup.sh build
	npm --prefix ui run build

## Regenerate the TypeScript bindings from the Rust IPC types.
bindings:
	RAMPART_WRITE_BINDINGS=1 cargo test -p rampart-engine --test bindings

## Benchmarks (not part of test): ccxt vs Rampart against one simulator, the engine's order path.
bench:
	scripts/bench.sh
