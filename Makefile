# datadist — build, run, test. Every target installs the system packages it needs when missing.
SWIFT      ?= swift
SYS_PKGS   := libcurl4-openssl-dev libssl-dev pkg-config
# What the tests need besides the build: promtool (checks /metrics, CONTRACT §12); ip and iptables for the
# multi-host tests in network namespaces (issue 15); tcpdump captures a TLS pull to prove no plaintext leaves.
TEST_PKGS  := prometheus iproute2 iptables tcpdump
STRICT     := -Xswiftc -warnings-as-errors
RUN_ARGS   ?= --enable-switch-role
SUDO       := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: deps test-deps install-pkgs build run test pytest python-venv lint clean bench bench-deps schemathesis fuzz

deps:
	@$(MAKE) --no-print-directory install-pkgs PKGS="$(SYS_PKGS)"

test-deps: deps
	@$(MAKE) --no-print-directory install-pkgs PKGS="$(TEST_PKGS)" APT_FLAGS=--no-install-recommends

# Installs the Debian packages in PKGS that are missing (apt-get update first; sudo when not root).
install-pkgs:
	@missing=""; for p in $(PKGS); do \
	  dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q "install ok installed" || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
	  echo "installing:$$missing"; \
	  $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq $(APT_FLAGS) $$missing; \
	fi

build: deps
	$(SWIFT) build $(STRICT)

# One node on the defaults of CONTRACT §2 (PROMPT, admin 127.0.0.1:9200, peer listener 127.0.0.1:26000).
run: deps
	$(SWIFT) build -c release --product datadist
	.build/release/datadist serve $(RUN_ARGS)

# As root (CI) the multi-host tests must run: NETNS_TESTS=require turns their skip into a failure.
test: test-deps
	$(SWIFT) build --build-tests $(STRICT)
	$(if $(SUDO),,NETNS_TESTS=require) $(SWIFT) test --skip-build
	@$(MAKE) --no-print-directory pytest

# The Python client and llm_datadist facade (clients/python) against live nodes of the debug build. pytest runs in
# a venv of test-only PyPI packages (scripts/venv.sh, made when missing): pytest, and openapi-core, which checks a
# live node's answers against openapi.yaml, and PyYAML, which reads deploy/ (issue 13). The client package itself
# stays standard library only.
PYTHON       ?= python3
PYTEST_VENV  := .build-pytest/venv
PYTEST_PINS  := pytest==9.0.3 openapi-core==0.23.1 PyYAML==6.0.3

# Debian's python3 keeps venv and ensurepip in python3-venv.
python-venv:
	@$(PYTHON) -c 'import ensurepip, venv' 2>/dev/null || $(MAKE) --no-print-directory install-pkgs PKGS=python3-venv

pytest: python-venv
	@PYTHON=$(PYTHON) scripts/venv.sh $(PYTEST_VENV) $(PYTEST_PINS)
	$(SWIFT) build --product datadist $(STRICT)
	cd clients/python && DATADIST_BIN=$(CURDIR)/.build/debug/datadist DATADIST_REQUIRE_OPENAPI_CORE=1 \
	  $(CURDIR)/$(PYTEST_VENV)/bin/python -m pytest -q

# Style; and deploy/ (issue 13): the manifests with kubernetes-validate --strict (PyPI, offline schemas, into
# .build-lint/venv) for the Kubernetes versions named here — 1.32, where the pod-index label the manifest reads
# went GA, and the newest the validator knows — and the systemd unit with systemd-analyze verify (Debian systemd).
K8S_VERSIONS ?= 1.32.0 1.37.0
LINT_VENV    := .build-lint/venv
LINT_PINS    := kubernetes-validate==1.37.0

lint: python-venv
	$(SWIFT) format lint --strict --recursive Sources Tests Package.swift
	@$(MAKE) --no-print-directory install-pkgs PKGS=systemd
	@PYTHON=$(PYTHON) scripts/venv.sh $(LINT_VENV) $(LINT_PINS)
	scripts/lint-deploy.sh $(LINT_VENV)/bin/kubernetes-validate $(K8S_VERSIONS)

clean:
	rm -rf .build

# Benchmarks (issue 5): release build in its own scratch folder, then every scenario against same-run
# baselines; prints a table and writes bench-results.json. `make bench QUICK=1` runs the < 2 min version.
BENCH_PKGS    := nginx-light wrk iperf3
BENCH_SCRATCH ?= .build-bench
BENCH_ARGS    ?= $(if $(QUICK),--quick)

bench-deps: deps
	@$(MAKE) --no-print-directory install-pkgs PKGS="$(BENCH_PKGS)"

bench: bench-deps
	$(SWIFT) build -c release --scratch-path $(BENCH_SCRATCH)
	$(BENCH_SCRATCH)/release/datadist-bench $(BENCH_ARGS)

# openapi.yaml against a live node (issue 13): a MIX node with --enable-switch-role inside a network namespace
# of its own (root), schemathesis (every check) for ST_SECONDS per run, without and with --admin-token. The
# relaxations, each with its CONTRACT section, are in scripts/schemathesis.toml. Installs schemathesis (PyPI)
# into .build-schemathesis/venv when missing.
ST_SECONDS ?= 90
ST_PKGS    := python3-venv iproute2

schemathesis: deps
	@$(MAKE) --no-print-directory install-pkgs PKGS="$(ST_PKGS)"
	$(SWIFT) build --product datadist $(STRICT)
	scripts/schemathesis.sh .build/debug/datadist $(ST_SECONDS)

# libFuzzer targets (Fuzz/): HTTP request parser in random splits, JSON parser, KV frame decoder, peer message
# decoders; built with swiftc -sanitize=fuzzer,address into .build-fuzz, each run FUZZ_SECONDS. A crash keeps
# its input under Fuzz/crashes/ and fails.
FUZZ_SECONDS ?= $(if $(SECONDS),$(SECONDS),60)

fuzz:
	SCRATCH=.build-fuzz Fuzz/build-and-run.sh $(FUZZ_SECONDS)
