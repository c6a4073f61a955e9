# Two commands: `make run` (set up + default pipeline) and `make test` (set up + tests).
# Both are idempotent: the virtualenv is (re)built only when requirements change.
PYTHON ?= python3
VENV   := .venv
STAMP  := $(VENV)/.installed
CORES  ?= all
# CONFIG=path.yaml: run that complete config instead of config/config.yaml, checked first
# (a missing file or a YAML error is one line naming the file, line and column).
CONFIG ?=
SMK    := $(VENV)/bin/snakemake

.PHONY: run test venv lint format report claims clean

$(STAMP): requirements.txt pyproject.toml
	test -x $(VENV)/bin/python || $(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet -r requirements.txt
	$(VENV)/bin/pip install --quiet --no-deps --no-build-isolation -e .
	touch $(STAMP)

venv: $(STAMP)

run: $(STAMP)
ifneq ($(CONFIG),)
	$(VENV)/bin/python -m easy2hard.pipeline.config $(CONFIG)
	$(SMK) --cores $(CORES) --configfile $(CONFIG)
else
	$(SMK) --cores $(CORES)
endif

test: $(STAMP)
	$(VENV)/bin/python -m pytest

lint: $(STAMP)
	$(SMK) --lint
	$(VENV)/bin/snakefmt --check Snakefile workflow/rules

format: $(STAMP)
	$(VENV)/bin/snakefmt Snakefile workflow/rules

# The report of CONFIG (default config/config.yaml) lands in that config's results_dir. A
# missing config, or no run yet, is one line (easy2hard.pipeline.report_root).
REPORT_CONFIG = $(or $(CONFIG),config/config.yaml)
report: $(STAMP)
	@root="$$($(VENV)/bin/python -m easy2hard.pipeline.report_root $(REPORT_CONFIG))" && \
	$(SMK) --cores $(CORES) --configfile $(REPORT_CONFIG) --report "$$root/report.html"

# docs/claims.md from the default run's claims (after `make run`): the claims table, its
# machine and commit, and a hash of the claim definitions (tests/test_claims_docs.py).
claims: $(STAMP)
	$(VENV)/bin/python -m easy2hard.pipeline.claims_report results/claims.parquet docs/claims.md

clean:
	rm -rf results results-paper results-authors .snakemake
