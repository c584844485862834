"""A dress rehearsal of the weekly Redshift run, as the real user, with Spectrum's reading rules.

The real dbt-redshift adapter runs against redshift_stand_in.py's connection (PostgreSQL, with
Redshift's documented rules emulated; the module docstring lists each rule and its page):

1. The admin's one-time setup is the infra bootstrap's own SQL, `terraform output bootstrap_sql`
   from the offline plan (infra/check.sh plan): the dbt task's user, CREATE on the database, the
   Spectrum external schema over the Glue database (its tables are the plan's Glue tables, not
   the Python contract), owned by that user, and the analysts' group.
2. As that user, with exactly those grants (not a superuser): `dbt run-operation
   create_spectrum_schema`, `dbt build --target redshift` (seeds, models, data and unit tests, the
   snapshot), a second, incremental build, the weekly segment step (`customer-mart segment
   --target redshift`: UNLOAD of the mart and COPY of the week's segment tables through S3, moto in
   server mode here, run by redshift_s3.py), then `customer-mart smoke` (infra/README.md's smoke
   step: every raw table read, a build into a scratch schema, the schema dropped), after a new
   week's file was added to the bucket.
3. The raw tables are read by the stand-in from the raw Parquet files, as Spectrum would read them
   at query time (`customer_mart.spectrum`): a copy of the 2,000-user generated data plus a file in
   a subfolder with multibyte text (an accented state that fits its varchar(256), and one of 200
   characters and 272 bytes that does not), and a marker and a hidden file Spectrum skips.

What it proves: the adapter's whole build runs as the dbt user; every data test and unit test
passes; the mart equals the DuckDB mart of the generated files row by row, and the multibyte
users are in it (the state that fits as written, the oversized one NULL); the view of the builds
holds both builds with their check counts; the segment step writes a segment for every customer
as the dbt user; an analyst of the group reads the marts granted to it (the mart, the snapshot,
the view of the builds, the segment tables, the time spine) and nothing else, and sees the grants
where a member can; the smoke step passes, reads the week's new file, and drops its schema; the
pseudo-columns `"$path"` and `"$size"` are selectable and left out of `select *`. Every statement
the adapter sent, and every unit-test fixture, passes redshift_rules.py's gate, which only reads
text: each construct in its tree (statement kind, clause, function and its arguments, type,
operator, system relation) is on the allow-list of what AWS's Redshift reference documents
(redshift_allowlist.py, each entry with its page), it holds nothing from the deny-lists
(unsupported PostgreSQL functions and features, DuckDB's functions, the known traps), and it
parses with sqlfluff's Redshift grammar too (UNLOAD and COPY are parsed by redshift_s3.py, by
their own pages). Planted statements (a named WINDOW, generate_series, an offset timestamp,
counts divided as integers, varchar without a length, DuckDB's functions) are refused by name.
Planted faults, each on a small raw folder and its own server, fail naming what is wrong: the
bootstrap without its CREATE grant, an integer Parquet column stored as DOUBLE, a seed value of
200 accented characters over its varchar(256), TEMP revoked, a Glue column that drifted from the
files.

What it cannot: Redshift's own planner, its SQL engine (PostgreSQL runs the SQL; the gate checks
the constructs), IAM (GetCredentials, the Spectrum role's S3 and Glue access, KMS), the network
path of the workgroup to S3 and Glue, Spectrum's handling of Parquet beyond the rules in
customer_mart.spectrum (AWS publishes no full table), and text types a query derives itself.
The first live run's smoke step (infra/README.md) is where those are confirmed.

Cost on this machine: see docs/testing.md (one module-scoped run for the main path; the planted
faults each a single small dbt command).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from collections import Counter
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import pytest
import redshift_rules
from conftest import PROJECT_DIR, DbtProject
from raw_tables import ts, write_raw, write_raw_file
from redshift_stand_in import StandIn, StandInConnection, glue_catalog, read_log, write_config
from test_freshness import newest_rows
from test_infra_walkthrough_sql import PROVIDER_MIRROR, readme_sql_blocks
from test_postgres import assert_same_marts
from test_redshift_offline import REDSHIFT_ENV

STAND_IN = [sys.executable, str(Path(__file__).with_name("redshift_stand_in.py"))]
ADMIN = "postgres"
VARS = {"as_of_date": "2026-06-30"}
ARTIFACTS = PROJECT_DIR / "test-artifacts" / "redshift-rehearsal"
ANALYST = "IAM:alice"

# The multibyte fixture: users in a subfolder of the users' location (Spectrum reads subfolders).
STATE_THAT_FITS = "Île-de-France"
STATE_OVER_ITS_SIZE = ("Ébène Çà Ôrô Ñuñoa Île Ré Açaí Évora " * 6)[:200]  # 200 characters, 272 bytes
ACCENTED_USERS = [
    {
        "id": 900001, "first_name": "Zoé", "last_name": "Müller", "email": "zoe@example.com", "age": 34,
        "gender": "F", "state": STATE_THAT_FITS, "street_address": "1 rue de l'Église",
        "postal_code": "75015",
        "city": "Paris", "country": "France", "latitude": 48.84, "longitude": 2.29,
        "traffic_source": "Search", "created_at": ts("2025-02-03 10:00:00"),
    },
    {
        "id": 900002, "first_name": "João", "last_name": "Conceição", "email": "joao@example.com",
        "age": 51, "gender": "M", "state": STATE_OVER_ITS_SIZE, "street_address": "Rua das Flores",
        "postal_code": "9000",
        "city": "Funchal", "country": "Portugal", "latitude": 32.65, "longitude": -16.91,
        "traffic_source": "Organic", "created_at": ts("2025-03-04 11:00:00"),
    },
]  # fmt: skip


# --- The platform: the offline plan, a server, the bootstrap ------------------------------------
@pytest.fixture(scope="module")
def plan() -> dict:
    from system_deps import require

    require("terraform", shutil.which("terraform") is not None, "see infra/README.md (Terraform >= 1.6)")
    require(
        "the AWS provider in the filesystem mirror", PROVIDER_MIRROR.is_dir(), "see /work/shared/NOTES.md"
    )
    result = subprocess.run(
        ["bash", str(PROJECT_DIR / "infra" / "check.sh"), "plan"],
        capture_output=True,
        text=True,
        timeout=600,
        cwd=PROJECT_DIR,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return json.loads((PROJECT_DIR / "infra" / ".offline" / "plan.json").read_text())


def plan_variables(plan: dict) -> dict:
    return {name: value["value"] for name, value in plan["variables"].items()}


def planned(plan: dict, address: str) -> dict:
    """A resource's planned values, in the root module or in a module it calls."""
    modules, found = [plan["planned_values"]["root_module"]], []
    while modules:
        module = modules.pop()
        modules.extend(module.get("child_modules", []))
        found += [r for r in module.get("resources", []) if r["address"] == address]
    (resource,) = found
    return resource["values"]


