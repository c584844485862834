"""The pre-commit hooks that pre-commit's own hook repositories would give (no network here):
`check-yaml FILE...` parses each file with yaml.safe_load_all; `end-of-file FILE...` makes each
non-empty file end in exactly one newline. Each prints the files it failed or fixed and exits 1 if any."""

from __future__ import annotations

import sys
from pathlib import Path

import yaml


def check_yaml(paths: list[str]) -> list[str]:
    failed = []
    for path in paths:
        try:
            list(yaml.safe_load_all(Path(path).read_text(encoding="utf-8")))
        except yaml.YAMLError as error:
            failed.append(f"{path}: {error}")
    return failed


def end_of_file(paths: list[str]) -> list[str]:
    fixed = []
    for path in paths:
        data = Path(path).read_bytes()
        if data and data != data.rstrip(b"\r\n") + b"\n":
            Path(path).write_bytes(data.rstrip(b"\r\n") + b"\n")
            fixed.append(f"{path}: fixed its end of file")
    return fixed


def main(argv: list[str]) -> int:
    hooks = {"check-yaml": check_yaml, "end-of-file": end_of_file}
    if not argv or argv[0] not in hooks:
        print(f"usage: precommit_hooks.py {{{'|'.join(hooks)}}} FILE...", file=sys.stderr)
        return 2
    problems = hooks[argv[0]](argv[1:])
    for problem in problems:
        print(problem, file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
