# Two commands matter: `make demo` and `make test`. Both install what is missing first.
SHELL := /bin/bash
.DEFAULT_GOAL := help

export CHROMEDRIVER ?= /usr/bin/chromedriver
export WASM_BINDGEN_TEST_TIMEOUT ?= 120
CARGO ?= cargo
ADDR ?= 127.0.0.1:8080

.PHONY: help setup sdk demo test test-native test-wasm test-e2e test-model lint model measure \
	inventory

help:
	@echo "make demo   build everything and serve the demo store on http://$(ADDR)"
	@echo "make test   run every test (native, wasm in Chromium, end-to-end, training)"
	@echo "make model  retrain models/ranker.onnx from ../shared/data"
	@echo "make measure  print start-up timings of the SDK on the demo home page"
	@echo "make inventory  rewrite privacy/inventory.json from src/inventory.rs"

setup:
	@scripts/setup.sh

# The SDK: wasm-pack builds the core into js/pkg, tsc wraps it into js/dist.
sdk: setup
	wasm-pack build --target web --out-dir js/pkg --out-name vitrine --release --no-pack
	cd js && npm run build

demo: sdk
	$(CARGO) build --release -p vitrine-demo
	@echo "Vitrine demo store: http://$(ADDR)"
	$(CARGO) run --release -q -p vitrine-demo -- --addr $(ADDR)

lint: setup
	$(CARGO) fmt --all --check
	$(CARGO) clippy --workspace --all-targets -- -D warnings
	$(CARGO) clippy --release --lib --tests --target wasm32-unknown-unknown -- -D warnings

test-native: setup
	$(CARGO) test --workspace

test-wasm: setup
	$(CARGO) test --release --target wasm32-unknown-unknown --test web

test-e2e: sdk
	$(CARGO) build --release -p vitrine-demo
	cd tests/e2e && node --test

test-model: setup
	scripts/python-env.sh
	cd models && .venv/bin/python -m pytest -q

test: lint test-native test-wasm test-e2e test-model

model: setup
	scripts/python-env.sh
	cd models && .venv/bin/python train.py

measure: sdk
	$(CARGO) build --release -p vitrine-demo
	cd tests/e2e && node measure-start.mjs

# The data inventory of PRIVACY.md; `cargo test --lib inventory` fails while it is stale.
inventory:
	$(CARGO) run -q --bin vitrine-inventory
