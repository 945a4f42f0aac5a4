# clavitor — the two commands a new user needs:
#   make run    build and start the vault on built-in defaults (127.0.0.1:1984, ./clavitor-data)
#   make test   run every test (Rust, then the web UI in headless Chromium)
.POSIX:
.PHONY: all build release run test test-browser lint check-shared clean bench-commercial check-editions

CARGO ?= cargo

all: build

build:
	$(CARGO) build --locked

release:
	$(CARGO) build --locked --release

run: release
	./target/release/clavitor serve

test: check-shared
	$(CARGO) test --locked --all-targets
	$(CARGO) test --locked --doc
	# The commercial edition: its unit tests and tests/commercial_*.rs (two POPs on loopback).
	$(CARGO) test --locked --features commercial --lib --test 'commercial_*'
	$(MAKE) test-browser

# The web UI in headless Chromium (installs Debian's chromium and
# playwright-core when missing; never skips). Screenshots: target/screenshots/.
test-browser:
	tests/browser/run.sh

# Replication latency (p50/p99 over 200 writes), tarpit (API p99 with and
# without 1000 held connections, SIGTERM time) and idle wake-ups of a
# primary, on release builds; prints the `BENCH ...` lines and fails if the
# replication p50 misses its 20 ms target. `make bench` calls this.
bench-commercial:
	CLAVITOR_BENCH_P50_MS=20 $(CARGO) test --locked --release --features commercial --test commercial_bench --test commercial_tarpit \
		--test commercial_idle -- --nocapture --test-threads 1 >target/bench-commercial.log 2>&1 \
		|| { cat target/bench-commercial.log; exit 1; }
	grep '^BENCH' target/bench-commercial.log

# Shows from the outside that the community release binary has no commercial
# code and the commercial one has it (strings/nm).
# (The community build goes last, so target/release/clavitor stays the default edition.)
check-editions:
	$(CARGO) build --locked --release --features commercial
	cp target/release/clavitor target/clavitor-commercial
	scripts/check-edition.sh target/clavitor-commercial commercial
	$(CARGO) build --locked --release
	scripts/check-edition.sh target/release/clavitor community

# Loud notice when the shared fixtures and vectors are absent (a fresh clone):
# the tests still pass on the project's own copies, but nothing is re-checked
# against ../shared.
check-shared:
	@if [ -d ../shared ]; then echo "../shared found: shared vectors and fixtures are checked"; \
	else echo "!!! ../shared not found: tests that re-check shared vectors and fixtures print SKIPPED !!!"; fi

lint:
	$(CARGO) fmt --all -- --check
	$(CARGO) clippy --locked --all-targets -- -D warnings
	$(CARGO) clippy --locked --all-targets --features commercial -- -D warnings

clean:
	$(CARGO) clean