def spectrum_role_arn(plan: dict) -> str:
    """The Spectrum role's ARN, which the plan leaves unknown until apply, from its known parts."""
    variables = plan_variables(plan)
    return f"arn:aws:iam::{variables['aws_account_id']}:role/{planned(plan, 'aws_iam_role.spectrum')['name']}"


def bootstrap_statements(plan: dict, leave_out: str | None = None) -> list[str]:
    """`terraform output bootstrap_sql` as the plan has it. Its one unknown statement, CREATE
    EXTERNAL SCHEMA (the role's ARN is known at apply), is written from infra/outputs.tf's template
    with the plan's values; `leave_out` drops the statement starting with it."""
    variables = plan_variables(plan)
    output = plan["output_changes"]["bootstrap_sql"]
    statements = []
    for sql, unknown in zip(output["after"], output["after_unknown"], strict=True):
        if unknown:
            sql = (
                f"CREATE EXTERNAL SCHEMA IF NOT EXISTS {variables['spectrum_schema']} FROM DATA CATALOG "
                f"DATABASE '{planned(plan, 'aws_glue_catalog_database.raw')['name']}' "
                f"REGION '{variables['aws_region']}' IAM_ROLE '{spectrum_role_arn(plan)}'"
            )
            assert "CREATE EXTERNAL SCHEMA IF NOT EXISTS ${var.spectrum_schema} FROM DATA CATALOG" in (
                (PROJECT_DIR / "infra" / "outputs.tf").read_text()
            ), "infra/outputs.tf's external schema statement changed: update this copy"
        statements.append(sql)
    if leave_out:
        kept = [sql for sql in statements if not sql.startswith(leave_out)]
        assert len(kept) == len(statements) - 1, leave_out
        return kept
    return statements


class Platform:
    """A PostgreSQL server set up as the bootstrap leaves a Redshift database, with the stand-in's
    configuration, and how to run dbt or the smoke command through it as the dbt user."""

    def __init__(self, server, plan: dict, raw_dir: Path, workdir: Path, leave_out: str | None = None):
        variables = plan_variables(plan)
        self.server, self.plan, self.raw_dir, self.workdir = server, plan, raw_dir, workdir
        self.database = variables["redshift_database"]
        self.user = plan["output_changes"]["redshift_dbt_user"]["after"]
        self.schema = variables["redshift_schema"]
        self.raw_schema = variables["spectrum_schema"]
        self.group = variables["analysts_group"]
        catalog = glue_catalog(plan)
        self.glue_database = planned(plan, "aws_glue_catalog_database.raw")["name"]
        self.location = planned(plan, "aws_glue_catalog_database.raw")["location_uri"]
        server.create_database(self.database)
        workdir.mkdir(parents=True, exist_ok=True)
        # The bucket's raw prefix, s3://<bucket>/<raw_prefix>/, is the raw folder.
        self.config = write_config(
            workdir / "stand-in.json",
            host=server.host,
            port=server.port,
            database=self.database,
            admin=ADMIN,
            catalog=catalog,
            s3={self.location: str(raw_dir)},
        )
        self.stand_in = StandIn.from_file(self.config)
        self.stand_in.install()
        for sql in bootstrap_statements(plan, leave_out):
            self.stand_in.admin(sql)
        self.env = {
            **REDSHIFT_ENV,
            "REDSHIFT_USER": self.user,
            "REDSHIFT_DATABASE": self.database,
            "REDSHIFT_SCHEMA": self.schema,
            "RAW_SCHEMA": self.raw_schema,
            "SPECTRUM_SCHEMA": self.raw_schema,
            "GLUE_DATABASE": self.glue_database,
            "SPECTRUM_IAM_ROLE_ARN": spectrum_role_arn(plan),
            "AWS_REGION": variables["aws_region"],
            "ANALYSTS_GROUP": self.group,
            "STAND_IN_CONFIG": str(self.config),
        }

    def dbt(self, *args: str, log: str, project_dir: Path = PROJECT_DIR) -> subprocess.CompletedProcess:
        project = DbtProject(
            workdir=self.workdir, raw_dir=self.raw_dir, target="redshift", project_dir=project_dir
        )
        project.extra_env = {**self.env, "STAND_IN_LOG": str(self.workdir / f"statements-{log}.jsonl")}
        return project.run(*args, vars=VARS, launcher=STAND_IN, check=False)

    def smoke(self, log: str) -> subprocess.CompletedProcess:
        profiles = self.workdir / "profiles"
        profiles.mkdir(exist_ok=True)
        shutil.copy(PROJECT_DIR / "profiles.yml.example", profiles / "profiles.yml")
        env = {
            **os.environ,
            **self.env,
            "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
            "STAND_IN_LOG": str(self.workdir / f"statements-{log}.jsonl"),
        }
        command = [*STAND_IN, "--smoke", "--project-dir", str(PROJECT_DIR), "--profiles-dir", str(profiles)]
        command += ["--vars", json.dumps(VARS)]
        return subprocess.run(command, cwd=PROJECT_DIR, env=env, capture_output=True, text=True, check=False)

    def segment(self, log: str, aws_env: dict[str, str]) -> subprocess.CompletedProcess:
        """The weekly task's segment step, `customer-mart segment --target redshift`, as the dbt
        user, with the task's SEGMENTS_* settings (infra/ecs.tf) and S3 at `aws_env`'s endpoint."""
        profiles = self.workdir / "profiles"
        profiles.mkdir(exist_ok=True)
        shutil.copy(PROJECT_DIR / "profiles.yml.example", profiles / "profiles.yml")
        env = {
            **os.environ,
            **self.env,
            **aws_env,
            "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
            "STAND_IN_LOG": str(self.workdir / f"statements-{log}.jsonl"),
        }
        command = [*STAND_IN, "--segment", "--target", "redshift", "--profiles-dir", str(profiles)]
        command += ["--charts-dir", str(self.workdir / "charts")]
        return subprocess.run(command, cwd=PROJECT_DIR, env=env, capture_output=True, text=True, check=False)

    def connect(self, user: str) -> StandInConnection:
        """A connection through the stand-in, as `user` (the adapter's kind)."""
        postgres = self.stand_in.postgres(user)
        postgres.autocommit = True
        return StandInConnection(self.stand_in, postgres, user, log_path=None)

    def query(self, user: str, sql: str) -> list[tuple]:
        connection = self.connect(user)
        try:
            with connection.cursor() as cursor:
                cursor.execute(sql)
                return cursor.fetchall()
        finally:
            connection.close()


