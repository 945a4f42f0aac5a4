# clavitor — the two commands a new user needs:
#   make run    build and start the vault on built-in defaults (127.0.0.1:1984, ./clavitor-data)
#   make test   run every test (Rust, then the web UI in headless Chromium)
.POSIX:
.PHONY: all build release run test test-browser lint check-shared clean

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
	$(MAKE) test-browser

# The web UI in headless Chromium (installs Debian's chromium and
# playwright-core when missing; never skips). Screenshots: target/screenshots/.
test-browser:
	tests/browser/run.sh

# Loud notice when the shared fixtures and vectors are absent (a fresh clone):
# the tests still pass on the project's own copies, but nothing is re-checked
# against ../shared.
check-shared:
	@if [ -d ../shared ]; then echo "../shared found: shared vectors and fixtures are checked"; \
	else echo "!!! ../shared not found: tests that re-check shared vectors and fixtures print SKIPPED !!!"; fi

lint:
	$(CARGO) fmt --all -- --check
	$(CARGO) clippy --locked --all-targets -- -D warnings

clean:
	$(CARGO) clean
