"""What a test does when a system package it needs is missing: skipped, with the command that
installs it, on a developer's machine; failed in CI (CI=true), where every test must run.
scripts/install-system-deps.sh installs them (as root on Debian), and `make test` runs it first."""

from __future__ import annotations

import os
from collections.abc import Mapping

INSTALLER = "scripts/install-system-deps.sh"


def in_ci(env: Mapping[str, str] = os.environ) -> bool:
    return env.get("CI", "").lower() in {"1", "true", "yes"}


def require(what: str, found: bool, install: str, env: Mapping[str, str] = os.environ) -> None:
    """Return if `found`; else skip (locally) or fail (CI) naming `what` and the `install` command."""
    import pytest

    if found:
        return
    message = f"{what} not found: install it with `{install}` (or run {INSTALLER} as root)"
    if in_ci(env):
        pytest.fail(f"CI=true and this test cannot run: {message}")
    pytest.skip(message)