@pytest.fixture(scope="module")
def server():
    """A server of this module's own: the bootstrap's users and groups are cluster-wide."""
    from postgres_server import require_bin_dir, running_server

    with running_server(require_bin_dir()) as own:
        yield own


def raw_with_multibyte_text(source: Path, target: Path) -> Path:
    """The generated raw files, plus the multibyte users in a subfolder, and two objects
    Spectrum (and DuckDB's folder rules) skip: a marker `_SUCCESS` and a hidden file."""
    shutil.copytree(source, target)
    write_raw_file(target, "users", ACCENTED_USERS, "extra/accents.parquet")
    (target / "users" / "_SUCCESS").write_text("")
    (target / "users" / ".hidden.parquet").write_text("not parquet")
    return target


@pytest.fixture(scope="module")
def raw_dir(small_generated_dir, tmp_path_factory) -> Path:
    return raw_with_multibyte_text(small_generated_dir, tmp_path_factory.mktemp("rehearsal") / "raw")


@pytest.fixture(scope="module")
def duckdb_mart(small_warehouse) -> list[dict]:
    """DuckDB's mart of the generated files and the same as_of_date (conftest's small_warehouse,
    shared with other modules), to compare with; the multibyte users are checked on their own."""
    return small_warehouse.query("select * from customer_features order by user_id")


@pytest.fixture(scope="module")
def platform(server, plan, raw_dir, tmp_path_factory) -> Platform:
    return Platform(server, plan, raw_dir, tmp_path_factory.mktemp("rehearsal-work"))


@pytest.fixture(scope="module")
def segments_s3(plan, moto_endpoint):
    """moto in server mode (a thread of this process) as the segment step's S3 and KMS: the
    artefacts bucket and a platform key; the environment the step runs with (infra/ecs.tf's
    SEGMENTS_* settings, the ARNs the plan leaves unknown written from their known parts)."""
    import boto3

    variables = plan_variables(plan)
    region = variables["aws_region"]
    endpoint = moto_endpoint
    credentials = {"aws_access_key_id": "testing", "aws_secret_access_key": "testing"}
    bucket = planned(plan, "module.artifacts_bucket.aws_s3_bucket.this")["bucket"]
    s3 = boto3.client("s3", region_name=region, endpoint_url=endpoint, **credentials)
    s3.create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": region})
    kms = boto3.client("kms", region_name=region, endpoint_url=endpoint, **credentials)
    key = kms.create_key()["KeyMetadata"]["Arn"]
    role = f"arn:aws:iam::{variables['aws_account_id']}:role/{planned(plan, 'aws_iam_role.segments')['name']}"
    yield {
        "s3": s3,
        "bucket": bucket,
        "prefix": variables["segments_prefix"],
        "env": {
            "AWS_ENDPOINT_URL": endpoint,
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_REGION": region,
            "AWS_DEFAULT_REGION": region,
            "AWS_CONFIG_FILE": "/dev/null",
            "AWS_SHARED_CREDENTIALS_FILE": "/dev/null",
            "AWS_EC2_METADATA_DISABLED": "true",
            "SEGMENTS_BUCKET": bucket,
            "SEGMENTS_PREFIX": variables["segments_prefix"],
            "SEGMENTS_IAM_ROLE_ARN": role,
            "SEGMENTS_KMS_KEY_ARN": key,
        },
    }


NEW_WEEK_USER = {
    "id": 900003, "first_name": "Amélie", "gender": "F", "age": 29, "state": "Bretagne",
    "country": "France", "latitude": 48.1, "longitude": -1.7, "traffic_source": "Email",
    "created_at": ts("2026-06-29 09:00:00"),
}  # fmt: skip


