# The two set-up commands of the README: `make run` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
PYTEST_WORKERS ?= 2

.PHONY: install run test bench fuzz lab-record clean

install: $(STAMP)

# Versions pinned by constraints.txt (what the suite last passed with), so CI and a newcomer get the same.
$(STAMP): pyproject.toml constraints.txt collectors/batch/_kernel.c
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet --constraint constraints.txt -e '.[test,postgres]'
	touch $(STAMP)

# The first run: a SQLite store in .appliance/ (or APPLIANCE_DATA_DIR), the project's recorded real-client
# calls imported once, a new admin token printed, a collector on APPLIANCE_INTERFACES if set, and the
# dashboard on http://127.0.0.1:8080/ (`appliance first-run`).
run: install
	APPLIANCE_DATA_DIR="$${APPLIANCE_DATA_DIR:-$(CURDIR)/.appliance}" $(BIN)/appliance first-run

test: install
	$(BIN)/pytest -n $(PYTEST_WORKERS) -q

bench: install
	$(BIN)/python -m bench.offline
	$(BIN)/python -m bench.live
	$(BIN)/python -m bench.live_fast
	$(BIN)/python -m bench.memory
	$(BIN)/python -m bench.api_load
	$(BIN)/python -m bench.hostile
	$(BIN)/python -m bench.site --phones 300 --seconds 60

# Fuzzing of every decoder and parser with atheris (tests/fuzz/README.md): FUZZ_RUNS inputs per target,
# a hang is an input over 5 s, an RSS over 1 GiB is unbounded memory; prints the table of results.
FUZZ_RUNS ?= 1000000
FUZZ_JOBS ?= 1
fuzz: install
	$(BIN)/python -m tests.fuzz.run --runs $(FUZZ_RUNS) --jobs $(FUZZ_JOBS) --timeout 5 --rss-limit-mb 1024 $(FUZZ_ARGS)

lab-record: install
	tests/data/lab/record.sh

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache .hypothesis bench/out
