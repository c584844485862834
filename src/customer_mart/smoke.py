"""`customer-mart smoke`: the platform's smoke test, before the first scheduled build.

Run where the weekly task runs (the image, with the task's environment: `aws ecs run-task` with
the command override `smoke`; infra/README.md, step 6), it checks the path from S3 to the mart
without touching production:

1. reads every raw table through the warehouse: on Redshift a Spectrum scan of the table's files,
   as the dbt user (row count, a non-NULL count of every contract column, which reads every
   column of every file, and the first row): `dbt run-operation smoke_read_raw_table`;
2. builds the whole project (`dbt build`: seeds, models, data and unit tests, the snapshot) into
   a scratch schema `smoke_<UTC time>` instead of the production one (REDSHIFT_SCHEMA);
3. drops that schema (`dbt run-operation drop_smoke_schema`, which accepts `smoke_*` names only);

then prints what passed, what failed and what to fix, and exits 1 when anything failed. dbt runs
in this process (dbtRunner), with its own target folder, so the production artefacts in
DBT_TARGET_PATH are left alone.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import re
import sys
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

SCRATCH_SCHEMA = re.compile(r"smoke_[a-z0-9_]{1,56}")

# (pattern in the error, what to do): the first match is printed under a failed step.
FIXES: list[tuple[str, str]] = [
    (
        r"incompatible parquet schema|not a complete parquet file",
        "a raw file is not stored in its Glue type: upload again with `customer-mart upload "
        "--convert-types` (infra/README.md, step 5); the message names the file and the column",
    ),
    (
        r"permission denied for database",
        "the dbt user lacks a privilege on the database (CREATE, or TEMP for Spectrum queries): run "
        "the bootstrap SQL (infra/README.md, step 4)",
    ),
    (
        r"permission denied for (?:schema|relation)",
        "the dbt user cannot use a schema: the bootstrap makes it the owner of the external schema "
        "(ALTER SCHEMA ... OWNER TO, infra/README.md, step 4)",
    ),
    (
        r'group "?\w+"? does not exist',
        "the analysts' group is missing: run the bootstrap SQL again (CREATE GROUP, step 4)",
    ),
    (
        r"(?:schema|relation|table) .* does not exist",
        "the external schema or a Glue table is missing: `terraform apply` (the Glue tables) and "
        "the bootstrap SQL (the external schema, step 4)",
    ),
    (
        r"access ?denied|s3|glue|spectrum scan error",
        "Spectrum cannot read S3 or Glue: check the Spectrum role (`terraform output "
        "spectrum_role_arn`) and, with enhanced VPC routing, the routes to S3 and Glue",
    ),
    (
        r"value too long for type",
        "a text value is longer than its column: see docs/data-quality.md (with_oversized_text)",
    ),
]


@dataclass
class Step:
    """One line of the report: passed (True), failed (False) or skipped (None)."""

    name: str
    passed: bool | None
    detail: str
    fix: str = ""

    def lines(self) -> list[str]:
        mark = {True: "PASS", False: "FAIL", None: "SKIP"}[self.passed]
        lines = [f"  {mark}  {self.name}: {self.detail}"]
        if self.fix:
            lines.append(f"        fix: {self.fix}")
        return lines


@dataclass
class DbtRun:
    success: bool
    logged: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


def fix_for(error: str) -> str:
    for pattern, fix in FIXES:
        if re.search(pattern, error, re.IGNORECASE):
            return fix
    return "read the error above; the full log is in the task's log stream"


def first_error(run: DbtRun) -> str:
    """The most telling line of a failed dbt command: the warehouse's error when there is one."""
    text = "\n".join(run.errors)
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    telling = re.compile(r"error|denied|incompatible|does not exist|too long|not a complete", re.I)
    generic = re.compile(r"(?:Database|Runtime|Compilation) Error(?: in .*)?|Encountered an error.*")
    for line in lines:
        if telling.search(line) and not generic.fullmatch(line):
            return line
    return lines[0] if lines else "failed without an error message"


def dbt_runner(args: Sequence[str]) -> DbtRun:
    """dbt in this process, its log lines and error lines captured."""
    from dbt.cli.main import dbtRunner

    run = DbtRun(success=False)

    def collect(event) -> None:
        message = event.info.msg
        if message.startswith(("smoke-read ", "smoke-dropped ")):
            run.logged.append(message)
        elif event.info.level == "error":
            run.errors.append(message)

    result = dbtRunner(callbacks=[collect]).invoke(list(args))
    run.success = bool(result.success)
    if not run.success and result.exception is not None:
        run.errors.append(str(result.exception))
    return run


def failed_nodes(run_results: Path) -> tuple[list[str], int]:
    """The failing nodes of a build ("<node>: <first line>") and the number of warnings."""
    if not run_results.exists():
        return [], 0
    results = json.loads(run_results.read_text())["results"]
    failed = [
        f"{result['unique_id']}: {(result.get('message') or result['status']).strip().splitlines()[0]}"
        for result in results
        if result["status"] in {"error", "fail", "runtime error"}
    ]
    return failed, sum(result["status"] == "warn" for result in results)