@pytest.fixture(scope="module")
def rehearsal(platform, duckdb_mart, segments_s3):
    """The whole rehearsal, run once: the three dbt steps and the segment step as the dbt user,
    then a new week's file in the bucket and the smoke command."""
    outcome = {
        "duckdb_rows": duckdb_mart,
        "manifest": platform.workdir / "target" / "manifest.json",
        "logs": {},
        "ok": {},
        "output": {},
        "plans": {},
        "started": {},
        "results": {},
        "marts": {},
    }
    steps = {
        "spectrum": ["run-operation", "create_spectrum_schema"],
        "build": ["build"],
        "incremental": ["build"],
    }
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    for step, args in steps.items():
        log = outcome["logs"][step] = platform.workdir / f"statements-{step}.jsonl"
        result = platform.dbt(*args, log=step)
        outcome["ok"][step] = result.returncode == 0
        outcome["output"][step] = result.stdout[-8000:] + result.stderr[-4000:]
        outcome["plans"][step] = [
            line for line in result.stdout.splitlines() if "stg_thelook__events: " in line
        ]
        outcome["started"][step] = [line for line in result.stdout.splitlines() if "target redshift" in line]
        if log.exists():
            shutil.copy(log, ARTIFACTS / log.name)
        if step != "spectrum":
            outcome["results"][step] = json.loads(
                (platform.workdir / "target" / "run_results.json").read_text()
            )["results"]
            if result.returncode == 0:
                outcome["marts"][step] = platform.server.query(
                    platform.database, f"select * from {platform.schema}.customer_features order by user_id"
                )
    segment = platform.segment("segment", segments_s3["env"])
    outcome["ok"]["segment"] = segment.returncode == 0
    outcome["output"]["segment"] = segment.stdout[-8000:] + segment.stderr[-4000:]
    outcome["logs"]["segment"] = platform.workdir / "statements-segment.jsonl"
    if outcome["logs"]["segment"].exists():
        shutil.copy(outcome["logs"]["segment"], ARTIFACTS / "statements-segment.jsonl")
    outcome["users_before"] = platform.query(
        platform.user, f"select count(*) from {platform.raw_schema}.users"
    )
    new_file = write_raw_file(
        platform.raw_dir, "users", [NEW_WEEK_USER], "dt=2026-06-29/users-week-27.parquet"
    )
    outcome["new_file"] = new_file
    smoke = platform.smoke("smoke")
    outcome["smoke"] = smoke.stdout + smoke.stderr
    outcome["ok"]["smoke"] = smoke.returncode == 0
    outcome["logs"]["smoke"] = platform.workdir / "statements-smoke.jsonl"
    if outcome["logs"]["smoke"].exists():
        shutil.copy(outcome["logs"]["smoke"], ARTIFACTS / "statements-smoke.jsonl")
    return outcome


def test_the_bootstrap_leaves_a_user_who_is_not_a_superuser(platform):
    rows = platform.server.query(
        platform.database,
        f"select rolsuper, rolcreaterole, rolcreatedb from pg_roles where rolname = '{platform.user}'",
    )
    assert rows == [{"rolsuper": False, "rolcreaterole": False, "rolcreatedb": False}]
    # Its privileges are the bootstrap's: CREATE on the database, the external schema as owner,
    # TEMP through PUBLIC (Redshift's default, and PostgreSQL's).
    assert platform.query(
        platform.user,
        f"select has_database_privilege(current_database(), 'CREATE'), "
        f"has_database_privilege(current_database(), 'TEMP'), "
        f"pg_get_userbyid(nspowner) = current_user from pg_namespace where nspname = '{platform.raw_schema}'",
    ) == [(True, True, True)]


def test_create_spectrum_schema_runs_as_the_dbt_user_and_reads_the_glue_database(rehearsal, platform):
    assert rehearsal["ok"]["spectrum"], rehearsal["output"]["spectrum"]
    sent = [entry["sql"] for entry in read_log(rehearsal["logs"]["spectrum"])]
    assert any(
        f"create external schema if not exists {platform.raw_schema} from data catalog" in " ".join(s.split())
        for s in sent
    )
    assert "External schema thelook_raw reads Glue database" in rehearsal["output"]["spectrum"]
    found = platform.query(
        platform.user,
        "select databasename, esoptions from svv_external_schemas"
        f" where schemaname = '{platform.raw_schema}'",
    )
    assert [(database, json.loads(options)["IAM_ROLE"]) for database, options in found] == [
        (platform.glue_database, spectrum_role_arn(platform.plan))
    ]


def test_the_build_logs_its_week_and_the_glue_database(rehearsal, platform):
    """The start-of-build line (log_build_start) reads the external schema's Glue database from
    svv_external_schemas, as Redshift records it."""
    assert [line.split("  ", 1)[-1] for line in rehearsal["started"]["build"]] == [
        "dbt build: target redshift (redshift), as_of_date 2026-06-30, feature window 2025-06-30 to"
        f" 2026-06-29, raw data: external schema {platform.raw_schema}"
        f" over Glue database {platform.glue_database}"
    ]


def test_the_freshness_guard_reads_each_tables_newest_row(rehearsal, platform, small_generated_dir):
    """The freshness guard ran in both builds and passed, on the newest rows the profiles computed
    in Redshift SQL: the same instants as read from the files (at or before as_of_date)."""
    for step in ("build", "incremental"):
        statuses = {r["unique_id"]: r["status"] for r in rehearsal["results"][step]}
        assert statuses["test.customer_mart.raw_tables_fresh"] == "pass", step
    recorded = platform.server.query(
        platform.database,
        "select distinct table_name, newest_row_at, max_age_days"
        f" from {platform.schema}.monitoring_raw_table_volumes where newest_row_at is not null",
    )
    # The generated files' newest rows (the multibyte users added here are older).
    expected = newest_rows(small_generated_dir, VARS["as_of_date"])
    assert {r["table_name"]: r["newest_row_at"] for r in recorded} == expected
    assert {r["max_age_days"] for r in recorded} == {7}


@pytest.mark.parametrize("step", ["build", "incremental"])
def test_every_model_data_test_unit_test_and_the_snapshot_pass(rehearsal, step):
    assert rehearsal["ok"][step], rehearsal["output"][step]
    results = rehearsal["results"][step]
    ran = Counter(result["unique_id"].split(".")[0] for result in results)
    assert ran["model"] >= 15 and ran["test"] >= 50 and ran["unit_test"] >= 20, ran
    assert ran["seed"] == 1 and ran["snapshot"] == 1, ran
    failed = [r["unique_id"] for r in results if r["status"] in {"error", "fail", "runtime error", "skipped"}]
    assert not failed, failed
    # The cases of text timestamps with an offset are disabled on Redshift; their rules' other
    # cases, in zone-less UTC, run.
    unit_tests = {r["unique_id"].split(".")[-1] for r in results if r["unique_id"].startswith("unit_test.")}
    assert not unit_tests & {
        "users_timestamps_with_an_offset_are_converted_to_utc",
        "events_are_counted_on_their_utc_day",
    }
    assert {"users_are_cleaned_and_kept_once", "users_text_over_its_size_is_null"} <= unit_tests


@pytest.mark.parametrize("step", ["build", "incremental"])
def test_the_mart_equals_the_duckdb_mart(rehearsal, step):
    assert rehearsal["ok"][step], rehearsal["output"][step]
    assert len(rehearsal["duckdb_rows"]) > 1900
    added = {user["id"] for user in ACCENTED_USERS}
    generated = [row for row in rehearsal["marts"][step] if row["user_id"] not in added]
    assert_same_marts(rehearsal["duckdb_rows"], generated)
    assert {row["user_id"] for row in rehearsal["marts"][step]} >= added


