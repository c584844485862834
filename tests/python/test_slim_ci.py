"""Slim CI, proven on DuckDB: `--select state:modified+ --defer --state <production artefacts>`.

The pull-request workflow (.github/workflows/pull-request.yml, job slim-ci-redshift) builds only
what a pull request changed and what depends on it into a schema of its own, and reads every
unchanged parent from production through the production manifest. The same dbt mechanics are
run here on DuckDB, with one DuckDB file holding both schemas (dbt defers to a relation by
database and schema, and the production and pull-request relations must be reachable from one
connection; two DuckDB files would be two databases, one of them not attached):

1. "production": the project, copied, built once into schema `prod`; its target/ (manifest.json,
   run_results.json) kept as the production state, as the weekly task publishes them;
2. a pull request changes one intermediate model (int_customers_return_rate) in the copy;
3. `dbt ls --select state:modified+ --state prod` selects that model and the mart (and the
   mart's snapshot, tests and unit tests), and no other model;
4. `dbt build --select state:modified+ --defer --state prod` into schema `pr_1` succeeds with
   the unchanged parents absent from `pr_1`, and its compiled SQL reads them from `prod`.

The schema comes from DUCKDB_SCHEMA in the test's profile: profiles.yml.example's duckdb output
with a `schema:` line added (the example leaves DuckDB's default `main`).
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
from conftest import PROJECT_DIR, DbtProject

AS_OF = {"as_of_date": "2026-06-30"}
CHANGED = "int_customers_return_rate"
# The changed model and what depends on it: the mart, its snapshot, the mart volume history
# (models/monitoring), which records each build of the mart, the analysts' view of that history
# (customer_features_builds), the segment tables (their rows come from the segment step; the build
# only defines them) and the metrics' time spine built after them.
SEGMENTS = {
    "customer_segment_history",
    "customer_segment_profiles",
    "customer_segment_runs",
    "customer_segments",
}
SELECTED = {
    CHANGED,
    "customer_features",
    "customer_features_snapshot",
    "monitoring_mart_volumes",
    "customer_features_builds",
    *SEGMENTS,
    "metricflow_time_spine",
}
PROJECT_PARTS = ["dbt_project.yml", "models", "macros", "seeds", "snapshots", "analyses", "docs"]


class SharedFileProject(DbtProject):
    """One DuckDB file for both schemas, next to the two work folders."""

    @property
    def duckdb_path(self) -> Path:
        return self.workdir.parent / "warehouse.duckdb"


def copy_project(dest: Path) -> Path:
    dest.mkdir()
    for part in PROJECT_PARTS:
        source = PROJECT_DIR / part
        if source.is_dir():
            shutil.copytree(source, dest / part)
        elif source.exists():
            shutil.copy(source, dest / part)
    # The dbt tests, without the Python tests and their fixtures.
    shutil.copytree(
        PROJECT_DIR / "tests", dest / "tests", ignore=shutil.ignore_patterns("python", "fixtures")
    )
    return dest


def write_profile(profiles: Path) -> None:
    """profiles.yml.example with the DuckDB output's schema read from DUCKDB_SCHEMA."""
    text = (PROJECT_DIR / "profiles.yml.example").read_text()
    anchor = "      path: \"{{ env_var('DUCKDB_PATH', 'data/warehouse.duckdb') }}\"\n"
    assert anchor in text, "profiles.yml.example's duckdb output changed: update this test"
    text = text.replace(anchor, anchor + "      schema: \"{{ env_var('DUCKDB_SCHEMA', 'main') }}\"\n", 1)
    profiles.mkdir(parents=True)
    (profiles / "profiles.yml").write_text(text)


@pytest.fixture(scope="module")
def slim(tmp_path_factory: pytest.TempPathFactory, small_generated_dir: Path) -> dict:
    """Production built and its state saved; the pull request's change made in the copy."""
    root = tmp_path_factory.mktemp("slim-ci")
    project_dir = copy_project(root / "project")

    def dbt(schema: str, name: str) -> DbtProject:
        workdir = root / name
        workdir.mkdir(exist_ok=True)
        if not (workdir / "profiles").exists():
            write_profile(workdir / "profiles")
        return SharedFileProject(
            workdir=workdir, raw_dir=small_generated_dir, extra_env={"DUCKDB_SCHEMA": schema}
        )

    prod = dbt("prod", "prod")
    prod.run("build", "--project-dir", str(project_dir), vars=AS_OF)
    state = root / "prod-state"
    state.mkdir()
    for name in ("manifest.json", "run_results.json"):
        shutil.copy(prod.workdir / "target" / name, state / name)

    model = project_dir / "models" / "intermediate" / "customers" / f"{CHANGED}.sql"
    text = model.read_text()
    # The pull request: a changed expression (the same result) in one intermediate model.
    changed = text.replace(
        "sum(case when is_returned then 1 else 0 end) as returned_items",
        "count(case when is_returned then 1 end) as returned_items",
    )
    assert changed != text, f"{model.name} changed: update the pull request's edit in this test"
    model.write_text(changed)
    return {"root": root, "project_dir": project_dir, "state": state, "pr": dbt("pr_1", "pr"), "prod": prod}


