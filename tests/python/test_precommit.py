"""The pre-commit configuration (issue #22 item 6). Reads text and runs the local hook script;
runs no SQL and does not need pre-commit itself (not in the lock file): every hook is local, runs a
tool that exists in the project's .venv, and sqlfluff lints the folders `make lint` lints."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import yaml
from conftest import PROJECT_DIR

HOOKS = PROJECT_DIR / "scripts" / "precommit_hooks.py"


def hooks() -> dict[str, dict]:
    config = yaml.safe_load((PROJECT_DIR / ".pre-commit-config.yaml").read_text())
    assert [repo["repo"] for repo in config["repos"]] == ["local"]
    return {hook["id"]: hook for hook in config["repos"][0]["hooks"]}


def test_every_hook_is_local_and_runs_a_project_tool():
    found = hooks()
    assert set(found) == {"ruff", "ruff-format", "check-yaml", "end-of-file-fixer", "sqlfluff"}
    for hook in found.values():
        assert hook["language"] == "system"
        tool = next(word for word in hook["entry"].split() if word.startswith(".venv/"))
        assert (PROJECT_DIR / tool).exists(), hook["id"]


def test_sqlfluff_hook_lints_what_make_lint_lints():
    makefile = (PROJECT_DIR / "Makefile").read_text()
    folders = re.search(r"sqlfluff lint ((?:[\w/]+ ?)+)\n", makefile).group(1).split()
    pattern = re.compile(hooks()["sqlfluff"]["files"])
    for folder in folders:
        sql = sorted((PROJECT_DIR / folder).rglob("*.sql"))
        assert sql, folder
        assert all(pattern.search(str(path.relative_to(PROJECT_DIR))) for path in sql), folder
    assert not pattern.search("macros/settings/analysts_group.sql")  # skipped by the dbt templater


def run_hook(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(HOOKS), *args], capture_output=True, text=True, check=False)


def test_check_yaml_hook_fails_on_bad_yaml_and_passes_the_project(tmp_path: Path):
    bad = tmp_path / "bad.yml"
    bad.write_text("models:\n  - name: x\n   description: misindented\n")
    assert run_hook("check-yaml", str(bad)).returncode == 1
    tracked = subprocess.run(
        ["git", "ls-files", "*.yml", "*.yaml"], cwd=PROJECT_DIR, capture_output=True, text=True, check=True
    ).stdout.split()
    assert run_hook("check-yaml", *(str(PROJECT_DIR / path) for path in tracked)).returncode == 0


def test_end_of_file_hook_fixes_a_missing_or_doubled_newline(tmp_path: Path):
    (tmp_path / "none.sql").write_text("select 1")
    (tmp_path / "two.sql").write_text("select 1\n\n")
    (tmp_path / "ok.sql").write_text("select 1\n")
    result = run_hook("end-of-file", *(str(tmp_path / name) for name in ("none.sql", "two.sql", "ok.sql")))
    assert result.returncode == 1
    assert "ok.sql" not in result.stderr
    assert all((tmp_path / name).read_text() == "select 1\n" for name in ("none.sql", "two.sql", "ok.sql"))
    assert run_hook("end-of-file", str(tmp_path / "none.sql")).returncode == 0