def test_multibyte_text_reaches_the_mart_or_is_null_over_its_size(rehearsal, platform):
    """The accented state of 13 characters (14 bytes) reaches the mart; the one of 200 characters
    is 272 bytes, over its varchar(256), so NULL (as on DuckDB: the unit test
    users_text_over_its_size_is_null runs on both), its user kept, and counted."""
    mart = {row["user_id"]: row for row in rehearsal["marts"]["build"]}
    assert mart[900001]["state"] == STATE_THAT_FITS
    assert len(STATE_OVER_ITS_SIZE) <= 256 < len(STATE_OVER_ITS_SIZE.encode())
    assert mart[900002]["state"] is None and mart[900002]["country"] == "Portugal"
    profile = platform.server.query(
        platform.database,
        f"select sum(with_oversized_text) as rows_over from {platform.schema}.profile_thelook__users",
    )
    assert profile == [{"rows_over": 1}]
    warned = {
        r["unique_id"].split(".")[2]: r["status"]
        for r in rehearsal["results"]["build"]
        if "oversized" in r["unique_id"]
    }
    assert warned["warn_users_with_oversized_text"] == "warn"


# The only text column left at Redshift's widest: a JSON document whose size has no bound.
WIDEST_TEXT_ALLOWED = {("customer_segment_runs", "model_state")}


def test_every_built_text_column_is_sized(rehearsal, platform):
    """AWS's table-design advice is the smallest column size: intermediate results are sized by the
    declared width. Every text column the build made (tables and views) has a size below 65535
    bytes, besides the listed exceptions; the raw tables' strings come from Glue."""
    columns = platform.server.query(
        platform.database,
        f"""select table_name, column_name, character_maximum_length as size
        from information_schema.columns
        where table_schema = '{platform.schema}' and data_type = 'character varying'
        order by 1, 2""",
    )
    assert len({c["table_name"] for c in columns}) >= 10, columns
    widest = {(c["table_name"], c["column_name"]) for c in columns if c["size"] in (None, 65535)}
    assert widest == WIDEST_TEXT_ALLOWED, sorted(widest - WIDEST_TEXT_ALLOWED)
    sizes = {(c["table_name"], c["column_name"]): c["size"] for c in columns}
    assert sizes[("stg_thelook__events", "raw_file")] == 1093
    assert sizes[("profile_thelook__events", "file_signature")] == 40
    assert sizes[("monitoring_raw_table_volumes", "invocation_id")] == 36


def test_the_second_build_is_incremental(rehearsal):
    """The events staging table is updated in place (delete+insert of the merged ids), not rebuilt:
    the second build finds no new raw file, and says so."""
    assert rehearsal["ok"]["incremental"], rehearsal["output"]["incremental"]
    assert any(
        "stg_thelook__events: no new raw events file" in line for line in rehearsal["plans"]["incremental"]
    )
    assert any(
        "stg_thelook__events: building from every raw events file" in line
        for line in rehearsal["plans"]["build"]
    )
    sent = [
        e["sql"].lower()
        for e in read_log(rehearsal["logs"]["incremental"])
        if e["node"] == "model.customer_mart.stg_thelook__events"
    ]
    assert any("delete from" in s for s in sent) and any("insert into" in s for s in sent), "no delete+insert"
    first = [
        e["sql"].lower()
        for e in read_log(rehearsal["logs"]["build"])
        if e["node"] == "model.customer_mart.stg_thelook__events"
    ]
    # The first build creates the table and records its files; it deletes nothing.
    assert any("create table" in s for s in first)
    assert not any("delete from" in s for s in first)


# What dbt grants to the analysts' group (models/marts, the snapshot): each granted relation, in
# the chain of models/marts that keeps two schema-usage GRANTs from running at once.
GRANTED_TO_ANALYSTS = [
    "customer_features",
    "customer_features_builds",
    "customer_features_snapshot",
    "customer_segment_history",
    "customer_segment_profiles",
    "customer_segment_runs",
    "customer_segments",
    "metricflow_time_spine",
]


def test_an_analyst_reads_the_marts_granted_to_the_group_and_nothing_else(rehearsal, platform):
    """Checked as a member of the analysts' group, as infra/README.md's walk-through adds one: on
    Redshift a regular user sees in svv_relation_privileges only the identities it has access to
    (the dbt user, not in the group, sees none of the group's grants)."""
    assert rehearsal["ok"]["build"], rehearsal["output"]["build"]
    (admin_block, _, _) = readme_sql_blocks()
    platform.stand_in.admin(f'create user "{ANALYST}"')  # Redshift: at the analyst's first IAM sign-in
    platform.stand_in.admin(admin_block[2])  # alter group analysts add user "IAM:alice"
    grants = f"""select relation_name from svv_relation_privileges
        where namespace_name = '{platform.schema}' and identity_name = '{platform.group}'
          and identity_type = 'group' and privilege_type = 'SELECT'
        order by 1"""
    assert platform.query(ANALYST, grants) == [(name,) for name in GRANTED_TO_ANALYSTS]
    assert platform.query(platform.user, grants) == []
    assert platform.query(
        ANALYST, f"select has_schema_privilege('{platform.group}', '{platform.schema}', 'usage')"
    ) == [(True,)]
    for relation in GRANTED_TO_ANALYSTS:
        platform.query(ANALYST, f"select count(*) from {platform.schema}.{relation}")
    assert platform.query(ANALYST, f"select count(*) from {platform.schema}.customer_features") == [
        (len(rehearsal["marts"]["build"]),)
    ]
    for relation in ("stg_thelook__users", "profile_thelook__users", "int_customers_in_scope"):
        with pytest.raises(Exception, match=f"permission denied for (?:table|relation|view) {relation}"):
            platform.query(ANALYST, f"select count(*) from {platform.schema}.{relation}")
    with pytest.raises(Exception, match=f"permission denied for schema {platform.raw_schema}"):
        platform.query(ANALYST, f"select count(*) from {platform.raw_schema}.users")


