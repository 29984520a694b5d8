# Two commands matter: `make demo` and `make test`. Both install what is missing first.
SHELL := /bin/bash
.DEFAULT_GOAL := help

export CHROMEDRIVER ?= /usr/bin/chromedriver
export WASM_BINDGEN_TEST_TIMEOUT ?= 120
CARGO ?= cargo
ADDR ?= 127.0.0.1:8080

.PHONY: help setup sdk demo test test-native test-wasm test-e2e test-model lint model measure eval
.PHONY: test-package size docs inventory bench bench-deps bench-profile sdk-release
.PHONY: segments load simulate
# `sdk` swaps Cargo.lock while the ranker builds: no recipe may run beside another.
.NOTPARALLEL:

help:
	@echo "make demo   build everything and serve the demo store on http://$(ADDR)"
	@echo "make test   run every test (native, wasm in Chromium, end-to-end, training)"
	@echo "make model  retrain models/ranker.onnx from ../shared/data"
	@echo "make measure  print start-up timings of the SDK on the demo home page"
	@echo "make eval   held-out figures of server order, rule and model on each shared log"
	@echo "make size   raw, gzip and brotli bytes of every file in the npm tarball"
	@echo "make docs   regenerate the API reference in docs/api from the doc comments"
	@echo "make inventory  rewrite privacy/inventory.json from src/inventory.rs"
	@echo "make segments  recompute models/segments.json (seeded k-means over REES46 profiles)"
	@echo "make bench  Vitrine vs onnxruntime-web vs plain JS in Chromium; writes BENCHMARKS.md"
	@echo "            (CORE_OPT=3 builds the core for speed instead of size, to compare)"
	@echo "make load   loopback load test of the collector: batches/s, p99, nothing lost"
	@echo "make simulate  estimate error against ε, 10^4 shoppers drawn from REES46"
	@echo "make sdk-release  make sdk, then wasm-opt over both modules (slow; cached)"

setup:
	@scripts/setup.sh

# The SDK: wasm-pack builds two modules from this crate into js/pkg, the core (tracking,
# profile, sync, re-ranking; no model runtime) and the lazily loaded ranker (tract and the
# model behind one small class); tsc wraps them into js/dist.
WASM_PACK := wasm-pack build --target web --out-dir js/pkg --release --no-pack
# Both modules are built for size: their cost in a page is download, decode and compile, in
# proportion to their bytes. tract-linalg's kernels keep opt-level 3 (Cargo.toml): at "z"
# scoring took 60 % longer for 5 % fewer bytes. Native release builds (the demo server, the
# offline tools) keep Cargo.toml's speed settings, hence flags here rather than there.
# $(call opt_level,L): the crate and every dependency at opt-level L. Cargo reads the levels
# 0 to 3 as numbers and "s" and "z" as strings, and no other way (opt_value).
opt_value = $(if $(filter 0 1 2 3,$(1)),$(1),"$(1)")
opt_level = --config 'profile.release.opt-level=$(call opt_value,$(1))' \
	--config 'profile.release.package."*".opt-level=$(call opt_value,$(1))'
WASM_SIZE := $(call opt_level,z)
# The core alone may be built otherwise: `make bench CORE_OPT=3` measures what its size costs
# in speed (BENCHMARKS.md, "The core at opt-level 3"). "z" keeps its wasm within issue 7's
# 80 KB.
CORE_OPT ?= z
# The ranker links tract-core and tract-nnef less their registrations of named model
# transforms, which kept 3.2 MB of code alive (scripts/patched-tract.mjs says why). Cargo
# writes the patch into Cargo.lock, so the lockfile is put back afterwards (pass, fail or
# interrupt); no other cargo may run meanwhile, hence .NOTPARALLEL.
RANKER_PATCH := \
	--config 'patch.crates-io.tract-core.path="$(CURDIR)/target/patched/tract-core"' \
	--config 'patch.crates-io.tract-nnef.path="$(CURDIR)/target/patched/tract-nnef"'
# Both builds write their JavaScript snippets (`inline_js`) to one folder named after the
# crate, numbered from 0: the ranker must write none, or its files would replace the core's.
sdk: setup
	rm -rf js/pkg/snippets target/core-snippets
	$(WASM_PACK) --out-name vitrine -- --no-default-features $(call opt_level,$(CORE_OPT))
	cp -r js/pkg/snippets target/core-snippets
	node scripts/patched-tract.mjs
	cp Cargo.lock target/patched/Cargo.lock
	trap 'cp target/patched/Cargo.lock Cargo.lock' EXIT; \
		$(WASM_PACK) --out-name vitrine_ranker -- --no-default-features --features ranker \
		$(WASM_SIZE) $(RANKER_PATCH)
	diff -r target/core-snippets js/pkg/snippets
	cd js && npm run build

# The SDK as shipped and benchmarked: `make sdk`, then wasm-opt over both modules (a minute
# the first time; cached by input hash in target/wasm-opt), then the package's copy of js/pkg
# again.
sdk-release: sdk bench-deps
	node scripts/wasm-opt.mjs
	cd js && node scripts/copy-pkg.mjs && node scripts/minify.mjs dist/pkg

# npm's own node_modules/.package-lock.json never equals the lockfile: keep a copy instead.
bench-deps:
	cd bench && { cmp -s package-lock.json node_modules/.installed-lock.json || \
		{ npm ci --no-audit --no-fund && cp package-lock.json node_modules/.installed-lock.json; }; }

