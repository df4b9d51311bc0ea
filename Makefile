# Two commands for a fresh machine: `make run` (the offline demo) and `make test` (all tests).
.PHONY: run test sandbox bench setup
SHELL := /bin/bash

run:
	@scripts/run.sh

test:
	@scripts/test.sh

sandbox:
	@scripts/sandbox.sh

bench:
	@scripts/bench.sh

setup:
	@bash -c 'source scripts/common.sh && ensure_all && echo "Set-up complete."'