def test_the_view_of_the_builds_holds_both_builds_with_their_check_counts(rehearsal, platform):
    """Both builds wrote the mart, and the on-run-end hook's check counts, sent through
    dbt-redshift as the dbt user, are there (committed) for each; an analyst reads them."""
    assert rehearsal["ok"]["incremental"], rehearsal["output"]["incremental"]
    builds = platform.query(
        platform.user,
        f"""select as_of_date, customers, checks_passed, checks_failed
        from {platform.schema}.customer_features_builds order by build_started_at""",
    )
    customers = len(rehearsal["marts"]["build"])
    assert len(builds) == 2 and all(build[1] == customers for build in builds), builds
    assert all(build[2] > 0 and build[3] == 0 for build in builds), builds


def test_the_segment_step_runs_as_the_dbt_user_through_s3(rehearsal, platform, segments_s3):
    """The weekly step after the build: UNLOAD of the mart and COPY of the week's tables, as the
    dbt user, every customer of the mart in a segment, the files SSE-KMS under the segments prefix,
    the unloaded mart deleted."""
    assert rehearsal["ok"]["segment"], rehearsal["output"]["segment"]
    sent = read_log(rehearsal["logs"]["segment"])
    assert sent and all(entry["error"] is None for entry in sent)
    kinds = Counter(" ".join(entry["sql"].split()).lower().split(" ")[0] for entry in sent)
    assert kinds["unload"] == 1 and kinds["copy"] == 3, kinds
    segments = platform.query(
        platform.user,
        "select count(*), count(distinct user_id), count(segment_name)"
        f" from {platform.schema}.customer_segments",
    )
    customers = len(rehearsal["marts"]["incremental"])
    assert segments == [(customers, customers, customers)]
    s3, bucket = segments_s3["s3"], segments_s3["bucket"]
    listed = s3.list_objects_v2(Bucket=bucket, Prefix=segments_s3["prefix"] + "/")
    keys = [item["Key"] for item in listed.get("Contents", [])]
    assert keys and not [key for key in keys if "/mart/" in key], keys
    for key in keys:
        head = s3.head_object(Bucket=bucket, Key=key)
        assert head["ServerSideEncryption"] == "aws:kms", key


def test_the_pseudo_columns_name_each_file_and_select_star_leaves_them_out(platform):
    files = platform.query(
        platform.user,
        f"""select "$path", "$size", count(*) from {platform.raw_schema}.users as u
        where u.id in (900001, 900002) group by 1, 2""",
    )
    accents = platform.raw_dir / "users" / "extra" / "accents.parquet"
    assert files == [(f"{platform.location}users/extra/accents.parquet", accents.stat().st_size, 2)]
    connection = platform.connect(platform.user)
    try:
        with connection.cursor() as cursor:
            cursor.execute(f"select * from {platform.raw_schema}.users limit 1")
            assert [column[0] for column in cursor.description] == [
                name for name, _ in glue_catalog(platform.plan)[platform.glue_database]["users"]["columns"]
            ]
            # A column of that name in a CTE is an ordinary column.
            cursor.execute("""with fixture as (select 'x.parquet' as "$path") select "$path" from fixture""")
            assert cursor.fetchall() == [("x.parquet",)]
    finally:
        connection.close()


def test_a_new_weeks_file_is_read_by_the_next_command_and_the_smoke_step_passes(rehearsal, platform):
    """Spectrum reads at query time: the file added after the builds is in the smoke step's read,
    with nothing reloaded by hand; the smoke step reads every table, builds into a scratch
    schema as the dbt user and drops it."""
    assert rehearsal["ok"]["smoke"], rehearsal["smoke"]
    report = rehearsal["smoke"]
    (before,) = rehearsal["users_before"]
    assert (
        f"PASS  read {platform.database}.{platform.raw_schema}.users: {before[0] + 1:,} rows"
        in report.replace('"', "")
    ), report
    assert re.search(r"PASS  build into smoke_\d{8}_\d{6}: every node passed", report), report
    assert re.search(r"PASS  drop schema smoke_\d{8}_\d{6}: dropped", report), report
    assert "Smoke test passed" in report
    assert (
        platform.server.query(
            platform.database, "select nspname from pg_namespace where nspname like 'smoke_%'"
        )
        == []
    )
    sent = read_log(rehearsal["logs"]["smoke"])
    assert sent and all(entry["error"] is None for entry in sent)


# --- Emulated rules, without dbt: each checked on its own ---------------------------------------
def test_a_spectrum_query_needs_temp_on_the_database(platform):
    platform.stand_in.admin(f"revoke temp on database {platform.database} from public")
    try:
        with pytest.raises(Exception, match=f"permission denied for database {platform.database}") as raised:
            platform.query(platform.user, f"select count(*) from {platform.raw_schema}.distribution_centers")
        assert "Redshift Spectrum query needs the privilege to create temporary tables" in str(raised.value)
    finally:
        platform.stand_in.admin(f"grant temp on database {platform.database} to public")


def test_varchar_counts_bytes_as_redshift_does(platform):
    connection = platform.connect(platform.user)
    try:
        with connection.cursor() as cursor:
            cursor.execute("create schema bytes_test")
            cursor.execute("create table bytes_test.labels (label varchar(8), code char(2))")
            cursor.execute("insert into bytes_test.labels values ('abcdefgh', 'ab'), ('éééé', null)")
            with pytest.raises(Exception, match=r"value too long for type character varying\(8\)") as raised:
                cursor.execute("insert into bytes_test.labels values ('ééééé', null)")
            assert "holds 1 value(s) over 8 bytes (the longest is 10 bytes)" in str(raised.value)
            with pytest.raises(Exception, match=r"value too long for type character\(2\)") as raised:
                cursor.execute("insert into bytes_test.labels values (null, 'é')")
            assert "a CHAR takes single-byte characters only" in str(raised.value)
            cursor.execute("select count(*) from bytes_test.labels")
            assert cursor.fetchall() == [(2,)]  # the failed inserts left nothing behind
            # A CTAS whose CAST PostgreSQL truncated by characters kept more bytes than Redshift would.
            with pytest.raises(Exception, match=r"value too long for type character varying\(4\)"):
                cursor.execute(
                    "create table bytes_test.cast_labels as select cast('éééééé' as varchar(4)) as label"
                )
            cursor.execute("select to_regclass('bytes_test.cast_labels')")
            assert cursor.fetchall() == [(None,)]
            cursor.execute("drop schema bytes_test cascade")
    finally:
        connection.close()


