# Two commands: `make run` (set up + default pipeline) and `make test` (set up + tests).
# Both are idempotent: the virtualenv is (re)built only when requirements change.
PYTHON ?= python3
VENV   := .venv
STAMP  := $(VENV)/.installed
CORES  ?= all
SMK    := $(VENV)/bin/snakemake

.PHONY: run test venv lint format report clean

$(STAMP): requirements.txt pyproject.toml
	test -x $(VENV)/bin/python || $(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet -r requirements.txt
	$(VENV)/bin/pip install --quiet --no-deps --no-build-isolation -e .
	touch $(STAMP)

venv: $(STAMP)

run: $(STAMP)
	$(SMK) --cores $(CORES)

test: $(STAMP)
	$(VENV)/bin/python -m pytest

lint: $(STAMP)
	$(SMK) --lint
	$(VENV)/bin/snakefmt --check Snakefile workflow/rules

format: $(STAMP)
	$(VENV)/bin/snakefmt Snakefile workflow/rules

report: $(STAMP)
	$(SMK) --cores $(CORES) --report results/report.html

clean:
	rm -rf results .snakemake
