# The two set-up commands of the README: `make run` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
PYTEST_WORKERS ?= 2

.PHONY: install run test bench lab-record clean

install: $(STAMP)

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $(STAMP)

# Until the service exists (issue 5), `run` classifies the project's own recorded real-client calls.
run: install
	$(BIN)/appliance analyze tests/data/lab/*.pcap --format table

test: install
	$(BIN)/pytest -n $(PYTEST_WORKERS) -q

bench: install
	$(BIN)/python -m bench.offline
	$(BIN)/python -m bench.live

lab-record: install
	tests/data/lab/record.sh

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache .hypothesis bench/out
