"""Write requirements-runtime.lock, the image's lock: the entries of requirements.lock (versions and
hashes unchanged) that the project's runtime dependencies and RUNTIME_EXTRAS need, without the dev
and analyst extras.

    .venv/bin/python scripts/runtime_lock.py    (make lock runs it after refreshing requirements.lock)

The runtime set is the closure of pyproject.toml's `dependencies` and of the extras in
RUNTIME_EXTRAS over the installed packages' metadata (the .venv holds exactly requirements.lock),
markers evaluated for this Python. Taking the
versions from the development lock keeps the image on the versions the tests ran.
"""

from __future__ import annotations

import re
import sys
import tomllib
from importlib import metadata
from pathlib import Path

from packaging.requirements import Requirement

ROOT = Path(__file__).resolve().parents[1]
# The weekly image runs the segment step after the build (scripts/weekly_build.sh), so it carries
# the `segment` extra; `analyst` (MetricFlow) and `dev` stay out.
RUNTIME_EXTRAS = ("segment",)
HEADER = (
    "# The image's lock (Dockerfile): the entries of requirements.lock that the runtime dependencies\n"
    "# of pyproject.toml need. Written by scripts/runtime_lock.py (make lock); do not edit.\n"
)


def canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def closure(roots: list[Requirement]) -> set[str]:
    seen: set[str] = set()
    todo = [(root, frozenset(root.extras)) for root in roots]
    while todo:
        requirement, extras = todo.pop()
        name = canonical(requirement.name)
        key = name + "[" + ",".join(sorted(extras)) + "]"
        if key in seen:
            continue
        seen.add(key)
        for raw in metadata.requires(requirement.name) or []:
            child = Requirement(raw)
            environments = [{"extra": extra} for extra in extras] or [{"extra": ""}]
            if child.marker is None or any(child.marker.evaluate(env) for env in environments):
                todo.append((child, frozenset(child.extras)))
    return {key.split("[")[0] for key in seen}


def main() -> int:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    roots = project["dependencies"] + [
        r for extra in RUNTIME_EXTRAS for r in project["optional-dependencies"][extra]
    ]
    needed = closure([Requirement(raw) for raw in roots])
    blocks, current = {}, None
    for line in (ROOT / "requirements.lock").read_text().splitlines():
        match = re.match(r"^([A-Za-z0-9._-]+)==", line)
        if match:
            current = canonical(match.group(1))
            blocks[current] = [line]
        elif current and line.lstrip().startswith("--hash="):
            blocks[current].append(line)
        elif current and line.startswith("    "):
            pass  # pip-compile's "# via" notes name development packages too: left out here
        else:
            current = None
    missing = sorted(needed - set(blocks))
    if missing:
        print(f"requirements.lock lacks {', '.join(missing)}: run make lock", file=sys.stderr)
        return 1
    body = "\n".join("\n".join(blocks[name]) for name in sorted(needed))
    (ROOT / "requirements-runtime.lock").write_text(HEADER + body + "\n")
    print(f"requirements-runtime.lock: {len(needed)} packages")
    return 0


if __name__ == "__main__":
    sys.exit(main())
