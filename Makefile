# sfp: `make` builds dist/sfp.pyz, `make test` checks everything, `make demo` shows it working.
PYTHON ?= python3
VENV := .venv
VPY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-$(shell cksum < requirements-dev.txt | cut -d' ' -f1)
# How many other interpreters `make test` runs the unit suite under at once (2 CPUs: 1 keeps timings honest).
INTERPRETER_JOBS ?= 1

.PHONY: all venv build lean test typecheck interpreters e2e client demo bench clean

all: build

$(STAMP): requirements-dev.txt
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11) and "sfp needs Python >= 3.11: set PYTHON=python3.11 (or newer)")'
	$(PYTHON) -m venv $(VENV)
	$(VPY) -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	@rm -f $(VENV)/.installed-* && touch $@

venv: $(STAMP)

build: $(STAMP)
	$(VPY) build.py

lean: $(STAMP)
	$(VPY) build.py --lean

typecheck: $(STAMP)
	$(VPY) -m mypy sfp tests

# The whole suite, the real-client e2e tests included (they install the client
# from the npm registry into .cache/, or are skipped with a loud reason), the
# report's browser test and the zsh completion test (Debian's chromium and zsh,
# installed here when missing; where they can't be, those tests are skipped with
# the reason); then the unit suite under every other CPython >= 3.11 on the machine.
test: build lean typecheck
	-$(VPY) tests/report/browser.py install
	@command -v zsh > /dev/null || apt-get install -y -q zsh > /dev/null 2>&1 || echo "test: zsh could not be installed: the zsh completion tests will be skipped"
	$(VPY) -m pytest -rs
	$(VPY) tests/interpreters.py --main $(VPY) --jobs $(INTERPRETER_JOBS)

# The unit suite (not tests/e2e) under each other CPython >= 3.11 found: /usr/bin,
# /usr/local/bin, pyenv, python3.1x on PATH; one venv each, cached in .cache/interpreters/.
interpreters: $(STAMP)
	$(VPY) tests/interpreters.py --main $(VPY) --jobs $(INTERPRETER_JOBS)

client: $(STAMP)
	$(VPY) tests/e2e/client.py install

e2e: build
	$(VPY) -m pytest tests/e2e -m e2e -rs

demo: build
	$(PYTHON) dist/sfp.pyz demo

# Every benchmark, in one run; results and the machine go in docs/benchmarks.md.
bench: build lean
	$(VPY) bench/run.py
	$(VPY) bench/precompact_bench.py --mb 100
	@if [ -d ../shared/fixtures/transcripts-public ]; then \
		$(VPY) bench/precompact_bench.py --largest-in ../shared/fixtures/transcripts-public --rounds 10; \
	else echo "bench: SKIPPED PreCompact on the largest public transcript: ../shared/fixtures/transcripts-public is absent"; fi
	$(VPY) bench/transcript_bench.py
	$(VPY) bench/gates_bench.py
	$(VPY) bench/backup_bench.py
	$(VPY) bench/secrets_corpus.py
	@command -v rg > /dev/null || apt-get install -y -q ripgrep > /dev/null 2>&1 || echo "bench: ripgrep could not be installed"
	$(VPY) bench/secrets_bench.py

clean:
	rm -rf dist build .mypy_cache .pytest_cache
