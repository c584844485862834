"""`customer-mart smoke` (infra/README.md's smoke step): its steps, report and exit code, with dbt
replaced by a recorder (Python only), and its drop macro's refusal of any other schema (dbt on
DuckDB). The whole command runs through the Redshift stand-in, as the dbt user, in
test_redshift_rehearsal.py."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import pytest

from customer_mart.smoke import DbtRun, add_arguments, fix_for, run_from_arguments, smoke

TABLES = ("users", "orders")


class Recorder:
    """Plays dbt: each command's outcome by its first words; records the commands."""

    def __init__(self, target_path_results: dict | None = None, fail_read: dict[str, str] | None = None):
        self.commands: list[list[str]] = []
        self.results = target_path_results
        self.fail_read = fail_read or {}
        self.build_succeeds = True

    def __call__(self, args):
        args = list(args)
        self.commands.append(args)
        if args[0] == "run-operation" and args[1] == "smoke_read_raw_table":
            table = json.loads(args[3])["table"]
            if table in self.fail_read:
                return DbtRun(False, errors=["Encountered an error while running operation: Database Error",
                                             self.fail_read[table]])  # fmt: skip
            read = {"table": table, "relation": f'"dev"."thelook_raw"."{table}"', "rows": 12, "values": {},
                    "first_row": {"id": "1", "name": "x"}}  # fmt: skip
            return DbtRun(True, logged=[f"smoke-read {json.dumps(read)}"])
        if args[0] == "build":
            target = Path(args[args.index("--target-path") + 1])
            if self.results is not None:
                (target / "run_results.json").write_text(json.dumps(self.results))
            return DbtRun(self.build_succeeds)
        if args[0] == "run-operation" and args[1] == "drop_smoke_schema":
            return DbtRun(True, logged=[f"smoke-dropped {json.loads(args[3])['schema']}"])
        raise AssertionError(args)


def test_every_table_is_read_then_a_scratch_build_then_the_drop(tmp_path):
    recorder = Recorder(
        {"results": [{"unique_id": "model.a", "status": "success"}, {"unique_id": "t", "status": "warn"}]}
    )
    steps = smoke(TABLES, "smoke_x", ["--target", "redshift"], tmp_path, run=recorder)
    assert [command[:2] for command in recorder.commands] == [
        ["run-operation", "smoke_read_raw_table"],
        ["run-operation", "smoke_read_raw_table"],
        ["build", "--target"],
        ["run-operation", "drop_smoke_schema"],
    ]
    assert all(str(tmp_path) in command for command in recorder.commands)
    assert [(step.name, step.passed) for step in steps] == [
        ('read "dev"."thelook_raw"."users"', True),
        ('read "dev"."thelook_raw"."orders"', True),
        ("build into smoke_x", True),
        ("drop schema smoke_x", True),
    ]
    assert "12 rows" in steps[0].detail and "1 warning(s)" in steps[2].detail


def test_an_unreadable_table_fails_with_what_to_fix_and_the_build_is_not_run(tmp_path):
    error = (
        "File 's3://b/thelook/raw/orders/x.parquet' has an incompatible Parquet schema for column "
        "'num_of_item'. Column type: BIGINT, Parquet schema: optional double num_of_item"
    )
    recorder = Recorder(fail_read={"orders": error})
    steps = smoke(TABLES, "smoke_x", [], tmp_path, run=recorder)
    assert [command[0] for command in recorder.commands] == ["run-operation", "run-operation"]
    assert (steps[1].passed, steps[1].detail) == (False, error)
    assert "customer-mart upload --convert-types" in steps[1].fix
    assert steps[-1].passed is None and "not run" in steps[-1].detail


