#!/usr/bin/env bash
# The Debian packages `make test` needs beyond Python: make, python3-venv, the PostgreSQL server
# binaries (initdb, pg_ctl: the tests start a throwaway server) and Chromium (the docs-site test
# drives it through Playwright; never `playwright install`).
#
# As root on Debian it installs what is missing with apt-get. Anywhere else it installs nothing and
# prints the exact command; the tests that need a missing package are then skipped with that
# command as the reason, except in CI (CI=true), where they fail. Used by `make test` and .ci/run.
set -euo pipefail

missing=()
command -v make >/dev/null || missing+=(make)
python3 -m venv --help >/dev/null 2>&1 || missing+=(python3-venv)
# Debian keeps initdb and pg_ctl in /usr/lib/postgresql/<version>/bin, off PATH.
if ! command -v initdb >/dev/null && ! compgen -G '/usr/lib/postgresql/*/bin/initdb' >/dev/null; then
    missing+=(postgresql)
fi
[[ -x /usr/bin/chromium ]] || missing+=(chromium)

if ((${#missing[@]} == 0)); then
    echo "system packages: make, python3-venv, postgresql, chromium are present"
    exit 0
fi

if [[ "$(id -u)" == 0 ]] && command -v apt-get >/dev/null; then
    echo "system packages: installing ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq -o Dpkg::Use-Pty=0 "${missing[@]}" >/dev/null
    echo "system packages: installed ${missing[*]}"
else
    echo "system packages missing: ${missing[*]}" >&2
    echo "  install them with: sudo apt-get update && sudo apt-get install -y ${missing[*]}" >&2
    echo "  until then the tests that need them are skipped (with CI=true they fail)" >&2
fi
