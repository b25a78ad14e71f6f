# Jiuzhu: `make run` sets up everything and starts the app and the scheduler; `make test` runs the suite.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 5000
# 公示 length for the demo: empty means the county's real rule (7 days). `make run PUBLICITY=PT2M` shortens it.
PUBLICITY ?=
export PYTHONPATH := $(CURDIR)

.PHONY: run test bench bench-households bench-province setup assets db chromium clean

$(BIN)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $@

setup: $(BIN)/.installed assets

webapp/static/vendor/.installed: package.json
	npm install --no-audit --no-fund --loglevel=error
	mkdir -p webapp/static/vendor/bpmn-js
	cp node_modules/bpmn-js/dist/bpmn-navigated-viewer.production.min.js node_modules/bpmn-js/dist/bpmn-modeler.production.min.js webapp/static/vendor/bpmn-js/
	cp -r node_modules/bpmn-js/dist/assets/* webapp/static/vendor/bpmn-js/
	mkdir -p webapp/static/vendor/echarts
	cp node_modules/echarts/dist/echarts.min.js webapp/static/vendor/echarts/
	touch $@

# The designer's workbench: our sources in webapp/assets/ bundled with bpmn-js and its properties panel (npm).
DESIGNER_SOURCES := $(wildcard webapp/assets/designer/*.js)
webapp/static/vendor/designer/.built: webapp/static/vendor/.installed $(DESIGNER_SOURCES)
	mkdir -p webapp/static/vendor/designer
	node_modules/.bin/esbuild webapp/assets/designer/modeler.js webapp/assets/designer/diff.js webapp/assets/designer/decision.js webapp/assets/designer/simulate.js --bundle --minify \
		--format=iife --target=es2020 --log-level=warning --outdir=webapp/static/vendor/designer
	cp node_modules/@bpmn-io/properties-panel/dist/assets/properties-panel.css \
		node_modules/bpmn-js-bpmnlint/dist/assets/css/bpmn-js-bpmnlint.css webapp/static/vendor/designer/
	cp -r node_modules/dmn-js/dist/assets/dmn-js-shared.css node_modules/dmn-js/dist/assets/dmn-js-decision-table.css \
		node_modules/dmn-js/dist/assets/dmn-js-decision-table-controls.css node_modules/dmn-js/dist/assets/dmn-font \
		webapp/static/vendor/designer/
	touch $@

assets: webapp/static/vendor/.installed webapp/static/vendor/designer/.built

db: setup
	$(BIN)/jiuzhu migrate
	$(BIN)/jiuzhu deploy
	JIUZHU_PUBLICITY_DURATION=$(PUBLICITY) $(BIN)/jiuzhu demo

run: db
	@echo "Starting the scheduler and the web app on http://$(HOST):$(PORT)/  (Ctrl-C stops both)"
	@JIUZHU_PUBLICITY_DURATION=$(PUBLICITY) $(BIN)/jiuzhu scheduler --interval 5 & sched=$$!; \
	trap "kill $$sched 2>/dev/null" EXIT INT TERM; \
	JIUZHU_PUBLICITY_DURATION=$(PUBLICITY) $(BIN)/jiuzhu run --host $(HOST) --port $(PORT)

chromium:
	@test -x /usr/bin/chromium || (apt-get update -qq && apt-get install -y -qq chromium >/dev/null)

test: setup chromium
	JIUZHU_REQUIRE_FLOW_COVERAGE=1 $(BIN)/python -m pytest -n 2 --dist loadgroup tests

# The whole bench (bench/README.md); it ends with the household registry at province scale, which
# `make bench-households` runs alone (PostgreSQL only).
bench: setup
	$(BIN)/python -m bench.run

bench-households: setup
	$(BIN)/python -m bench.households

# Supervision at a province's size (bench/README.md): pages, search, payment roll, reviews, sweep. PostgreSQL only.
bench-province: setup
	$(BIN)/python -m bench.province

clean:
	rm -rf $(VENV) node_modules webapp/static/vendor instance
