# The two commands a newcomer needs: `make run` and `make test`.
SHELL := /bin/bash
.DEFAULT_GOAL := help

UV = $(shell scripts/ensure-uv.sh)
VENV := .venv
PY := $(VENV)/bin/python
MEMBERS := libs/servicekit libs/wechat services/accounts services/traffic services/weather services/socialsec services/inspection gateway sandbox
SERVICES := accounts traffic weather socialsec inspection
MEMBER_PYPROJECTS := $(addsuffix /pyproject.toml,$(MEMBERS))
TEST_POSTGRES_URL ?= postgresql+psycopg://postgres@127.0.0.1:5432/postgres
# pytest-xdist: one worker per core (at most 8, the gateway tests' Redis databases); the
# integration scenarios on the running suite share one worker, so the suite starts once.
XDIST := -n auto --maxprocesses 8 --dist loadgroup
# pytest caches its assertion-rewritten test modules beside them only where Python may write
# bytecode; with PYTHONDONTWRITEBYTECODE (set on some machines) every worker of every run would
# rewrite all 200 modules again, about 5 s.
PYTEST := PYTHONDONTWRITEBYTECODE= $(PY) -m pytest

.PHONY: help install keys run migrate seed test check fuzz test-postgres lint format lock client images compose-test clean

help: ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-14s %s\n", $$1, $$2}'

# Bytecode is compiled here, once (about 10 s), as pip would: every test run starts dozens of
# Python processes, each taking seconds longer to import from source (PYTHONDONTWRITEBYTECODE
# keeps Python from caching it by itself).
$(VENV)/.installed: requirements.lock $(MEMBER_PYPROJECTS)
	@uv="$(UV)"; \
	$$uv venv --quiet --allow-existing --python '>=3.11' $(VENV) && \
	$$uv pip sync --quiet --compile-bytecode --python $(PY) requirements.lock && \
	$$uv pip install --quiet --python $(PY) --no-deps $(addprefix -e ,$(MEMBERS)) && \
	$(PY) -m compileall -q $(addsuffix /src,$(MEMBERS)) >/dev/null
	@touch $@

install: $(VENV)/.installed ## Create .venv from the committed lock (hash-checked)

migrate: install ## Migrate every service's database to head
	@for s in $(SERVICES); do ENV=dev $(PY) -m $$s migrate || exit 1; done

seed: migrate ## Load the deterministic demo data (idempotent)
	@for s in $(SERVICES); do ENV=dev $(PY) -m $$s seed || exit 1; done

keys: install ## Generate development WeChat Pay keys under var/keys/ when none exist (never committed)
	@$(PY) -m wechat.pay_dev var/keys

run: seed keys ## Start the whole suite on SQLite (Ctrl-C stops every process)
	@echo ""
	@echo "  guanwei is starting:"
	@echo "    gateway     http://127.0.0.1:8000   (API docs: http://127.0.0.1:8000/docs)"
	@echo "    readiness   http://127.0.0.1:8000/readyz"
	@echo "    sandbox     http://127.0.0.1:8009"
	@echo "    services    accounts :8001  traffic :8002  weather :8003  socialsec :8004  inspection :8005"
	@echo "    internal    gateway :8010   (/internal/... for the services only)"
	@echo "  Ctrl-C stops all of them."
	@echo ""
	@ENV=dev exec $(VENV)/bin/honcho start -f Procfile

test: install ## Run every test that needs no external server
	$(PYTEST) $(XDIST)

check: lint ## Lint, then every test but the integration and slow ones (fast feedback)
	$(PYTEST) $(XDIST) -m "not integration and not slow" --ignore=tests/integration

fuzz: install ## Start the suite and fuzz every OpenAPI document with schemathesis: no 5xx allowed
	$(PY) scripts/fuzz.py

# The replica scenarios are left out: they run on PostgreSQL in `make test` already.
test-postgres: install ## Run the services', gateway's, sandbox's and integration tests against PostgreSQL
	TEST_DATABASE=postgres TEST_POSTGRES_URL=$(TEST_POSTGRES_URL) $(PYTEST) $(XDIST) \
		libs/servicekit/tests libs/wechat/tests services gateway/tests sandbox/tests tests/integration \
		--ignore=tests/integration/test_replicas.py

lint: install ## ruff format check and lint
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/ruff check .

format: install ## Apply ruff's formatting and safe fixes
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

lock: ## Re-resolve dependencies and export requirements.lock (uv.lock stays untracked)
	@uv="$(UV)"; $$uv lock && \
	$$uv export --quiet --frozen --all-packages --no-emit-workspace --format requirements-txt -o requirements.lock

CLIENT := clients/typescript

$(CLIENT)/node_modules/.package-lock.json: $(CLIENT)/package.json $(CLIENT)/package-lock.json
	cd $(CLIENT) && npm ci --no-audit --no-fund
	@touch $@

client: install $(CLIENT)/node_modules/.package-lock.json ## Generate the typed TypeScript client (clients/typescript) and compile its example
	$(PY) scripts/openapi_dump.py -o $(CLIENT)/openapi.json $(if $(URL),--url $(URL))
	cd $(CLIENT) && npm run --silent generate && npm run --silent build

images: install ## Build compose's images from Debian's packages alone (debootstrap; no image registry)
	@scripts/docker-engine.sh
	@PY=$(PY) deploy/images/build.sh

compose-test: install ## The integration scenarios against docker compose (2 replicas each), then all torn down
	PY=$(PY) scripts/compose-test.sh

clean: ## Remove the virtualenv and local databases
	rm -rf $(VENV) var