demo: sdk
	$(CARGO) build --release -p vitrine-demo
	@echo "Vitrine demo store: http://$(ADDR)"
	$(CARGO) run --release -q -p vitrine-demo -- --addr $(ADDR)

lint: setup
	$(CARGO) fmt --all --check
	# The benchmark is not run by `make test`: check at least that its scripts parse.
	for f in bench/*.mjs; do node --check "$$f" || exit 1; done
	$(CARGO) clippy --workspace --all-targets -- -D warnings
	$(CARGO) clippy --release --lib --tests --target wasm32-unknown-unknown -- -D warnings
	$(CARGO) clippy --release --lib --target wasm32-unknown-unknown --no-default-features \
		-- -D warnings
	$(CARGO) clippy --release --lib --target wasm32-unknown-unknown --no-default-features \
		--features ranker -- -D warnings

test-native: setup
	$(CARGO) test --workspace

test-wasm: setup
	$(CARGO) test --release --target wasm32-unknown-unknown --test web

test-e2e: sdk
	$(CARGO) build --release -p vitrine-demo
	# `make demo` and demo-site/README.md start the store with `cargo run -p vitrine-demo`,
	# which must pick the store among the package's binaries.
	$(CARGO) run --release -q -p vitrine-demo -- --help > /dev/null
	cd tests/e2e && node --test

# The pipeline test replays with the vitrine-dataset that `cargo test --workspace` built:
# `cargo run` would resolve features without the dev-dependencies and rebuild tract (minutes).
test-model: setup
	scripts/python-env.sh
	$(CARGO) test --workspace --no-run -q
	cd models && VITRINE_DATASET_COMMAND="$(CURDIR)/target/debug/vitrine-dataset" \
		.venv/bin/python -m pytest -q

# The npm package as stores get it: unit tests, the API reference up to date, then the packed
# tarball in Node (SSR), a fresh Vite app (plain, React, <vitrine-widget>) and a plain page.
test-package: sdk
	cd js && node --test test/
	cd js && npm run docs:check
	cd tests/package && node --test

size: sdk
	cd js && npm run size

docs: sdk
	cd js && npm run docs

test: lint test-native test-wasm test-e2e test-model test-package

model: setup
	scripts/python-env.sh
	cd models && .venv/bin/python train.py

measure: sdk
	$(CARGO) build --release -p vitrine-demo
	cd tests/e2e && node measure-start.mjs

# Each shared log split by time (last 20% of sessions as test), then vitrine-eval on it.
EVAL := target/release/vitrine-eval
EVAL_DIR := models/build/eval
DATA := ../shared/data

eval:
	$(CARGO) build --release --bin vitrine-eval
	mkdir -p $(EVAL_DIR)
	$(EVAL) --format rees46 --split $(DATA)/rees46/2019-10-01-sessions.csv \
		--write-train $(EVAL_DIR)/rees46-train.csv --write-test $(EVAL_DIR)/rees46-test.csv
	$(EVAL) --format rees46 --train $(EVAL_DIR)/rees46-train.csv \
		--test $(EVAL_DIR)/rees46-test.csv
	$(EVAL) --format diginetica --split $(DATA)/diginetica/train-item-views-sample.csv \
		--write-train $(EVAL_DIR)/diginetica-train.csv \
		--write-test $(EVAL_DIR)/diginetica-test.csv
	$(EVAL) --format diginetica --train $(EVAL_DIR)/diginetica-train.csv \
		--test $(EVAL_DIR)/diginetica-test.csv \
		--categories $(DATA)/diginetica/product-categories.csv
	$(EVAL) --format online-retail --split $(DATA)/online-retail/2010-12-01-to-07-baskets.csv \
		--write-train $(EVAL_DIR)/online-retail-train.csv \
		--write-test $(EVAL_DIR)/online-retail-test.csv
	$(EVAL) --format online-retail --train $(EVAL_DIR)/online-retail-train.csv \
		--test $(EVAL_DIR)/online-retail-test.csv
# The data inventory of PRIVACY.md; `cargo test --lib inventory` fails while it is stale.
inventory:
	$(CARGO) run -q --bin vitrine-inventory

# The shopper segments the SDK embeds: the same data and seed always write the same file.
segments:
	$(CARGO) run -q --release --bin vitrine-segments -- \
		--input $(DATA)/rees46/2019-10-01-sessions.csv --out models/segments.json --seed 2026

# Side by side in one headless Chromium: not a test, nothing is asserted but the runtimes'
# agreement. Writes BENCHMARKS.md and target/bench/results.json.
bench: sdk-release
	$(CARGO) build --release -p vitrine-demo
	cd bench && node run.mjs

# Not tests: they print figures (demo-site/COLLECTOR.md). The load test starts the release
# collector on its own on a free loopback port; LOAD_ARGS="--batches 50000" and so on.
load:
	$(CARGO) build --release -p vitrine-demo --bins
	target/release/vitrine-load $(LOAD_ARGS)

simulate:
	$(CARGO) build --release -p vitrine-demo --bin vitrine-simulate
	target/release/vitrine-simulate $(SIMULATE_ARGS)

# Where a re-rank's time goes: Chromium's sampling profiler over re-ranks of 100 items;
# PROFILE_PART=decide profiles the ranking alone, without the DOM or a model.
bench-profile: sdk bench-deps
	cd bench && node profile.mjs