def smoke(
    tables: Sequence[str],
    schema: str,
    dbt_args: Sequence[str],
    target_path: Path,
    run: Callable[[Sequence[str]], DbtRun] = dbt_runner,
    keep: bool = False,
) -> list[Step]:
    """The three steps; `run` runs one dbt command (its arguments after `dbt`)."""
    common = [*dbt_args, "--target-path", str(target_path), "--log-path", str(target_path / "logs")]
    steps = []
    for table in tables:
        arguments = json.dumps({"table": table})
        result = run(["run-operation", "smoke_read_raw_table", "--args", arguments, *common])
        read = [json.loads(line.split(" ", 1)[1]) for line in result.logged if line.startswith("smoke-read ")]
        if not result.success or not read:
            error = first_error(result)
            steps.append(Step(f"read raw table {table}", False, error, fix_for(error)))
            continue
        (found,) = read
        if found["rows"] == 0:
            steps.append(
                Step(
                    f"read {found['relation']}",
                    False,
                    "no rows",
                    "load the raw data (`customer-mart upload`, infra/README.md, step 5)",
                )
            )
            continue
        first = ", ".join(f"{name}={value}" for name, value in list(found["first_row"].items())[:3])
        steps.append(
            Step(
                f"read {found['relation']}",
                True,
                f"{found['rows']:,} rows, every column of every file read; first row {first}, ...",
            )
        )
    if not all(step.passed for step in steps):
        steps.append(Step(f"build into {schema}", None, "not run: a raw table could not be read"))
        return steps
    result = run(["build", *common])
    failed, warnings = failed_nodes(target_path / "run_results.json")
    if result.success:
        steps.append(
            Step(f"build into {schema}", True, f"every node passed ({warnings} warning(s), see the log)")
        )
    else:
        error = failed[0] if failed else first_error(result)
        more = f" (and {len(failed) - 1} more failing nodes)" if len(failed) > 1 else ""
        steps.append(Step(f"build into {schema}", False, error + more, fix_for(error)))
    if keep:
        steps.append(Step(f"drop schema {schema}", None, "kept (--keep-schema)"))
        return steps
    result = run(["run-operation", "drop_smoke_schema", "--args", json.dumps({"schema": schema}), *common])
    if result.success:
        steps.append(Step(f"drop schema {schema}", True, "dropped"))
    else:
        error = first_error(result)
        fix = f"drop it by hand: drop schema {schema} cascade"
        steps.append(Step(f"drop schema {schema}", False, error, fix))
    return steps


def report(steps: Sequence[Step], schema: str) -> str:
    failed = sum(step.passed is False for step in steps)
    lines = [
        f"customer-mart smoke: every raw table read through the warehouse, a build into {schema}, "
        "then the schema dropped"
    ]
    for step in steps:
        lines += step.lines()
    if failed:
        lines.append(
            f"Smoke test FAILED: {failed} of {len(steps)} steps. Fix what each FAIL says, then run it "
            "again before the first scheduled build."
        )
    else:
        lines.append("Smoke test passed: the weekly build can run.")
    return "\n".join(lines)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="customer-mart smoke", description=__doc__.splitlines()[0])
    add_arguments(parser)
    return parser


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--schema",
        help="the scratch schema to build into and drop, smoke_<a-z0-9_> (default: smoke_<UTC date, time>)",
    )
    parser.add_argument("--target", default="redshift", help="the dbt target (default: redshift)")
    parser.add_argument("--project-dir", default=None, help="the dbt project (default: DBT_PROJECT_DIR or .)")
    parser.add_argument("--profiles-dir", default=None, help="where profiles.yml is (default: dbt's)")
    parser.add_argument("--vars", default=None, help="dbt --vars for every command, such as as_of_date")
    parser.add_argument("--keep-schema", action="store_true", help="leave the scratch schema for inspection")


def run_from_arguments(args: argparse.Namespace, run: Callable[[Sequence[str]], DbtRun] = dbt_runner) -> int:
    from customer_mart.schema import TABLES

    schema = args.schema or "smoke_" + dt.datetime.now(dt.UTC).strftime("%Y%m%d_%H%M%S")
    if not SCRATCH_SCHEMA.fullmatch(schema):
        print(f"customer-mart smoke: --schema {schema!r} must be smoke_<a-z0-9_> (at most 62 characters)")
        return 2
    dbt_args = []
    for option in ("target", "project_dir", "profiles_dir", "vars"):
        value = getattr(args, option)
        if value:
            dbt_args += [f"--{option.replace('_', '-')}", value]
    previous = os.environ.get("REDSHIFT_SCHEMA")
    os.environ["REDSHIFT_SCHEMA"] = schema
    try:
        with tempfile.TemporaryDirectory(prefix="customer-mart-smoke-") as work:
            steps = smoke(TABLES, schema, dbt_args, Path(work), run=run, keep=args.keep_schema)
    finally:
        if previous is None:
            os.environ.pop("REDSHIFT_SCHEMA", None)
        else:
            os.environ["REDSHIFT_SCHEMA"] = previous
    print(report(steps, schema))
    return 0 if all(step.passed is not False for step in steps) else 1


def main(argv: Sequence[str] | None = None) -> int:
    return run_from_arguments(build_parser().parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())
