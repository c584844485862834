"""A DuckDB file another process holds (a second build on the same file) stops dbt with one
message naming the holder, not some 200 lines of dbt-duckdb tracebacks (issue 21, item 6): the
profile's plugin (customer_mart.duckdb_plugin) tries the file before dbt-duckdb opens it. Real dbt,
in a subprocess, against a DuckDB file a second real process holds. (A file that cannot be written:
test_settings.py.)"""

from __future__ import annotations

import subprocess
import sys

from customer_mart.duckdb_plugin import database_problem

TRACEBACK = "Traceback (most recent call last)"


def assert_one_message(result: subprocess.CompletedProcess, *expected: str) -> None:
    output = result.stdout + result.stderr
    assert result.returncode != 0
    for part in expected:
        assert part in output, output
    assert TRACEBACK not in output
    assert len(output.splitlines()) < 30, output


def test_a_second_build_on_the_same_file_is_told_who_holds_it(dbt_project, small_generated_dir):
    project = dbt_project(small_generated_dir)
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import duckdb, sys; c = duckdb.connect(sys.argv[1]); print('open', flush=True); input()",
            str(project.duckdb_path),
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "open"
        result = project.run("build", vars={"as_of_date": "2026-06-30"}, check=False)
    finally:
        holder.communicate("\n")  # it exits and lets the file go
    assert_one_message(
        result,
        f"the DuckDB file {project.duckdb_path} (DUCKDB_PATH) is in use by another process",
        f"(PID {holder.pid})",
        "Wait for it to finish, or set DUCKDB_PATH to another file.",
    )


def test_other_errors_keep_duckdbs_own_words():
    error = RuntimeError("IO Error: The file is not a valid DuckDB database file!")
    assert database_problem("x.duckdb", error) == (
        "the DuckDB file x.duckdb (DUCKDB_PATH) cannot be opened: "
        "IO Error: The file is not a valid DuckDB database file!"
    )
