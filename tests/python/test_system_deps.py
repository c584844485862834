"""A missing system package skips its tests with the install command locally and fails them in CI."""

from __future__ import annotations

import pytest
from system_deps import require


def test_a_missing_package_skips_with_its_install_command_except_in_ci():
    with pytest.raises(pytest.skip.Exception, match="apt-get install -y chromium"):
        require("Chromium", False, "sudo apt-get install -y chromium", env={})
    with pytest.raises(pytest.fail.Exception, match="CI=true.*apt-get install -y chromium"):
        require("Chromium", False, "sudo apt-get install -y chromium", env={"CI": "true"})


def test_a_present_package_neither_skips_nor_fails():
    require("Chromium", True, "unused", env={"CI": "true"})
