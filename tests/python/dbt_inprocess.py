"""dbt in this process, parsed once: for tests that run many short commands whose outcome is
decided by the start-of-run hooks (settings, raw file checks), at well under a second each.

The commands run exactly as from the command line (the same hooks, macros, profile and
adapter), except that the project is parsed once, when the runner is made: what the YAML itself
renders from a setting (the sources' schema) keeps the value it had then. Each call sets its
environment variables for the call only; the profile is rendered again each time.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

PROJECT_DIR = Path(__file__).resolve().parents[2]


@dataclass
class Outcome:
    success: bool
    text: str  # every error and warning dbt logged, and the exception, if any


@contextmanager
def _environment(values: dict[str, str | None]) -> Iterator[None]:
    saved = {name: os.environ.get(name) for name in values}
    try:
        for name, value in values.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


class InProcessDbt:
    def __init__(self, workdir: Path, env: dict[str, str | None], target: str = "duckdb") -> None:
        from dbt.cli.main import dbtRunner

        self.workdir = workdir
        self.env = {"DBT_SEND_ANONYMOUS_USAGE_STATS": "false", "DBT_TARGET": target, **env}
        profiles = workdir / "profiles"
        profiles.mkdir(parents=True, exist_ok=True)
        shutil.copy(PROJECT_DIR / "profiles.yml.example", profiles / "profiles.yml")
        self.common = [
            "--profiles-dir",
            str(profiles),
            "--target-path",
            str(workdir / "target"),
            "--log-path",
            str(workdir / "logs"),
            "--project-dir",
            str(PROJECT_DIR),
        ]
        self._messages: list[str] = []
        with _environment(self.env):
            parsed = dbtRunner().invoke(["parse", *self.common, "--quiet"])
        assert parsed.success, parsed.exception
        self.runner = dbtRunner(manifest=parsed.result, callbacks=[self._collect])

    def _collect(self, event) -> None:
        if event.info.level in ("error", "warn"):
            self._messages.append(event.info.msg)

    def run(self, *args: str, vars: dict | None = None, env: dict[str, str | None] | None = None) -> Outcome:
        self._messages.clear()
        command = [*args, *self.common]
        if vars:
            command += ["--vars", repr(vars)]
        with _environment({**self.env, **(env or {})}):
            result = self.runner.invoke(command)
        text = "\n".join(self._messages)
        if result.exception is not None:
            text += f"\n{result.exception}"
        return Outcome(success=result.success, text=text)

    def query(self, sql: str, env: dict[str, str | None] | None = None) -> list[tuple]:
        """Rows of a query on the target, through dbt (`dbt show --inline`): this process's dbt
        keeps the DuckDB file open, so no second connection may open it."""
        with _environment({**self.env, **(env or {})}):
            result = self.runner.invoke(["show", "--inline", sql, "--limit", "1000", *self.common, "--quiet"])
        assert result.success, result.exception
        return [tuple(row) for row in result.result.results[0].agate_table.rows]
