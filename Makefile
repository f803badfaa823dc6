# quanlu — `make help` lists the targets.
SHELL := /bin/bash
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
export QUANLU_DATA_DIR ?= $(CURDIR)/var

.DEFAULT_GOAL := help

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-12s %s\n", $$1, $$2}'

$(STAMP): pyproject.toml constraints.txt
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -c constraints.txt -e '.[dev]'
	@touch $(STAMP)

venv: $(STAMP) ## create .venv and install quanlu with its pinned dependencies

# Debian packages, installed only when missing (apt-get through sudo unless root). Each
# check is a variable so a test can run the target dry: `make run-deps APT="echo apt-get"`.
APT ?= apt-get
SUDO ?= $(if $(filter 0,$(shell id -u)),,sudo)
FC_LIST ?= fc-list
LDCONFIG ?= /sbin/ldconfig
# What the running product needs: the CJK fonts documents are typeset in (fonts-noto-cjk,
# listed by fontconfig's fc-list), the libraries WeasyPrint loads to render PDF/A (Pango,
# HarfBuzz's subsetter; its pip wheel bundles none), and Python's venv module.
RUN_DEPS_MISSING = \
	command -v $(FC_LIST) >/dev/null || missing="$$missing fontconfig"; \
	$(FC_LIST) : family 2>/dev/null | grep -qi 'Noto Sans CJK' || missing="$$missing fonts-noto-cjk"; \
	$(LDCONFIG) -p 2>/dev/null | grep -q 'libpangoft2-1.0.so.0' || missing="$$missing libpango-1.0-0 libpangoft2-1.0-0"; \
	$(LDCONFIG) -p 2>/dev/null | grep -q 'libharfbuzz-subset.so.0' || missing="$$missing libharfbuzz-subset0"; \
	$(PYTHON) -c 'import ensurepip' 2>/dev/null || missing="$$missing python3-venv";
# What only the tests need: a browser, PDF rasterising, and LibreOffice for the DOCX checks.
TEST_DEPS_MISSING = \
	command -v chromium >/dev/null || missing="$$missing chromium"; \
	command -v pdftoppm >/dev/null || missing="$$missing poppler-utils"; \
	command -v soffice >/dev/null || missing="$$missing libreoffice-writer-nogui";
# The real S3 server the storage tests run against (a throw-away Ceph RADOS Gateway,
# quanlu.testing.rgw): installed without recommends, which would add tools it never uses.
RADOSGW ?= radosgw
S3_DEPS_MISSING = \
	command -v $(RADOSGW) >/dev/null || lean="$$lean ceph-mon ceph-osd radosgw";
INSTALL_MISSING = \
	if [ -n "$$missing$$lean" ]; then \
	  echo "installing:$$missing$$lean"; \
	  $(SUDO) $(APT) update -qq \
	  && { [ -z "$$missing" ] || DEBIAN_FRONTEND=noninteractive $(SUDO) $(APT) install -y -qq $$missing >/dev/null; } \
	  && { [ -z "$$lean" ] || DEBIAN_FRONTEND=noninteractive $(SUDO) $(APT) install -y -qq --no-install-recommends $$lean >/dev/null; } \
	  || { echo "could not install:$$missing$$lean — run: sudo apt-get install$$missing$$lean"; exit 1; }; \
	fi

run-deps: ## install the Debian packages the running product needs (fonts, Pango), when missing
	@missing=""; lean=""; $(RUN_DEPS_MISSING) $(INSTALL_MISSING)

s3-deps: ## install the S3 server the storage tests start (Ceph RADOS Gateway), when missing
	@missing=""; lean=""; $(S3_DEPS_MISSING) $(INSTALL_MISSING)

system-deps: ## install the Debian packages the product and its tests need (run-deps + browser, PDF, LibreOffice, RGW)
	@missing=""; lean=""; $(RUN_DEPS_MISSING) $(TEST_DEPS_MISSING) $(S3_DEPS_MISSING) $(INSTALL_MISSING)

run: run-deps venv ## set up everything, load the demo data and serve on http://127.0.0.1:8000
	$(BIN)/quanlu migrate --noinput
	$(BIN)/quanlu demo
	$(BIN)/quanlu serve

lint: venv ## ruff, mypy and the import contracts (lint-imports, see pyproject.toml)
	$(BIN)/ruff check src $(wildcard bench)
	$(BIN)/ruff format --check src $(wildcard bench)
	$(BIN)/mypy
	$(BIN)/lint-imports --no-logo

test: venv system-deps ## lint, then all tests on SQLite, and on PostgreSQL when QUANLU_TEST_DATABASE_URL is set
	$(MAKE) --no-print-directory lint
	@# The two databases run side by side (each suite is one process; the machine has
	@# cores to spare); the PostgreSQL run gets its own data folder and its log is
	@# printed after the SQLite one. Both must pass. Tests marked engine_independent (the
	@# per-regulation walks: rendering-bound, engine-free semantics) run on SQLite only.
	@mkdir -p var; rm -f var/test-pg.log var/test-pg.rc; \
	if [ -n "$$QUANLU_TEST_DATABASE_URL" ]; then \
	  ( QUANLU_DATA_DIR="$(CURDIR)/var/test-pg" QUANLU_DATABASE_URL="$$QUANLU_TEST_DATABASE_URL" \
	    $(BIN)/pytest -p no:cacheprovider -q --durations=15 -m "not engine_independent" >var/test-pg.log 2>&1; echo $$? >var/test-pg.rc ) & \
	fi; \
	echo "== SQLite"; QUANLU_DATA_DIR="$(CURDIR)/var/test-sqlite" $(BIN)/pytest -p no:cacheprovider -q --durations=15; rc=$$?; \
	wait; \
	if [ -n "$$QUANLU_TEST_DATABASE_URL" ]; then \
	  echo "== PostgreSQL: $$QUANLU_TEST_DATABASE_URL"; cat var/test-pg.log; \
	  [ "$$(cat var/test-pg.rc)" = 0 ] || rc=1; \
	fi; \
	exit $$rc

BENCH_SUPERVISION_ARGS ?= --quick

bench: venv ## run the benchmarks in bench/ (prints ratios against same-run baselines)
	$(BIN)/pip install --quiet -c constraints.txt -e '.[dev,bench]'
	@# The supervision benchmark measures a site scaled with `quanlu demo --scale N`
	@# (docs/notes/scale.md); here it builds its own small one unless told otherwise.
	@ls bench/*.py >/dev/null 2>&1 && for b in bench/bench_*.py; do \
	  args=""; [ "$$b" = bench/bench_supervision.py ] && args="$(BENCH_SUPERVISION_ARGS)"; \
	  $(BIN)/python $$b $$args || exit 1; done || echo "no benchmarks yet"

clean: ## remove the virtualenv and local data
	rm -rf $(VENV) var

.PHONY: help venv run-deps s3-deps system-deps run lint test bench clean
