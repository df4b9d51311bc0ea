# Two commands for a fresh machine: `make run` (the offline demo) and `make test` (all tests).
.PHONY: run test sandbox bench bench-scale bench-compare mutants screenshots pot setup
SHELL := /bin/bash

run:
	@scripts/run.sh

test:
	@scripts/test.sh

sandbox:
	@scripts/sandbox.sh

bench:
	@scripts/bench.sh

bench-scale:
	@scripts/bench.sh --scale

bench-compare:
	@scripts/bench.sh --compare 20000

screenshots:
	@scripts/screenshots.sh

pot:
	@scripts/pot.sh

mutants:
	@bash -c 'source scripts/common.sh && ensure_all && ODOO_SRC="$$ODOO_SRC" "$$PY" scripts/mutants.py $(MUTANTS)'

setup:
	@bash -c 'source scripts/common.sh && ensure_all && echo "Set-up complete."'
