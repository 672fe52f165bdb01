# Two commands on a fresh Debian 12 machine (as root): `make run` and `make test`.
# Everything else is a step they depend on.
SHELL := /bin/bash
.DEFAULT_GOAL := help
STAMP := node_modules/.package-lock.json
# The project's own Node.js (bin/setup-node.sh, the release in .node-version), first on PATH for
# every recipe
NODE_DIR := $(CURDIR)/.tools/node
export PATH := $(NODE_DIR)/bin:$(PATH)

.PHONY: help node deps build image prompts browser fail2ban promtool postgres kamailio systemd-analyze up down run test test-quick test-alone coverage lint test-unit test-integration test-faults test-cluster bench install uninstall clean

help:
	@echo "make run    install what is missing, start Asterisk + controller on the demo config (Ctrl-C stops)"
	@echo "make test   unit + integration + fault tests against a real containerized Asterisk"
	@echo "make lint   ESLint and Prettier's check (part of make test)"
	@echo "make test-quick   unit tests and one smoke call (the edit-test loop, under a minute with the build)"
	@echo "make test-alone   every integration and fault file on a fresh stack of its own"
	@echo "make coverage   the whole suite, with the controller's line coverage (unit and SIP tests together)"
	@echo "make test-faults   only the fault suite (controller killed at each step, Asterisk restarted)"
	@echo "make test-cluster   only the cluster test (Kamailio in front of two nodes, one killed)"
	@echo "make bench  benchmarks: prints a table, writes BENCHMARKS.md"
	@echo "make up / make down   the same stack in the background / stop it"
	@echo "make image  build the Asterisk image (cached)   make prompts  synthesize prompts"
	@echo "make install / make uninstall   a production instance with systemd units (docs/INSTALL.md)"

node:
	@bash bin/setup-node.sh

# npm ci again whenever the Node release changes: better-sqlite3 is built for one ABI
deps: node $(STAMP)
$(STAMP): package.json package-lock.json .node-version
	@# native addons are built against that Node's own headers (node-gyp can fetch none here)
	npm_config_nodedir=$(NODE_DIR) npm ci --no-audit --no-fund --loglevel=error

build: deps
	rm -rf dist
	npx tsc -p tsconfig.json

image:
	bash docker/build-image.sh

prompts: build image
	bash docker/make-prompts.sh

# the web console's end-to-end test drives Debian's Chromium (playwright-core downloads nothing)
browser:
	@command -v chromium >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium >/dev/null; }

# the SIP edge's fail2ban filter (deploy/fail2ban) is checked with fail2ban-regex against the
# real security log; the package is installed only for that check (its service is not started)
fail2ban:
	@command -v fail2ban-regex >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends fail2ban >/dev/null; }

# the alert rules (deploy/prometheus) are checked and unit-tested with promtool, from
# Debian's prometheus package (installed for the tool only: its service is not started)
promtool:
	@command -v promtool >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends prometheus >/dev/null; }

# the cluster mode's shared database (PostgreSQL, Debian's): the storage tests run the
# callback queue on a server of their own (docker/postgres.sh), as well as on SQLite
postgres:
	@ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends postgresql >/dev/null; }

# the cluster's edge (Kamailio, Debian's): the cluster test runs it in a network namespace
# that has no way out, so it is installed before
kamailio:
	@command -v kamailio >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends kamailio >/dev/null; }

# the installed units are checked with systemd-analyze verify (Debian's systemd; not started)
systemd-analyze:
	@command -v systemd-analyze >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends systemd >/dev/null; }

up: build image prompts
	bash docker/stack.sh up

run: build image prompts
	bash docker/stack.sh run

down:
	bash docker/stack.sh down

test: build lint image prompts browser fail2ban promtool systemd-analyze postgres kamailio
	bash test/run.sh

# ESLint (JavaScript's and typescript-eslint's recommended rules) and Prettier's check of the
# formatting (`npx prettier --write` with the same globs formats)
LINTED = "controller/**/*.{ts,js}" "test/**/*.{ts,js}" "*.mjs"
lint: deps
	npx eslint .
	npx prettier --check $(LINTED)

# the edit-test loop: every unit file and one smoke call through the real stack, side by side
test-quick: build image prompts promtool postgres
	bash test/run.sh quick

# the whole suite with V8 coverage of every Node process it starts: the unit tests, ivrctl,
# and the controllers of the test stacks while SIP agents call them (a controller killed with
# SIGKILL leaves no coverage); the controller's lines, mapped back to TypeScript
coverage: build image prompts browser fail2ban promtool systemd-analyze postgres kamailio
	rm -rf .tap/v8 .tap/coverage
	NODE_V8_COVERAGE=$(CURDIR)/.tap/v8 bash test/run.sh; status=$$?; \
	npx c8 report --temp-directory .tap/v8 --include 'dist/controller/**' --reporter text-summary --reporter html --report-dir .tap/coverage; \
	rm -rf .tap/v8; echo "per file: .tap/coverage/index.html"; exit $$status

# every integration and fault file on a fresh stack of its own: each passes alone, in any order
test-alone: build image prompts browser fail2ban systemd-analyze
	IVR_TEST_FRESH=1 bash test/run.sh integration-and-faults

test-unit: build promtool postgres
	bash test/run.sh unit

test-integration: build image prompts browser fail2ban systemd-analyze
	bash test/run.sh integration

# also part of make test: Kamailio in front of two nodes (test/cluster), a node killed
test-cluster: build image prompts kamailio
	bash test/run.sh cluster

# also part of make test: SIGKILLs at each step of a call, Asterisk restarted under load
test-faults: build image prompts
	bash test/run.sh faults

bench: build image prompts
	bash test/bench/run.sh

# a production instance on this Debian server: systemd units for Asterisk and the controller,
# config in /etc/ivr-callback, state in /var/lib/ivr-callback, ivrctl on the PATH (docs/INSTALL.md)
INSTALL_VARS = PREFIX="$(PREFIX)" SYSCONFDIR="$(SYSCONFDIR)" STATEDIR="$(STATEDIR)" UNITDIR="$(UNITDIR)" BINDIR="$(BINDIR)" SYSTEMCTL="$(SYSTEMCTL)"
PREFIX ?= /opt/ivr-callback
SYSCONFDIR ?= /etc/ivr-callback
STATEDIR ?= /var/lib/ivr-callback
UNITDIR ?= /etc/systemd/system
BINDIR ?= /usr/local/bin
SYSTEMCTL ?= systemctl

install: build image prompts
	$(INSTALL_VARS) bash deploy/install.sh install

# removes the units, ivrctl and the program; keeps the config and the data
uninstall:
	$(INSTALL_VARS) bash deploy/install.sh uninstall

clean:
	rm -rf dist sounds/gen .tap
