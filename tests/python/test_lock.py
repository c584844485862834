"""requirements.lock, which `make setup` installs, pins every package with hashes and agrees with
the direct pins in pyproject.toml (`make lock` refreshes it after a pin changes)."""

from __future__ import annotations

import re
import tomllib

from conftest import PROJECT_DIR

PIN = re.compile(r"^([A-Za-z0-9._-]+)(?:\[[^\]]*\])?==([^\s;\\]+)")


def _name(raw: str) -> str:
    return re.sub(r"[-_.]+", "-", raw).lower()


def locked(name: str = "requirements.lock") -> dict[str, tuple[str, list[str]]]:
    """name -> (version, hashes) from a lock file."""
    entries: dict[str, tuple[str, list[str]]] = {}
    current = None
    for line in (PROJECT_DIR / name).read_text().splitlines():
        match = PIN.match(line)
        if match:
            current = _name(match.group(1))
            entries[current] = (match.group(2), [])
        elif "--hash=sha256:" in line and current:
            entries[current][1].append(line.split("--hash=sha256:")[1].split()[0])
    return entries


def direct_pins() -> dict[str, str]:
    project = tomllib.loads((PROJECT_DIR / "pyproject.toml").read_text())["project"]
    requirements = project["dependencies"] + [
        r for group in project["optional-dependencies"].values() for r in group
    ]
    pins = {}
    for requirement in requirements:
        match = PIN.match(requirement.strip())
        assert match, f"pyproject.toml: {requirement!r} is not pinned with =="
        pins[_name(match.group(1))] = match.group(2)
    return pins


def test_every_locked_package_has_a_version_and_hashes():
    entries = locked()
    assert len(entries) > 50, "requirements.lock should hold the transitive packages too"
    for name, (version, hashes) in entries.items():
        assert version and hashes, f"{name} is locked without a version or a hash"


def test_the_lock_holds_each_direct_pin_of_pyproject_at_the_same_version():
    entries = locked()
    for name, version in direct_pins().items():
        assert name in entries, (
            f"{name} is pinned in pyproject.toml but missing from requirements.lock: run make lock"
        )
        assert entries[name][0] == version, (
            f"{name}: pyproject.toml pins {version}, requirements.lock has {entries[name][0]}: run make lock"
        )


def test_the_transitive_packages_that_used_to_float_are_locked():
    entries = locked()
    for name in ("dbt-adapters", "agate", "protobuf", "dbt-common", "mashumaro"):
        assert name in entries, f"{name} floats: it is not in requirements.lock"


def test_the_images_runtime_lock_is_the_development_lock_without_the_dev_tools():
    runtime, full = locked("requirements-runtime.lock"), locked()
    assert "dbt-redshift" in runtime and "pytest" not in runtime and "moto" not in runtime
    for name, (version, _) in runtime.items():
        assert name in full and full[name][0] == version, (
            f"{name}: requirements-runtime.lock has {version}, requirements.lock "
            f"{full.get(name, ('nothing',))[0]}: run make lock"
        )


def test_the_image_carries_the_segment_extra_and_not_the_analyst_tools():
    """The weekly job runs the segment step (scripts/weekly_build.sh): its extra is in the image;
    MetricFlow (the analyst extra) is not."""
    runtime = locked("requirements-runtime.lock")
    assert {"scikit-learn", "scipy", "threadpoolctl", "matplotlib"} <= set(runtime)
    assert not {"dbt-metricflow", "metricflow"} & set(runtime)