def relations(project: DbtProject, schema: str) -> set[str]:
    rows = project.query(f"select table_name from information_schema.tables where table_schema = '{schema}'")
    return {row["table_name"] for row in rows}


def test_state_modified_selects_the_changed_model_and_what_depends_on_it(slim: dict) -> None:
    result = slim["pr"].run(
        "ls",
        "--project-dir",
        str(slim["project_dir"]),
        "--select",
        "state:modified+",
        "--state",
        str(slim["state"]),
        "--output",
        "name",
        "--resource-type",
        "model",
        "--resource-type",
        "snapshot",
        "--quiet",
    )
    selected = set(result.stdout.split())
    assert selected == SELECTED

    every_model = slim["pr"].run(
        "ls",
        "--project-dir",
        str(slim["project_dir"]),
        "--resource-type",
        "model",
        "--output",
        "name",
        "--quiet",
    )
    assert len(set(every_model.stdout.split()) - selected) >= 10  # the rest: staging and intermediate


def test_defer_builds_only_the_selection_and_reads_the_parents_from_production(slim: dict) -> None:
    pr, prod = slim["pr"], slim["prod"]
    pr.run(
        "build",
        "--project-dir",
        str(slim["project_dir"]),
        "--select",
        "state:modified+",
        "--defer",
        "--state",
        str(slim["state"]),
        vars=AS_OF,
    )
    built = {name for name, r in pr.results().items() if r["status"] in {"success", "pass"}}
    assert built >= SELECTED
    # Everything else that ran passed; the mart's exposures are no-ops in a build.
    statuses = {name: r["status"] for name, r in pr.results().items()}
    assert {s for name, s in statuses.items() if name not in built} <= {"no-op"}, statuses

    # The pull request's schema holds the selection only: every unchanged parent came from prod.
    assert relations(pr, "pr_1") == SELECTED
    assert {"int_customers_in_scope", "int_order_items_in_window", "stg_thelook__users"} <= relations(
        prod, "prod"
    )

    compiled = pr.workdir / "target" / "compiled" / "customer_mart" / "models"
    changed_sql = (compiled / "intermediate" / "customers" / f"{CHANGED}.sql").read_text()
    assert re.search(r'"prod"\."int_customers_in_scope"', changed_sql), changed_sql
    assert re.search(r'"prod"\."int_order_items_in_window"', changed_sql), changed_sql
    mart_sql = (compiled / "marts" / "customer_features.sql").read_text()
    assert re.search(rf'"pr_1"\."{CHANGED}"', mart_sql), "the mart reads the changed model from the PR"
    assert re.search(r'"prod"\."int_customers_nearest_dc"', mart_sql), "and the unchanged ones from prod"
    assert '"pr_1"."int_customers_in_scope"' not in mart_sql

    # Same result as production: the change kept the counts.
    differences = pr.query(
        "select count(*) as n from (select * from prod.customer_features"
        " except select * from pr_1.customer_features)"
    )
    assert differences == [{"n": 0}]


def test_the_workflow_runs_what_this_module_proves() -> None:
    """Reads text only (.github/workflows/pull-request.yml; actionlint checks its syntax in make lint):
    the slim-CI job builds the same selection with --defer into pr_<number>, and a job drops it."""
    import yaml

    workflow = yaml.safe_load((PROJECT_DIR / ".github" / "workflows" / "pull-request.yml").read_text())
    jobs = workflow["jobs"]
    slim_job = jobs["slim-ci-redshift"]
    assert slim_job["env"]["REDSHIFT_SCHEMA"] == "pr_${{ github.event.pull_request.number }}"
    assert "needs.redshift-secrets.outputs.present == 'true'" in slim_job["if"]
    runs = [step.get("run", "") for step in slim_job["steps"]]
    assert ".venv/bin/dbt build --select state:modified+ --defer --state prod-artifacts" in runs
    assert any("manifest.json" in run and "PROD_ARTIFACTS_URI" in run for run in runs)

    drop = jobs["drop-pr-schema"]
    assert "github.event.action == 'closed'" in drop["if"]
    assert any("drop schema if exists pr_{number} cascade" in step.get("run", "") for step in drop["steps"])

    # The pull-request checks: lint, the fast loop, the whole suite, each with the cached venv.
    commands = {name: [s.get("run") for s in job["steps"]] for name, job in jobs.items()}
    assert "make lint" in commands["lint"]
    assert "make check" in commands["fast-loop"]
    assert {"bash scripts/install-system-deps.sh", "make test"} <= set(commands["full"])
    for name in ("lint", "fast-loop", "full"):
        (cache,) = [s for s in jobs[name]["steps"] if s.get("uses", "").startswith("actions/cache@")]
        assert "hashFiles('requirements.lock', 'pyproject.toml')" in cache["with"]["key"]
