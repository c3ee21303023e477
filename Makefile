# The two commands of the README:
#   make run    installs what is missing, builds and starts the desktop app
#   make test   installs what is missing and runs every gate: format, lints (Linux and Windows),
#               docs, all tests (unit, integration, CLI, end to end through the real window under
#               Xvfb), and the install test of the packages when `make package` has built them
# And for releases:
#   make package  the .deb and .rpm packages and their SHA256SUMS, in target/packages
SHELL := /bin/bash
export PATH := $(HOME)/.cargo/bin:$(PATH)

# The Windows target of the lint (scripts/setup.sh --test installs it and its C compiler).
WINDOWS_TARGET := x86_64-pc-windows-gnu
# Where `make package` leaves the packages and SHA256SUMS (the Tauri bundler writes them under
# target/release/bundle first).
PACKAGES := target/packages

.PHONY: run test setup setup-test check-fmt lint lint-windows doc ui-check core-deps test-all cli \
	screenshots package package-test package-test-if-built

run: setup
	@if [[ -z "$${DISPLAY:-}$${WAYLAND_DISPLAY:-}" ]]; then \
	  echo "No display: starting the app under Xvfb (screenshot it with 'import -window root')"; \
	  xvfb-run -a -s "-screen 0 1280x800x24" cargo run --release --locked --bin clapay-tokens; \
	else cargo run --release --locked --bin clapay-tokens; fi

setup:
	@scripts/setup.sh

setup-test:
	@scripts/setup.sh --test

check-fmt:
	cargo fmt --all --check

lint:
	cargo clippy --workspace --all-targets --locked -- -D warnings

# Code under #[cfg(windows)] is compiled by nobody else until a release: lint the whole workspace,
# tests included, for Windows too. A missing target fails here with the way to install it.
lint-windows:
	@rustup target list --installed 2>/dev/null | grep -qx '$(WINDOWS_TARGET)' || { \
	  echo "lint-windows: the Rust target $(WINDOWS_TARGET) is not installed; scripts/setup.sh --test installs it (rustup target add $(WINDOWS_TARGET))" >&2; exit 1; }
	@command -v x86_64-w64-mingw32-gcc >/dev/null || { \
	  echo "lint-windows: x86_64-w64-mingw32-gcc is missing (the C of ring and SQLite); scripts/setup.sh --test installs it (apt-get install gcc-mingw-w64-x86-64)" >&2; exit 1; }
	cargo clippy --workspace --all-targets --target $(WINDOWS_TARGET) --locked -- -D warnings

doc:
	RUSTDOCFLAGS="-D warnings" cargo doc --workspace --no-deps --locked

# The core must build without Tauri, GTK or WebKit (the CLI and fast tests depend on it).
core-deps:
	@if cargo tree --locked -p clapay-tokens-core -e normal,build --prefix none --format '{p}' \
	    | grep -E '^(tauri|wry|webkit2gtk|javascriptcore|gtk|gdk|soup)'; then \
	  echo "clapay-tokens-core must not depend on tauri/gtk/webkit"; exit 1; \
	else echo "core-deps: clapay-tokens-core has no tauri, gtk or webkit dependency"; fi

ui-check:
	node scripts/ui-preview/check-i18n.mjs
	node scripts/ui-preview/check-modules.mjs
	node scripts/ui-preview/check-flags.mjs
	node scripts/ui-preview/check-lazy.mjs

# --workspace on every cargo call: changing the -p selection changes feature resolution and
# rebuilds about 100 crates. The end-to-end tests need a display, so the whole run is under Xvfb.
# The run gets a private TMPDIR and a leak ledger: tests record every secret they see and keep
# their files, and scripts/leak_scan.py then searches those files and the captured output.
# Tests append their figures (cases, cycles, timings) to CLAPAY_TEST_FIGURES, printed at the end.
test-all:
	@run=$$(mktemp -d /tmp/clapay-test.XXXXXX); mkdir -p "$$run/tmp"; \
	export TMPDIR="$$run/tmp" CLAPAY_LEAK_LEDGER="$$run/ledger" CLAPAY_TEST_FIGURES="$$run/figures.txt"; \
	set -o pipefail; status=0; \
	xvfb-run -a -s "-screen 0 1280x800x24 -nolisten tcp" cargo test --workspace --locked 2>&1 \
	  | tee "$$run/output.log" || status=$$?; \
	python3 scripts/leak_scan.py "$$run/ledger" "$$run/tmp" "$$run/output.log" || status=1; \
	grep -hE '^crash harness: [0-9]+ kill cycles' "$$run/output.log" || true; \
	cat "$$run/figures.txt" 2>/dev/null || true; \
	rm -rf "$$run"; exit $$status

# The install test needs the packages, a release build `make test` does not make: it runs when
# `make package` has left them (CI builds them first), and says so when it does not.
package-test-if-built:
	@if compgen -G '$(PACKAGES)/*.deb' >/dev/null; then scripts/package-test.sh; \
	else echo "package-test: no package in $(PACKAGES) (make package builds them): install test not run"; fi

test: setup-test check-fmt core-deps lint lint-windows doc ui-check test-all package-test-if-built
	@echo "make test: all gates passed"

# The release app and the CLI, bundled by the Tauri CLI pinned in package-lock.json into a .deb and
# an .rpm (AppImage, MSI, NSIS and DMG come from .github/workflows/release.yml). The arguments
# after `--` reach cargo through `tauri build`, which adds `--bins` and the production feature: the
# app and the CLI in one build, without the start benchmark's bare window. The packages take
# /usr/bin/clapay-tokens-cli from target/release (tauri.conf.json, bundle.linux), which that build
# leaves there before the bundler runs.
package:
	@scripts/setup.sh --package
	npm ci --no-audit --no-fund
	rm -rf target/release/bundle/deb target/release/bundle/rpm "$(PACKAGES)"
	node_modules/.bin/tauri build --ci --bundles deb,rpm -- --workspace --exclude clapay-tokens-bare --locked
	mkdir -p "$(PACKAGES)"
	cp target/release/bundle/deb/*.deb target/release/bundle/rpm/*.rpm "$(PACKAGES)/"
	cd "$(PACKAGES)" && sha256sum -- *.deb *.rpm > SHA256SUMS && cat SHA256SUMS

# Installs the .deb on this machine (root or sudo), tests it, and removes it again.
package-test:
	scripts/package-test.sh

cli:
	cargo build --release --locked -p clapay-tokens-cli
	@echo "built target/release/clapay-tokens-cli"
