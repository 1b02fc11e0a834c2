# aws-oidc: the front door.  `make demo` shows the main job end to end,
# `make test` runs every test.  Each target installs what it needs.

SHELL := /bin/bash
.DEFAULT_GOAL := help

TARGET   ?= x86_64-unknown-linux-musl
TARGETS  ?= x86_64-unknown-linux-musl aarch64-unknown-linux-musl aarch64-apple-darwin x86_64-apple-darwin x86_64-pc-windows-gnu
VERSION  := $(shell sed -n 's/^version = "\(.*\)"/\1/p' Cargo.toml | head -n1)
VENV     := .venv
PY       := $(VENV)/bin/python
BIN      := target/$(TARGET)/release/aws-oidc

export AWS_OIDC_BIN := $(CURDIR)/$(BIN)
export AWS_OIDC_DIST := $(CURDIR)/dist
export AWS_OIDC_TARGETS := $(TARGETS)

.PHONY: help tools venv build dist dist-test orb test test-unit test-lint test-e2e demo bench fuzz clean

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | sed 's/:.*## /\t/' | expand -t 14

tools: ## install the build and test tools (Rust targets, musl-tools, mingw-w64, Wine, qemu, shellcheck, shells)
	@tools/install-tools.sh $(TARGET) $(TARGETS)

venv: $(VENV)/.stamp ## Python venv with moto, the AWS CLI and the linters
$(VENV)/.stamp: tests/requirements.txt
	python3 -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --disable-pip-version-check -r tests/requirements.txt
	touch $@

# Building installs only what building needs (`make demo` builds first, and
# waits for no test tool); the test targets install the rest (`make tools`).
build: ## static musl release binaries for TARGET (default x86_64), the CI and the full build, and their archives in dist/
	@tools/install-tools.sh --build $(TARGET)
	@tools/dist.sh build $(TARGET)

dist: venv ## binaries for every release target (Linux, macOS, Windows), their archives and SHA256SUMS in dist/
	@tools/install-tools.sh --build $(TARGETS)
	@tools/dist.sh build $(TARGETS)

orb: build ## pack orb/src into dist/orb.yml with this release's version and checksums
	cargo run --locked --quiet -p orb-pack -- orb/src --version $(VERSION) --sums dist/SHA256SUMS -o dist/orb.yml

# The free disk is printed first: a fresh clone's test run writes ~4 GB of
# build output, and a full disk otherwise shows only as a compiler's IO error.
test: ## every test: unit, lint, end to end (and how long they took)
	@df -Pk . | awk 'NR == 2 { printf "make test: %.1f GB free on this disk\n", $$4 / 1048576 }'
	@start=$$(date +%s); status=0; \
	$(MAKE) --no-print-directory test-unit test-lint test-e2e || status=$$?; \
	echo "make test: $$(( $$(date +%s) - start )) s wall time"; exit $$status

test-unit: tools ## Rust unit and property tests
	cargo test --locked --workspace

test-lint: tools venv ## formatting, clippy (Linux and Windows), shellcheck, yamllint, no import cycles
	cargo fmt --all -- --check
	cargo clippy --locked --workspace --all-targets -- -D warnings
	# The build CI jobs download (every feature but setup-tools: tools/dist.sh).
	cargo clippy --locked -p aws-oidc-cli --no-default-features --features ecr,eks,secrets,codeartifact -- -D warnings
	# The Windows-only code (crates/aws-oidc/src/platform.rs) is linted too.
	cargo clippy --locked --target x86_64-pc-windows-gnu -p aws-oidc -p aws-oidc-cli -- -D warnings
	tools/shellcheck-orb.sh
	shellcheck tools/*.sh
	$(VENV)/bin/yamllint orb/src $(wildcard .circleci)
	# The library's modules depend one way: no import cycle (issue 24).
	python3 tools/module-cycles.py

# The other targets for the end-to-end tests: built with the e2e profile
# (Cargo.toml), beside TARGET's release build, which is what the tests run.
# Only their CI build (the one the orb installs): the full build's extra
# commands are tested on TARGET's.
dist-test: tools venv
	@AWS_OIDC_PROFILE=e2e AWS_OIDC_BUILDS=ci tools/dist.sh build $(filter-out $(TARGET),$(TARGETS))

test-e2e: tools build dist-test orb venv ## the real binary and packed orb against moto and the strict STS fixture (two workers)
	$(PY) -m pytest tests -q -n 2

demo: build venv ## moto on loopback, a signed token, `aws-oidc assume` as a CircleCI step, then the AWS CLI
	@tools/demo.sh

bench: dist orb venv ## time to credentials, size and memory; every target's binary and archive sizes (prints figures)
	@tools/bench.sh

FUZZ_SECONDS ?= 30
fuzz: ## run every cargo-fuzz target for FUZZ_SECONDS each (nightly toolchain)
	@tools/fuzz.sh $(FUZZ_SECONDS)

clean:
	rm -rf target dist $(VENV)