def test_what_is_not_emulated_is_refused(platform):
    for sql, message in [
        ("copy t from 's3://b/k' iam_role default", r"emulates COPY \.\.\. FORMAT AS PARQUET only"),
        ("copy t from '/tmp/k.csv'", "COPY: not emulated by the Redshift stand-in"),
        (
            "unload ('select 1') to 's3://b/k' iam_role default",
            r"emulates UNLOAD \.\.\. FORMAT AS PARQUET only",
        ),
        (
            "create external table thelook_raw.x (a int) stored as parquet location 's3://b/x/'",
            "CREATE EXTERNAL TABLE: not emulated by the Redshift stand-in",
        ),
    ]:
        with pytest.raises(Exception, match=message):
            platform.query(platform.user, sql)
    with pytest.raises(Exception, match="can't create local tables in an external schema"):
        platform.query(platform.user, f"create table {platform.raw_schema}.local_table as select 1 as a")


# --- Planted faults: each on a small raw folder, its own server and one dbt command -------------
DISTRIBUTION_CENTERS = [
    {"id": 1, "name": "Memphis TN", "latitude": 35.1174, "longitude": -89.9711},
    {"id": 2, "name": "Chicago IL", "latitude": 41.8369, "longitude": -87.6847},
]


@pytest.fixture
def small_platform(plan, tmp_path):
    """A fresh server and a two-row raw folder; `make(leave_out=...)` bootstraps it."""
    from postgres_server import require_bin_dir, running_server

    raw = tmp_path / "raw"
    write_raw(raw, {"distribution_centers": DISTRIBUTION_CENTERS})
    with running_server(require_bin_dir()) as own:
        yield lambda leave_out=None: Platform(own, plan, raw, tmp_path / "work", leave_out)


def test_without_the_bootstraps_create_grant_the_build_fails_naming_it(small_platform):
    platform = small_platform(leave_out="GRANT CREATE ON DATABASE")
    result = platform.dbt("run", "--select", "stg_thelook__distribution_centers", log="no-create")
    assert result.returncode != 0
    assert f"permission denied for database {platform.database}" in result.stdout, result.stdout[-4000:]


def test_an_integer_stored_as_double_fails_the_scan_naming_file_and_column(small_platform):
    import pyarrow as pa
    import pyarrow.parquet as pq

    from customer_mart.schema import arrow_schema

    platform = small_platform()
    users = platform.raw_dir / "users" / "users-000000000000.parquet"
    # What pandas writes for an integer column with a NULL: the contract's columns, age a DOUBLE.
    schema = arrow_schema("users")
    schema = schema.set(schema.get_field_index("age"), pa.field("age", pa.float64()))
    pq.write_table(
        pa.Table.from_pylist([{"id": 1, "age": 30.0}, {"id": 2, "age": None}], schema=schema), users
    )
    result = platform.dbt("run", "--select", "profile_thelook__users", log="double")
    assert result.returncode != 0
    url = f"{platform.location}users/users-000000000000.parquet"
    assert (
        f"File '{url}' has an incompatible Parquet schema for column 'age'. Column type: BIGINT, "
        "Parquet schema: optional double age"
    ) in result.stdout, result.stdout[-4000:]
    # Only the users' scans fail: another table still reads.
    assert platform.query(
        platform.user, f"select count(*) from {platform.raw_schema}.distribution_centers"
    ) == [(2,)]


def test_a_seed_value_over_its_bytes_fails_the_insert_naming_the_column(small_platform, tmp_path):
    """A description of 200 accented characters fits the seed's varchar(256) on PostgreSQL (256
    characters) but is 400 bytes, over Redshift's 256: the seed's INSERT fails as on Redshift.
    (Accented text that fits goes through the main build: the users' file with accents.)"""
    project = tmp_path / "project"
    shutil.copytree(
        PROJECT_DIR,
        project,
        ignore=shutil.ignore_patterns(
            ".*", "target", "logs", "data", "test-artifacts", "python", "fixtures", "bench", "infra"
        ),
    )
    fits = "Niveau élevé : achats conservés à partir du second seuil"
    over = "é" * 200
    (project / "seeds" / "profit_levels.csv").write_text(
        f"profit_level,label,description\n1,bas,{fits}\n2,moyen,{over}\n3,élevé,Top band\n"
    )
    platform = small_platform()
    result = platform.dbt("seed", log="seed", project_dir=project)
    assert result.returncode != 0
    assert "value too long for type character varying(256)" in result.stdout, result.stdout[-4000:]
    assert "Column description of" in result.stdout and "(the longest is 400 bytes)" in result.stdout


def test_the_glue_tables_come_from_infra_not_from_the_python_contract(small_platform, tmp_path):
    """The stand-in reads the plan's Glue tables: a Glue column that drifted from the files (here,
    age declared string) fails the scan naming it, however the Python contract reads."""
    platform = small_platform()
    config = json.loads(platform.config.read_text())
    users = config["catalog"][platform.glue_database]["users"]["columns"]
    users[[name for name, _ in users].index("age")][1] = "string"
    drifted = tmp_path / "drifted.json"
    drifted.write_text(json.dumps(config))
    write_raw_file(platform.raw_dir, "users", [{"id": 7, "age": 40}], "users-1.parquet")
    stand_in = StandIn.from_file(drifted)
    stand_in.admin(f"drop schema {platform.raw_schema} cascade")
    stand_in.admin("truncate stand_in.external_schemas, stand_in.external_tables, stand_in.external_files")
    for sql in bootstrap_statements(platform.plan):
        if sql.startswith(("CREATE EXTERNAL SCHEMA", "ALTER SCHEMA")):
            stand_in.admin(sql)
    postgres = stand_in.postgres(platform.user)
    postgres.autocommit = True
    connection = StandInConnection(stand_in, postgres, platform.user, log_path=None)
    try:
        with connection.cursor() as cursor, pytest.raises(Exception) as raised:
            cursor.execute(f"select count(*) from {platform.raw_schema}.users")
    finally:
        connection.close()
    expected = (
        "incompatible Parquet schema for column 'age'. Column type: VARCHAR, Parquet schema: optional int64"
    )
    assert f"{expected} age" in str(raised.value)


