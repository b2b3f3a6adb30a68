# IRIS — the two commands: `make demo` and `make test`. Both install what they need first.
PYTHON ?= python3.11
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.install-stamp

.PHONY: install demo test test-external lint typecheck up clean

install: $(STAMP)

$(STAMP): pyproject.toml
	@command -v $(PYTHON) >/dev/null 2>&1 || { echo "Python 3.11 is required (set PYTHON=...)"; exit 1; }
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

## Run the main job: embedded PostgreSQL + Redis, migrations, the whole asset graph, a summary.
demo: install
	$(BIN)/iris demo --no-serve $(ARGS)

## Run the whole test suite (embedded services unless IRIS_DATABASE_URL / IRIS_REDIS_URL are set).
test: install
	$(BIN)/python -m pytest -n 2 --dist loadfile $(ARGS)

## The same suite against the PostgreSQL and Redis already running on 127.0.0.1.
test-external: install
	IRIS_DATABASE_URL=$${IRIS_DATABASE_URL:-postgresql://postgres@127.0.0.1:5432/postgres} \
	IRIS_REDIS_URL=$${IRIS_REDIS_URL:-redis://127.0.0.1:6379/0} \
	$(BIN)/python -m pytest -n 2 --dist loadfile $(ARGS)

# Lint only: the code is wrapped by hand at 120 columns (aligned continuation lines), which `ruff format`
# would rewrap, so the formatter is not part of the check.
lint: install
	$(BIN)/ruff check .

typecheck: install
	$(BIN)/mypy

## Start services, migrate, and serve the Dagster UI and the API.
up: install
	$(BIN)/iris up

clean:
	-$(BIN)/iris services stop
	rm -rf .iris