def test_a_failed_build_names_its_first_failing_node_and_the_schema_is_still_dropped(tmp_path):
    results = {"results": [
        {"unique_id": "model.customer_mart.customer_features", "status": "error",
         "message": 'Database Error in model customer_features\ngroup "analysts" does not exist'},
        {"unique_id": "test.customer_mart.not_null_x", "status": "fail", "message": "Got 3 results"},
    ]}  # fmt: skip
    recorder = Recorder(results)
    recorder.build_succeeds = False
    steps = smoke(TABLES, "smoke_x", [], tmp_path, run=recorder)
    build = steps[2]
    assert build.passed is False
    assert build.detail == (
        "model.customer_mart.customer_features: Database Error in model customer_features "
        "(and 1 more failing nodes)"
    )
    assert steps[3].passed is True  # dropped anyway


@pytest.mark.parametrize(
    ("error", "fix"),
    [
        ("permission denied for database dev", "bootstrap SQL"),
        ("permission denied for schema thelook_raw", "owner of the external schema"),
        ('group "analysts" does not exist', "CREATE GROUP"),
        ('schema "thelook_raw" does not exist', "terraform apply"),
        ("S3ServiceException: Access Denied", "Spectrum role"),
        ("value too long for type character varying(256)", "with_oversized_text"),
    ],
)
def test_each_known_error_gets_its_fix(error, fix):
    assert fix in fix_for(error)


def arguments(*argv: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    add_arguments(parser)
    return parser.parse_args(list(argv))


def test_the_report_and_the_exit_code(capsys):
    assert run_from_arguments(arguments("--schema", "smoke_week_27"), run=Recorder({"results": []})) == 0
    printed = capsys.readouterr().out
    assert "PASS  build into smoke_week_27" in printed and "Smoke test passed" in printed

    failing = Recorder(fail_read={"users": "permission denied for schema thelook_raw"})
    assert run_from_arguments(arguments("--schema", "smoke_week_27"), run=failing) == 1
    printed = capsys.readouterr().out
    assert "FAIL  read raw table users: permission denied for schema thelook_raw" in printed
    assert "fix: the dbt user cannot use a schema" in printed
    assert "Smoke test FAILED: 1 of 8 steps" in printed  # seven reads, the build not run


def test_only_a_scratch_schema_name_is_accepted(capsys):
    recorder = Recorder()
    assert run_from_arguments(arguments("--schema", "customer_mart"), run=recorder) == 2
    assert recorder.commands == []
    assert "must be smoke_<a-z0-9_>" in capsys.readouterr().out


def test_the_drop_macro_refuses_any_other_schema(tmp_path):
    from dbt_inprocess import InProcessDbt

    dbt = InProcessDbt(tmp_path, {"DUCKDB_PATH": str(tmp_path / "w.duckdb"), "RAW_DATA_DIR": str(tmp_path)})
    outcome = dbt.run("run-operation", "drop_smoke_schema", "--args", "{schema: customer_mart}")
    assert not outcome.success
    assert 'drop_smoke_schema: "customer_mart" is not a scratch schema of the smoke test' in outcome.text


def test_the_images_entrypoint_hands_smoke_to_the_command(tmp_path):
    """`aws ecs run-task` overrides the command, which reaches scripts/weekly_build.sh (the
    ENTRYPOINT) as arguments: `smoke ...` runs `customer-mart smoke ...` and nothing else (no
    build, nothing published, no artefact settings needed)."""
    import os
    import subprocess

    from conftest import PROJECT_DIR

    fake = tmp_path / "bin"
    fake.mkdir()
    for name, body in {"customer-mart": 'echo "customer-mart $*"', "dbt": 'echo "dbt $*"; exit 9'}.items():
        (fake / name).write_text(f"#!/bin/sh\n{body}\n")
        (fake / name).chmod(0o755)
    result = subprocess.run(
        ["sh", str(PROJECT_DIR / "scripts" / "weekly_build.sh"), "smoke", "--schema", "smoke_first_run"],
        env={"PATH": f"{fake}:{os.environ['PATH']}"},
        capture_output=True,
        text=True,
        check=False,
    )
    assert (result.returncode, result.stdout) == (0, "customer-mart smoke --schema smoke_first_run\n")
