#!/usr/bin/env bash
# Install everything and run the whole test suite: lint, format, types, and the tests on SQLite
# and PostgreSQL, browser tests included. Works from a fresh clone with only Python 3.11+.
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON=${PYTHON:-python3}
say() { printf '==> %s\n' "$*"; }

if [ ! -x .venv/bin/python ]; then
  say "creating .venv"
  "$PYTHON" -m venv .venv
fi
say "installing Accord with its test dependencies"
.venv/bin/python -m pip install --quiet --upgrade pip
.venv/bin/python -m pip install --quiet -e '.[test]'
# roc-validator (RO-Crate checks in the standards tests) pins rich<14, which the node does not
# use: install it and its own needs without resolving rich (decision 0402).
.venv/bin/python -m pip install --quiet --no-deps roc-validator==0.13.0 cattrs==26.2.1 \
  colorlog==6.12.0 enum-tools==0.12.0 inquirerpy==0.3.4 pfzy==0.3.4 platformdirs==4.14.8 \
  prompt_toolkit==3.0.53 requests-cache==1.3.3 rich-click==1.9.9 toml==0.10.2 url-normalize==3.1.0

# Debian's chromium drives the browser tests (never a downloaded browser build).
if [ ! -x /usr/bin/chromium ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    say "installing Debian's chromium for the browser tests"
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
  else
    say "chromium is not installed and cannot be installed here: browser tests will be skipped"
  fi
fi

# axe-core (accessibility checks in the browser tests), from the npm registry at install time.
if command -v npm >/dev/null && [ ! -f .cache/axe/node_modules/axe-core/axe.min.js ]; then
  say "installing axe-core for the accessibility tests"
  npm install --silent --prefix .cache/axe axe-core@4.11.0 >/dev/null
fi

# node's oidc-provider is the real OpenID Provider of the sign-in tests (tests/identity/oidc).
if command -v npm >/dev/null; then
  if [ ! -f .cache/oidc/node_modules/oidc-provider/package.json ]; then
    say "installing oidc-provider for the sign-in tests"
    npm install --silent --no-audit --no-fund --prefix .cache/oidc oidc-provider@9.13.3 >/dev/null
  fi
else
  say "npm is not installed: the OpenID Connect tests against a real provider will be skipped"
fi

# Debian's nginx fronts the API processes in the scale-out test (tests/ops/test_scale_out.py).
if [ ! -x /usr/sbin/nginx ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    say "installing Debian's nginx for the scale-out test"
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nginx >/dev/null
  else
    say "nginx is not installed and cannot be installed here: the scale-out test will be skipped"
  fi
fi

# PostgreSQL: start the local cluster if it is installed but stopped, then test against it too.
if [ -z "${ACCORD_TEST_DATABASE_URL:-}" ] && command -v pg_ctlcluster >/dev/null; then
  if ! pg_isready -q -h 127.0.0.1 -p 5432; then
    say "starting PostgreSQL"
    pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -n 1)" main start || true
    for _ in $(seq 1 30); do pg_isready -q -h 127.0.0.1 -p 5432 && break; sleep 1; done
  fi
  if pg_isready -q -h 127.0.0.1 -p 5432; then
    export ACCORD_TEST_DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/test
  fi
fi
if [ -n "${ACCORD_TEST_DATABASE_URL:-}" ]; then
  say "database tests run on SQLite and on PostgreSQL"
else
  say "PostgreSQL not available: database tests run on SQLite only"
fi

say "ruff check"
.venv/bin/ruff check src tests bench
say "ruff format --check"
.venv/bin/ruff format --check src tests bench
say "mypy --strict src"
.venv/bin/mypy --strict src
say "pytest (2 workers)"
# Longest modules first (tests/conftest.py), kept in that order (decision 0021).
.venv/bin/pytest -n "${ACCORD_TEST_WORKERS:-2}" --dist loadfile --no-loadscope-reorder "$@"
