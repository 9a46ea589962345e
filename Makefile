# StackAudit: every command a person needs. Run as root (the lab makes namespaces and firewalls).
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
APT_PACKAGES := openssh-server openssh-client iptables iproute2 mariadb-server mariadb-client tini procps openssl \
	default-jre-headless sudo
# What only the suite's own tests need: Chromium renders report.html headless (tests/report).
TEST_APT_PACKAGES := chromium fonts-dejavu-core
SCENARIO ?= lab/scenarios/compliant.yml
STATE_DIR ?= .lab

.PHONY: setup lock system-packages test-packages test test-fast docs lab-up lab-down lab-status demo clean bench-lab bench-suite bench-unreachable bench-masking bench-config bench-security-groups bench

setup: system-packages $(VENV)/.installed node_modules/.installed

# Installs Debian packages, only those missing: the lab's, Java for Allure, and Node.js with npm
# unless the machine already has an npm of its own.
define apt_install_missing
	@missing=$$(for p in $(1); do dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | grep -q '^install ok installed' || echo $$p; done); \
	if [ -n "$$missing" ]; then \
		echo "installing: $$missing"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing >/dev/null; \
	fi
endef

system-packages:
	$(call apt_install_missing,$(APT_PACKAGES) $(if $(shell command -v npm),,nodejs npm))

test-packages:
	$(call apt_install_missing,$(TEST_APT_PACKAGES))

# Allure 2's command-line tool (npm allure-commandline, pinned in package-lock.json), which writes
# report.html. ALLURE_NO_ANALYTICS: stackaudit sets it for every allure command it runs.
node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

# The hash-pinned lock first (requirements.txt: every package, dependencies of dependencies too,
# each with the sha256 of its files; pip refuses a file whose hash is not there, and wheels only:
# building a source package would fetch its build tools unchecked), then StackAudit itself
# (editable: the checkout is what runs; --no-deps: the lock holds its dependencies;
# --no-build-isolation: built with the lock's setuptools, not one fetched for the build).
# Installing it registers the pytest plugin (entry point `stackaudit.plugin`) and the `stackaudit`
# command. deploy/Dockerfile installs the same way.
$(VENV)/.installed: requirements.txt pyproject.toml setup.py
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --disable-pip-version-check --require-hashes --only-binary=:all: -r requirements.txt
	$(PY) -m pip install -q --disable-pip-version-check --no-deps --no-build-isolation -e .
	touch $@

# requirements.txt made anew from pyproject.toml's pins (and its `test` extra) by pip-compile
# (pip-tools, https://github.com/jazzband/pip-tools): every dependency pinned, with the hashes of
# every file of each pinned release, and setuptools for the build (--build-deps-for). Run it after
# changing a pin in pyproject.toml; pip-tools goes into a throwaway virtual environment.
lock:
	@tmp=$$(mktemp -d) && $(PYTHON) -m venv $$tmp && $$tmp/bin/pip install -q --disable-pip-version-check pip-tools==7.7.0 \
		&& CUSTOM_COMPILE_COMMAND="make lock" $$tmp/bin/pip-compile --quiet --generate-hashes --allow-unsafe \
			--extra test --build-deps-for wheel --build-deps-for editable --strip-extras --no-emit-index-url \
			--no-emit-find-links -o requirements.txt pyproject.toml; \
		status=$$?; rm -rf $$tmp; exit $$status

# pytest.ini leaves Hypothesis's pytest plugin out (the operator's suite has no Hypothesis test, and the
# plugin imports all of Hypothesis at each run's end, 0.3 to 0.7 s); the suite's own tests take it back.
PYTEST_TESTS := $(PY) -m pytest -p hypothesispytest tests

test: setup test-packages
	$(PYTEST_TESTS)

# Unit tests only: no root, no lab, no process started, no Node (pytest.ini's markers; `make test` runs all),
# each Hypothesis test drawing a tenth of its examples (tests/unit/hypothesis_budget.py).
test-fast: setup
	HYPOTHESIS_PROFILE=fast $(PYTEST_TESTS) -m "not lab and not integration"

# docs/accounts.md and docs/checks.md, made from the code (a fast test fails when one is out of date)
docs: setup
	$(PY) -m stackaudit.generated_docs

lab-up: setup
	$(PY) -m lab up $(SCENARIO) --state-dir $(STATE_DIR)

lab-down:
	$(PY) -m lab down --state-dir $(STATE_DIR)

lab-status:
	$(PY) -m lab status --state-dir $(STATE_DIR)

# The main job against the lab: bring up the cloud with seeded violations, run every check in
# parallel into a new run directory (reports/runs/<UTC time>, reports/latest), print the per-check
# summary and what changed since the previous run, bring the lab down, and end with the path of the
# run's report.html (run it twice: the report's trend shows both runs).
DEMO_STATE := .lab-demo
demo: setup
	@$(PY) -m lab down --state-dir $(DEMO_STATE) >/dev/null 2>&1 || true
	$(PY) -m lab up lab/scenarios/violations.yml --state-dir $(DEMO_STATE)
	@status=0; $(PY) -m stackaudit run --inventory=$(DEMO_STATE)/inventory.yml || status=$$?; \
	$(PY) -m lab down --state-dir $(DEMO_STATE); \
	echo "suite exit code: $$status (1: a critical check failed, as seeded; see README for the codes)"; \
	echo "Run directory: $$(readlink -f reports/latest)"; \
	report=$$(readlink -f reports/latest)/report.html; \
	if [ -f "$$report" ]; then echo "Report: $$report"; else echo "no report.html: see the error above"; exit 1; fi

clean: lab-down
	rm -rf $(STATE_DIR)

bench-lab: setup
	$(PY) benchmarks/lab_up.py 10 50 200

# Wall time of the whole suite against a generated 50-host lab, serial and with 1, 2 and 4 workers.
bench-suite: setup
	$(PY) benchmarks/suite_run.py --hosts 50 --zones 2 --workers 0,1,2,4

# A cloud whose API lists 520 KVM hosts, 500 of them with nothing behind them (issue 12, item 4).
bench-unreachable: setup
	$(PY) benchmarks/unreachable_members.py --hosts 520 --unreachable 500 --no-clean

# Masking time against hostile lines at 4, 16 and 64 KiB and 1 MiB (issue 18; no lab, under a minute).
bench-masking: setup
	$(PY) benchmarks/masking.py

# The configuration loaders on the biggest and most hostile files they accept (no lab, seconds).
bench-config: setup
	$(PY) benchmarks/config_loading.py

# The fleet benchmark (issue 13): StackAudit against the SSH floor, naive testinfra and Ansible on a
# generated compliant lab of HOSTS hosts (docs/benchmarks.md, "Fleet benchmark"). SCALE=100,500 also measures the
# floor and StackAudit alone at those sizes, for seconds per target. SG_VMS=100: every KVM host carries
# 100 VMs' security-group rules (lab/security_groups.py).
HOSTS ?= 100
SCALE ?=
SG_VMS ?=
bench: setup
	$(PY) benchmarks/fleet.py --hosts $(HOSTS) $(if $(SCALE),--scale $(SCALE)) $(if $(SG_VMS),--security-group-vms $(SG_VMS))

# One firewall check of a KVM host with 100 to 1,000 VMs' security-group rules (issue 19; docs/security-groups.md).
bench-security-groups: setup
	$(PY) benchmarks/security_groups.py --vms 100,250,500,1000