def _shape(sql: str) -> str:
    sql = re.sub(r"'(?:[^']|'')*'", "''", sql)
    sql = re.sub(r'"[^"]*"', '"x"', sql)
    sql = re.sub(r"\b\d+(?:\.\d+)?\b", "0", sql)
    return " ".join(sql.split())


def _parsable(sql: str) -> str:
    """The statement as the parsers read it: the seed's bind markers (%s) as values."""
    return sql.replace("%s", "null")


def statement_problems(entries: list[dict], with_sqlfluff: bool = True) -> dict[str, set[str]]:
    """{node: problems} over the statements a run sent: redshift_rules on every distinct statement,
    sqlfluff on every distinct shape. Casts to text without length count for the project's own
    SQL: models and data tests (the unit tests' fixtures are checked from the manifest)."""
    failures: dict[str, set[str]] = {}
    seen: set[str] = set()
    shapes: dict[str, str] = {}
    for entry in entries:
        sql, node = _parsable(entry["sql"]), entry["node"]
        if sql in seen:
            continue
        seen.add(sql)
        found = redshift_rules.problems(sql, text_casts=node.split(".")[0] in {"model", "test"})
        if found:
            failures.setdefault(node, set()).update(found)
        shapes.setdefault(_shape(sql), (node, sql))
    if with_sqlfluff:
        # sqlfluff takes a fraction of a second a statement: two processes.
        with ProcessPoolExecutor(max_workers=2) as pool:
            checked = pool.map(
                redshift_rules.sqlfluff_problems, [sql for _, sql in shapes.values()], chunksize=8
            )
            for (node, _), found in zip(shapes.values(), checked, strict=True):
                if found:
                    failures.setdefault(node, set()).update(found)
    return failures


def report(failures: dict[str, set[str]]) -> str:
    return "not valid for Redshift:\n" + "\n".join(
        f"  {node}: {'; '.join(sorted(found))}" for node, found in sorted(failures.items())
    )


def test_every_statement_the_adapter_sent_is_redshift_sql(rehearsal):
    """Every step's statements; UNLOAD and COPY (the segment step's) are parsed by redshift_s3.py
    by their own pages, not by the gate."""
    entries = [
        entry
        for step in ("spectrum", "build", "incremental", "segment", "smoke")
        for entry in read_log(rehearsal["logs"][step])
    ]
    assert len(entries) > 500 and all(entry["error"] is None for entry in entries)
    entries = [e for e in entries if not e["sql"].lstrip().lower().startswith(("unload", "copy"))]
    kinds = Counter(entry["node"].split(".")[0] for entry in entries)
    assert all(kinds[kind] for kind in ("model", "test", "unit_test", "snapshot", "seed")), kinds
    failures = statement_problems(entries)
    assert not failures, report(failures)


def test_the_unit_test_fixtures_are_redshift_sql(rehearsal):
    """The fixtures written as SQL, checked as written (dbt runs each as a `create temporary table
    ... as`); the fixtures written as rows reach Redshift as dbt's casts, among the recorded
    statements of the unit tests."""
    manifest = json.loads(rehearsal["manifest"].read_text())
    fixtures = {
        f"unit_test {test['name']}, fixture {given['input']}": given["rows"]
        for test in manifest["unit_tests"].values()
        for given in test["given"]
        if given.get("format") == "sql"
    }
    assert len(fixtures) >= 3
    failures = {
        name: set(redshift_rules.problems(sql) + redshift_rules.sqlfluff_problems(sql))
        for name, sql in fixtures.items()
    }
    failures = {name: found for name, found in failures.items() if found}
    assert not failures, report(failures)


def test_the_checks_name_the_node_of_a_planted_bad_statement():
    entries = [
        {
            "node": "model.customer_mart.good",
            "sql": "create table t as (select cast(a as varchar(65535)) as a from s)",
        },
        {
            "node": "unit_test.customer_mart.m.series",
            "sql": "select n from generate_series(1, 500) as numbers (n)",
        },
        {
            "node": "model.customer_mart.offset",
            "sql": "select cast('2024-01-02 01:00:00+02' as timestamp) as t",
        },
        {"node": "test.customer_mart.rate", "sql": "select count(returned) / count(*) as rate from items"},
        {"node": "model.customer_mart.short", "sql": "create table t (a varchar, b varchar(10))"},
        {"node": "model.customer_mart.duckdb", "sql": "select mode(a) as a from read_parquet('x.parquet')"},
        {"node": "model.customer_mart.broken", "sql": "select a from t where"},
        {
            "node": "test.customer_mart.profile",
            "sql": "select row_number() over versions as version_rank from s.t"
            " window versions as (partition by k order by created_at desc nulls last)",
        },
    ]
    failures = statement_problems(entries)
    assert "model.customer_mart.good" not in failures
    message = report(failures)
    assert "test.customer_mart.profile: " in message and "WINDOW clause (a named window)" in message
    assert "unit_test.customer_mart.m.series: calls generate_series()" in message
    assert "model.customer_mart.offset: a timestamp literal with a UTC offset" in message
    assert "test.customer_mart.rate: divides counts without a cast" in message
    assert "model.customer_mart.short: varchar/text without a length" in message and "column a" in message
    assert "mode()" in message and "read_parquet()" in message
    broken = " ".join(sorted(failures["model.customer_mart.broken"]))
    assert "does not parse as Redshift SQL (sqlglot)" in broken and "(sqlfluff)" in broken
    # The second grammar alone also refuses what is not Redshift SQL.
    assert redshift_rules.sqlfluff_problems("select a from t where")
    assert not redshift_rules.sqlfluff_problems("select cast(a as varchar(65535)) as a from s")
