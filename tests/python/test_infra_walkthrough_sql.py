"""The SQL of infra/README.md's first-run walk-through, run on a real PostgreSQL server.

An operator goes from `terraform apply` to the first weekly build with SQL from two places: the
statements of `terraform output bootstrap_sql` (run by infra/bootstrap.sh), taken here from the
offline plan's output, and every ```sql block of infra/README.md, each preceded by a marker
`<!-- walkthrough-sql: admin -->` or `<!-- walkthrough-sql: analyst <user> -->` that says who runs
it. Both are read from their sources at test time, so the docs cannot drift from what is tested.
Between them the test plays what the weekly build does (the dbt user creates its schema and the
mart and grants it the way dbt-redshift does), then checks that the analyst's query reads the
mart and that the CI user reads production, also after a rebuild replaced the table.

What PostgreSQL cannot run, and what stands in for it (Redshift-only syntax; nothing else is
rewritten):
- `CREATE USER ... PASSWORD DISABLE`: PostgreSQL has no PASSWORD DISABLE; the clause is dropped
  (a role without a password cannot sign in with one either). On Redshift the user signs in
  through IAM (GetCredentials), which no PostgreSQL server has.
- `CREATE EXTERNAL SCHEMA ... FROM DATA CATALOG`: Spectrum over Glue exists only on Redshift,
  and its IAM role's ARN is unknown until apply (the plan shows it as unknown). Skipped; a plain
  `create schema` of the same name stands in so that the statements after it run.
- The users Redshift creates at a person's first IAM sign-in (`IAM:alice`) are created by the
  test. `IAMR:`/`IAM:` names are quoted identifiers in the sources and run unchanged.

Everything else (the group, the grants, `alter group ... add user`, `alter default privileges
for user ... in schema ...`, the analyst's query) runs as written. Needs terraform and the AWS
provider mirror for the bootstrap output (skipped without them, like test_infra.py's plan
checks) and PostgreSQL (skipped without it, a failure in CI: tests/python/postgres_server.py);
each test starts a server of its own, since PostgreSQL's roles are cluster-wide.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import psycopg2
import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
INFRA = ROOT / "infra"
README = INFRA / "README.md"
PROVIDER_MIRROR = Path("/opt/tf-plugins/registry.terraform.io/hashicorp/aws")

MARKER = re.compile(
    r"<!-- walkthrough-sql: (?P<role>admin|analyst (?P<user>\S+)) -->\n```sql\n(?P<sql>.*?)```", re.S
)


def readme_sql_blocks() -> list[tuple[str, str | None, str]]:
    """(role, user, sql) of every marked ```sql block, in order; an unmarked block fails."""
    text = README.read_text()
    blocks = [(m["role"].split()[0], m["user"], m["sql"]) for m in MARKER.finditer(text)]
    assert len(blocks) == text.count("```sql"), "every ```sql block of infra/README.md needs its marker"
    return blocks


@pytest.fixture
def server():
    """A server of its own per test: users and groups are cluster-wide in PostgreSQL, and these
    tests create `analysts`, `ci_dbt` and the dbt user, which must not meet other modules' roles."""
    from postgres_server import require_bin_dir, running_server

    with running_server(require_bin_dir()) as own:
        yield own


@pytest.fixture(scope="module")
def plan() -> dict:
    if shutil.which("terraform") is None:
        pytest.skip("no terraform binary on PATH: the bootstrap SQL comes from the offline plan")
    if not PROVIDER_MIRROR.is_dir():
        pytest.skip("no AWS provider in the filesystem mirror: the bootstrap SQL comes from the offline plan")
    result = subprocess.run(
        ["bash", str(INFRA / "check.sh"), "plan"], capture_output=True, text=True, timeout=600, cwd=ROOT
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return json.loads((INFRA / ".offline" / "plan.json").read_text())


def variables(plan: dict) -> dict:
    return {k: v["value"] for k, v in plan["variables"].items()}


def bootstrap_for_postgres(plan: dict) -> tuple[list[str], list[str]]:
    """The plan's bootstrap_sql rewritten for PostgreSQL, and what was skipped (with why)."""
    output = plan["output_changes"]["bootstrap_sql"]
    statements, skipped = [], []
    spectrum_schema = variables(plan)["spectrum_schema"]
    for sql, unknown in zip(output["after"], output["after_unknown"], strict=True):
        if unknown:
            # The only statement with an unknown value: the external schema (Spectrum role ARN).
            skipped.append("CREATE EXTERNAL SCHEMA (Spectrum over Glue; role ARN unknown at plan)")
            statements.append(f"create schema {spectrum_schema}")
            continue
        assert not sql.upper().startswith("CREATE EXTERNAL"), sql
        statements.append(re.sub(r" PASSWORD DISABLE$", "", sql))
    return statements, skipped


def mart_columns(target_type: str = "redshift") -> list[tuple[str, str]]:
    """customer_features' contract: (column, data_type), as the build creates the table; a type
    written per target (Jinja on `target.type`) is rendered for `target_type`."""
    import jinja2

    models = yaml.safe_load((ROOT / "models" / "marts" / "_marts__models.yml").read_text())["models"]
    (mart,) = [m for m in models if m["name"] == "customer_features"]
    target = {"type": target_type}
    return [
        (c["name"], jinja2.Template(c["data_type"]).render(target=target).strip()) for c in mart["columns"]
    ]


def run(connection, sql: str, role: str | None = None) -> list[tuple]:
    """Runs sql (one or more statements) as `role` (SET ROLE: that role's privileges apply)."""
    with connection.cursor() as cursor:
        cursor.execute("reset role" if role is None else f'set role "{role}"')
        cursor.execute(sql)
        rows = cursor.fetchall() if cursor.description else []
        cursor.execute("reset role")
    return rows


def weekly_build(connection, dbt_user: str, schema: str, group: str) -> None:
    """What the build does to the mart, as the dbt user: its schema (first build), the table
    replaced whole, then dbt-redshift's grants (`grant select on <relation> to group <g>`, the
    project's grant_schema_usage post-hook)."""
    columns = ", ".join(f"{name} {data_type}" for name, data_type in mart_columns())
    run(connection, f"create schema if not exists {schema}", dbt_user)
    run(connection, f"drop table if exists {schema}.customer_features", dbt_user)
    run(connection, f"create table {schema}.customer_features ({columns})", dbt_user)
    run(
        connection,
        f"insert into {schema}.customer_features (user_id, profit_level, purchase_amount_last_year) "
        "values (1, 1, 0), (2, 1, 12.50), (3, 3, 170.00)",
        dbt_user,
    )
    run(connection, f"grant select on {schema}.customer_features to group {group}", dbt_user)
    run(connection, f'grant usage on schema "{schema}" to group {group}', dbt_user)


def fresh_database(server, name: str):
    server.create_database(name)
    connection = psycopg2.connect(host=server.host, port=server.port, user=server.user, dbname=name)
    connection.autocommit = True
    return connection


def test_every_readme_sql_block_is_marked_with_who_runs_it() -> None:
    """Reads text only: the markers the PostgreSQL test below relies on."""
    blocks = readme_sql_blocks()
    assert [role for role, _, _ in blocks] == ["admin", "analyst", "admin"]


def test_walkthrough_sql_runs_on_postgres(plan, server) -> None:
    values = variables(plan)
    database, schema, group = values["redshift_database"], values["redshift_schema"], values["analysts_group"]
    dbt_user = plan["output_changes"]["redshift_dbt_user"]["after"]
    statements, skipped = bootstrap_for_postgres(plan)
    assert skipped == ["CREATE EXTERNAL SCHEMA (Spectrum over Glue; role ARN unknown at plan)"]
    assert f"CREATE GROUP {group}" in statements

    connection = fresh_database(server, database)
    try:
        for sql in statements:  # step 4, as the admin
            run(connection, sql)
        (first_admin, analyst, ci) = readme_sql_blocks()
        run(connection, f'create user "{analyst[1]}"')  # Redshift: at the analyst's first IAM sign-in
        run(connection, first_admin[2])  # alter group ... add user

        weekly_build(connection, dbt_user, schema, group)  # step 6: the grants to the group succeed
        run(connection, ci[2])  # the slim-CI user, after the first build

        # Step 8, as the analyst: one row per profit level present, counts add up.
        rows = run(connection, analyst[2], analyst[1])
        assert [(level, count) for level, count, _ in rows] == [(1, 2), (3, 1)]
        # The analyst reads the mart and nothing the group was not granted.
        with pytest.raises(psycopg2.errors.InsufficientPrivilege):
            run(connection, f"create table {schema}.not_theirs (x int)", analyst[1])

        # The CI user reads production, also after the next weekly build replaced the table
        # (default privileges), and creates its own pr_<number> schema.
        weekly_build(connection, dbt_user, schema, group)
        assert run(connection, f"select count(*) from {schema}.customer_features", "ci_dbt") == [(3,)]
        run(connection, "create schema pr_42", "ci_dbt")
        run(
            connection,
            f"create table pr_42.customer_features as select * from {schema}.customer_features",
            "ci_dbt",
        )
        run(connection, "drop schema pr_42 cascade", "ci_dbt")
    finally:
        connection.close()


def test_without_the_group_the_builds_grant_fails(plan, server) -> None:
    """The defect the bootstrap's CREATE GROUP fixes: the mart's grant to a missing group fails
    (and on Redshift rolls the mart back)."""
    values = variables(plan)
    statements, _ = bootstrap_for_postgres(plan)
    without_group = [s for s in statements if not s.startswith("CREATE GROUP")]
    assert len(without_group) == len(statements) - 1
    dbt_user = plan["output_changes"]["redshift_dbt_user"]["after"]

    connection = fresh_database(server, values["redshift_database"])
    try:
        for sql in without_group:
            run(connection, sql)
        with pytest.raises(psycopg2.errors.UndefinedObject, match=values["analysts_group"]):
            weekly_build(connection, dbt_user, values["redshift_schema"], values["analysts_group"])
    finally:
        connection.close()
