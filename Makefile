# Turnstile: the two commands a new user runs are `make demo` and `make test`.
# Each installs what it needs: a virtualenv with the locked Python packages, and the CDK CLI from npm.

PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-$(shell cat requirements.lock package-lock.json | cksum | cut -d' ' -f1)
# The CDK (jsii) runs on the Node.js 22 LTS that package.json pins, whatever node is on the machine (20 is past
# end of life); npm itself may be any recent one.
export PATH := $(CURDIR)/node_modules/.bin:$(PATH)
export CDK_DISABLE_CLI_TELEMETRY := true
# cdk-nag 2.x's EVB1 rule reads CfnEventBusPolicy.principal, which jsii reports as deprecated at every synth;
# Turnstile's own bus policy uses the statement form (tests/infra asserts it).
export JSII_DEPRECATED := quiet

.PHONY: demo test bench bench-mfa-sweep bench-rotation bench-alerts setup lint synth deploy diff clean

demo: $(STAMP)  ## The whole joiner lifecycle in an emulated AWS account, on this machine.
	$(PY) -m localcloud.demo $(ARGS)

test: $(STAMP)  ## Every test suite: lint and types, unit, local cloud, infra, workflows, secrets, e2e.
	$(PY) -m ruff check .
	$(PY) -m mypy
	$(PY) -m pytest -n 2 --dist loadfile $(ARGS)

bench: $(STAMP)  ## Not a test: a burst of hires under IAM throttling in the local cloud (README "Bursts").
	$(PY) -m localcloud.burst $(ARGS)

bench-mfa-sweep: $(STAMP)  ## Not a test: the MFA sweeper's IAM calls with 10 to 5,000 pending enrolments.
	$(PY) -m localcloud.mfa_sweep_bench $(ARGS)

bench-rotation: $(STAMP)  ## Not a test: key rotation against 1,000 and 5,000 users, next to a naive scan.
	$(PY) -m localcloud.rotation_bench $(ARGS)

bench-alerts: $(STAMP)  ## Not a test: alert latency (API call → SNS message) and calls per alert, in the local cloud.
	$(PY) -m localcloud.alert_bench $(ARGS)

setup: $(STAMP)

$(STAMP): requirements.lock package.json package-lock.json
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check --upgrade pip
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements.lock
	@# Make the repo (stacks/, localcloud/) and the Lambda package (lambdas/turnstile) importable in the venv.
	$(PY) -c "import sysconfig, pathlib; (pathlib.Path(sysconfig.get_paths()['purelib']) / 'turnstile-dev.pth').write_text('$(CURDIR)\n$(CURDIR)/lambdas\n')"
	$(PY) -m pip install --quiet --disable-pip-version-check --no-deps -e .  # the `turnstile` CLI
	npm ci --no-audit --no-fund --loglevel=error
	rm -f $(VENV)/.installed-*
	touch $@

lint: $(STAMP)
	$(PY) -m ruff check .
	$(PY) -m mypy

# Real-account commands (need AWS credentials; see README "Deploy to an AWS account").
synth: $(STAMP)
	. $(VENV)/bin/activate && npx --no-install cdk synth --no-notices
diff: $(STAMP)
	. $(VENV)/bin/activate && npx --no-install cdk diff --all --no-notices
deploy: $(STAMP)
	. $(VENV)/bin/activate && npx --no-install cdk deploy --all --no-notices

clean:
	rm -rf $(VENV) node_modules cdk.out .demo
