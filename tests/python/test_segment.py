"""Customer segments (src/customer_mart/segment.py, segment_store.py): the rules on small synthetic
marts (no database), then two consecutive generated weeks built by dbt on DuckDB, then the weekly
job's step on Redshift: the real dbt-redshift connection code against the PostgreSQL stand-in,
with UNLOAD and COPY run against moto's S3 (redshift_s3.py).

Cost (measured on this machine, shared): the module alone 115 s, of which the session's
small_warehouse and PostgreSQL server about 40 s; the DuckDB weeks fixture (one more `dbt run` and
three segment runs) about 35 s more, the Redshift fixture (dbt's four segment models through the
stand-in, two in-process steps) 32 s, the synthetic tests under 10 s.
"""

from __future__ import annotations

import datetime as dt
import json
import shutil
import sys
from pathlib import Path

import duckdb
import numpy as np
import pytest
from conftest import PROJECT_DIR, DbtProject

from customer_mart import segment as seg
from customer_mart.cli import main
from customer_mart.segment_store import DuckDBStore, run_week

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
WEEK_1 = dt.date(2026, 6, 30)
WEEK_2 = WEEK_1 + dt.timedelta(days=7)

# Buyer groups far apart, and non-buyers: (customers, amount kept, items, return rate, km, age).
GROUPS = [
    (120, 0.0, 0, None, 900.0, 30),  # non-buyers
    (80, 450.0, 5, 0.0, 300.0, 50),  # big spenders near a center
    (80, 30.0, 1, 0.0, 9000.0, 25),  # small single purchases far away
    (80, 0.0, 2, 1.0, 3000.0, 60),  # send everything back
]


def synthetic_mart(groups=GROUPS, seed: int = 0, first_user: int = 1) -> tuple[dict, list[int]]:
    """Mart columns of well-separated groups with a little noise; and each customer's group."""
    rng = np.random.default_rng(seed)
    rows, group_of = [], []
    for index, (size, amount, items, rate, km, age) in enumerate(groups):
        for _ in range(size):
            rows.append(
                (
                    first_user + len(rows),
                    age + int(rng.integers(-2, 3)),
                    km * float(rng.uniform(0.95, 1.05)),
                    items,
                    np.nan if rate is None else rate,
                    round(amount * float(rng.uniform(0.95, 1.05)), 2),
                    3 if amount >= 150 else 1,
                )
            )
            group_of.append(index)
    columns = {name: np.array([r[i] for r in rows]) for i, name in enumerate(seg.MART_COLUMNS)}
    return columns, group_of


def test_non_buyers_are_one_segment_and_buyer_groups_are_found_named_and_seeded():
    columns, group_of = synthetic_mart()
    result = seg.segment_week(columns, WEEK_1, None, seed=1)
    assert result.k == 3 and result.k_rechosen and "first run" in result.k_reason
    pairs = {(g, int(s)) for g, s in zip(group_of, result.segment_ids, strict=True)}
    assert len(pairs) == 4 and (0, seg.NON_BUYER_SEGMENT_ID) in pairs
    names = result.names()
    assert names[seg.NON_BUYER_SEGMENT_ID] == "no purchase in the last year"
    by_group = {g: names[s] for g, s in pairs}
    assert "high spend" in by_group[1] and "near a center" in by_group[1]
    assert "far from a center" in by_group[2]
    assert "high returns" in by_group[3] and "older" in by_group[3]
    # No segment but segment 0 holds a customer without a purchase; segment 0 holds them all.
    items = columns["purchased_items_last_year"]
    assert set(result.segment_ids[items == 0]) == {seg.NON_BUYER_SEGMENT_ID}
    assert seg.NON_BUYER_SEGMENT_ID not in set(result.segment_ids[items > 0])
    assert np.isnan(result.distances[items == 0]).all() and np.isfinite(result.distances[items > 0]).all()
    # The same inputs, the same result.
    again = seg.segment_week(columns, WEEK_1, None, seed=1)
    assert (again.segment_ids == result.segment_ids).all() and again.state.to_json() == result.state.to_json()


def test_next_week_keeps_k_ids_and_names_and_a_segment_that_moved_far_gets_a_new_id():
    columns, group_of = synthetic_mart()
    first = seg.segment_week(columns, WEEK_1, None, seed=1)
    state = seg.ModelState.from_json(first.state.to_json())  # as read back from customer_segment_runs

    same, _ = synthetic_mart(seed=2)  # new noise, the same groups
    second = seg.segment_week(same, WEEK_2, state, seed=1)
    assert not second.k_rechosen and second.k == 3
    assert [(s.id, s.name) for s in second.segments] == [(s.id, s.name) for s in first.segments]
    assert all(s.shift is not None and s.shift < 0.1 for s in second.segments)

    # The returners now keep half of what they buy: their centroid moves far (return rate 1 -> 0.5,
    # amount 0 -> 150) while the other two stay.
    moved = [GROUPS[0], GROUPS[1], GROUPS[2], (80, 150.0, 2, 0.5, 3000.0, 60)]
    third = seg.segment_week(synthetic_mart(moved, seed=3)[0], WEEK_2, state, seed=1)
    kept = {s.id for s in third.segments if not s.is_new}
    returners = int(first.segment_ids[group_of.index(3)])
    assert returners not in kept and len(kept) == 2
    new = [s for s in third.segments if s.is_new]
    assert [s.id for s in new] == [state.next_id] and any("moved" in m for m in third.messages)


def test_k_is_chosen_again_only_when_the_documented_rule_fires():
    columns, _ = synthetic_mart()
    first = seg.segment_week(columns, WEEK_1, None, seed=1)
    # Two more well-separated buyer groups: 3 segments no longer fit.
    groups = [*GROUPS, (80, 2000.0, 12, 0.0, 9000.0, 70), (80, 300.0, 3, 0.5, 100.0, 20)]
    second = seg.segment_week(synthetic_mart(groups)[0], WEEK_2, first.state, seed=1)
    assert second.k_rechosen and second.k == 5 and "the data changed" in second.k_reason
    assert f"threshold {seg.RECHOOSE_SILHOUETTE_DROP}" in second.k_reason
    assert second.state.k_chosen_on == WEEK_2 and any(m.startswith("k chosen: 5") for m in second.messages)
    # The three old groups keep their ids through the new choice of k.
    assert {s.id for s in second.segments if not s.is_new} == {s.id for s in first.segments}


def test_too_few_buyers_and_a_bad_mart_are_clear_errors():
    columns, _ = synthetic_mart([(30, 0.0, 0, None, 10.0, 30), (2, 50.0, 1, 0.0, 10.0, 30)])
    with pytest.raises(ValueError, match="too few"):
        seg.segment_week(columns, WEEK_1, None)
    columns, _ = synthetic_mart()
    columns["user_id"][1] = columns["user_id"][0]
    with pytest.raises(ValueError, match="user_id more than once"):
        seg.segment_week(columns, WEEK_1, None)
    del columns["profit_level"]
    with pytest.raises(ValueError, match="lacks the column"):
        seg.segment_week(columns, WEEK_1, None)


# ---------------------------------------------------------------------------------------------
# Two consecutive generated weeks, built by dbt on DuckDB
# ---------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def duckdb_weeks(small_warehouse, small_generated_dir, tmp_path_factory):
    """Week 1: conftest's small_warehouse (as of 2026-06-30), segmented with the CLI; week 2: the
    same raw files built a week later into the same file, segmented again."""
    workdir = tmp_path_factory.mktemp("segment-weeks")
    project = DbtProject(workdir=workdir, raw_dir=small_generated_dir)
    shutil.copy(small_warehouse.duckdb_path, project.duckdb_path)
    charts = workdir / "charts"
    out = {"project": project, "charts": charts, "marts": {}, "results": {}}
    for week in (WEEK_1, WEEK_2):
        if week != WEEK_1:
            # The same raw files: the staging views and profiles stand; everything after them moves
            # to the next week.
            project.run("run", "--exclude", "path:models/staging", vars={"as_of_date": week.isoformat()})
        out["marts"][week] = project.query("select * from customer_features order by user_id")
        with duckdb.connect(str(project.duckdb_path)) as con:
            out["results"][week] = run_week(DuckDBStore(con, "main"), charts, seed=42)
    out["history"] = project.query(
        "select as_of_date, user_id, segment_id, segment_name, distance_to_centroid"
        " from customer_segment_history order by as_of_date, user_id"
    )
    return out


def test_each_week_has_one_row_per_customer_and_customer_segments_is_the_latest(duckdb_weeks):
    project = duckdb_weeks["project"]
    for week, mart in duckdb_weeks["marts"].items():
        rows = [r for r in duckdb_weeks["history"] if r["as_of_date"] == week]
        assert [r["user_id"] for r in rows] == [r["user_id"] for r in mart] and len(rows) > 1900
    current = project.query("select * from customer_segments order by user_id")
    assert {r["as_of_date"] for r in current} == {WEEK_2}
    assert len(current) == len(duckdb_weeks["marts"][WEEK_2])


def test_on_consecutive_weeks_ids_and_names_carry_over(duckdb_weeks):
    first, second = duckdb_weeks["results"][WEEK_1], duckdb_weeks["results"][WEEK_2]
    assert first.k_rechosen and not second.k_rechosen and second.k == first.k >= 3
    barely_moved = [
        s for s in second.segments if s.shift is not None and s.shift < seg.MAX_CENTROID_SHIFT / 5
    ]
    assert len(barely_moved) == first.k, [(s.id, s.shift) for s in second.segments]
    before = {s.id: s.name for s in first.segments}
    assert all(before[s.id] == s.name and not s.is_new for s in barely_moved)
    profiles = duckdb_weeks["project"].query(
        "select as_of_date, segment_id, segment_name, customers from customer_segment_profiles order by 1, 2"
    )
    names = {(r["as_of_date"], r["segment_id"]): r["segment_name"] for r in profiles}
    assert all(names[(WEEK_1, i)] == names[(WEEK_2, i)] for i in before)
    # Most customers stay where they were (their features barely changed in a week).
    history = duckdb_weeks["history"]
    week_1 = {r["user_id"]: r["segment_id"] for r in history if r["as_of_date"] == WEEK_1}
    stayed = sum(week_1[r["user_id"]] == r["segment_id"] for r in history if r["as_of_date"] == WEEK_2)
    assert stayed / len(week_1) > 0.95


def test_only_the_non_buyer_segment_has_customers_without_purchases(duckdb_weeks):
    rows = duckdb_weeks["project"].query(
        """select history.segment_id, min(features.purchased_items_last_year) as least,
                  max(features.purchased_items_last_year) as most
           from customer_segment_history as history
           inner join customer_features as features on history.user_id = features.user_id
           where history.as_of_date = (select max(as_of_date) from customer_segment_history)
           group by history.segment_id order by 1"""
    )
    assert rows[0] == {"segment_id": 0, "least": 0, "most": 0}
    assert len(rows) > 3 and all(r["least"] > 0 for r in rows[1:])


def test_a_rerun_of_a_week_gives_the_same_rows_and_the_charts_are_drawn(duckdb_weeks):
    project = duckdb_weeks["project"]
    assert (
        main(["segment", "--duckdb", str(project.duckdb_path), "--charts-dir", str(duckdb_weeks["charts"])])
        == 0
    )
    again = project.query(
        "select as_of_date, user_id, segment_id, segment_name, distance_to_centroid"
        " from customer_segment_history order by as_of_date, user_id"
    )
    assert again == duckdb_weeks["history"]
    for name in (seg.PROFILE_CHART, seg.HISTORY_CHART):
        chart = duckdb_weeks["charts"] / name
        assert chart.read_bytes().startswith(PNG_MAGIC) and chart.stat().st_size > 20_000
    runs = project.query("select as_of_date, k, k_rechosen from customer_segment_runs order by 1")
    assert [(r["as_of_date"], r["k_rechosen"]) for r in runs] == [(WEEK_1, True), (WEEK_2, False)]


def test_make_segment_writes_no_tracked_file():
    makefile = (PROJECT_DIR / "Makefile").read_text()
    assert "docs/segments.png" not in makefile
    assert not (PROJECT_DIR / "docs" / "segments.png").exists()


# ---------------------------------------------------------------------------------------------
# The weekly job's step on Redshift: the stand-in and moto
# ---------------------------------------------------------------------------------------------

DATABASE = "segments"
SCHEMA = "customer_mart"
ANALYSTS = "analysts"
BUCKET = "customer-mart-artifacts-123456789012-eu-west-1"
PREFIX = "segments/work"
ROLE = "arn:aws:iam::123456789012:role/customer-mart-segments"
STAND_IN = [sys.executable, str(Path(__file__).with_name("redshift_stand_in.py"))]


def load_mart(server, rows: list[dict]) -> None:
    """customer_features as the Redshift build types it (contract), holding `rows`."""
    import psycopg2.extras

    connection = server.connect(DATABASE)
    try:
        with connection.cursor() as cursor:
            cursor.execute(f"create schema if not exists {SCHEMA}")
            cursor.execute(
                f"""create table if not exists {SCHEMA}.customer_features (
                    user_id bigint, age integer, country varchar(256), state varchar(256),
                    nearest_dc_id bigint, nearest_dc_name varchar(256),
                    nearest_dc_distance_km double precision,
                    purchased_items_last_year integer, returned_items_last_year integer,
                    return_rate_last_year double precision, purchase_amount_last_year numeric(12,2),
                    profit_level integer, gross_profit_last_year numeric(12,2),
                    most_traffic_source varchar(256), feature_window_start date, feature_window_end date)"""
            )
            cursor.execute(f"truncate {SCHEMA}.customer_features")
            columns = list(rows[0])
            psycopg2.extras.execute_values(
                cursor,
                f"insert into {SCHEMA}.customer_features ({', '.join(columns)}) values %s",
                [tuple(r[c] for c in columns) for r in rows],
            )
        connection.commit()
    finally:
        connection.close()


@pytest.fixture(scope="module")
def redshift_weeks(duckdb_weeks, postgres_server, tmp_path_factory, request):
    """The segment tables created by dbt-redshift through the stand-in, then the step of each
    week run in process as the weekly task runs it (`customer-mart segment --target redshift`),
    its connection dbt-redshift's own, forwarded to PostgreSQL, its S3 moto's."""
    import boto3
    import psycopg2
    import redshift_s3  # noqa: F401  (the stand-in's UNLOAD and COPY)
    from dbt.adapters.redshift import connections
    from moto import mock_aws
    from redshift_stand_in import StandInConnection, install_shims
    from test_redshift_offline import REDSHIFT_ENV

    workdir = tmp_path_factory.mktemp("segment-redshift")
    postgres_server.create_database(DATABASE)
    connection = postgres_server.connect(DATABASE)
    with connection.cursor() as cursor:
        cursor.execute(f"drop role if exists {ANALYSTS}")
        cursor.execute(f"create group {ANALYSTS}")
    connection.commit()
    install_shims(connection)
    connection.close()
    load_mart(postgres_server, duckdb_weeks["marts"][WEEK_1])

    postgres = {"host": postgres_server.host, "port": postgres_server.port, "user": postgres_server.user}
    env = {
        **REDSHIFT_ENV,
        "REDSHIFT_DATABASE": DATABASE,
        "REDSHIFT_SCHEMA": SCHEMA,
        "ANALYSTS_GROUP": ANALYSTS,
        "STAND_IN_POSTGRES": json.dumps({**postgres, "dbname": DATABASE}),
        "STAND_IN_LOG": str(workdir / "dbt-statements.jsonl"),
    }
    dbt = DbtProject(workdir=workdir, raw_dir=workdir / "no-raw-data", target="redshift", extra_env=env)
    dbt.run(
        "run",
        "--select",
        "path:models/marts/segments",
        vars={"as_of_date": WEEK_1.isoformat()},
        launcher=STAND_IN,
    )

    monkeypatch = pytest.MonkeyPatch()
    request.addfinalizer(monkeypatch.undo)
    log = workdir / "segment-statements.jsonl"
    for name, value in {
        **env,
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_SESSION_TOKEN": "testing",
        "AWS_DEFAULT_REGION": "eu-west-1",
        "SEGMENTS_BUCKET": BUCKET,
        "SEGMENTS_PREFIX": PREFIX,
        "SEGMENTS_IAM_ROLE_ARN": ROLE,
    }.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setattr(
        connections.redshift_connector,
        "connect",
        lambda **kwargs: StandInConnection(psycopg2.connect(**postgres, dbname=DATABASE), log),
    )
    mock = mock_aws()
    mock.start()
    request.addfinalizer(mock.stop)
    s3 = boto3.client("s3", region_name="eu-west-1")
    s3.create_bucket(Bucket=BUCKET, CreateBucketConfiguration={"LocationConstraint": "eu-west-1"})
    key = boto3.client("kms", region_name="eu-west-1").create_key()["KeyMetadata"]["Arn"]
    monkeypatch.setenv("SEGMENTS_KMS_KEY_ARN", key)

    profiles = dbt.workdir / "profiles"
    out = {
        "server": postgres_server,
        "s3": s3,
        "key": key,
        "log": log,
        "dbt_log": workdir / "dbt-statements.jsonl",
    }
    out["objects"] = {}
    for week in (WEEK_1, WEEK_2):
        load_mart(postgres_server, duckdb_weeks["marts"][week])
        code = main(
            [
                "segment",
                "--target",
                "redshift",
                "--profiles-dir",
                str(profiles),
                "--charts-dir",
                str(workdir / "charts"),
            ]
        )
        assert code == 0
        listed = s3.list_objects_v2(Bucket=BUCKET, Prefix=f"{PREFIX}/{week}/")
        out["objects"][week] = {o["Key"] for o in listed.get("Contents", [])}
    out["charts"] = workdir / "charts"
    return out


def test_the_weekly_step_writes_the_same_segments_on_redshift_through_s3(redshift_weeks, duckdb_weeks):
    rows = redshift_weeks["server"].query(
        DATABASE,
        f"select as_of_date, user_id, segment_id, segment_name, distance_to_centroid"
        f" from {SCHEMA}.customer_segment_history order by as_of_date, user_id",
    )
    assert len(rows) == len(duckdb_weeks["history"])
    for have, want in zip(rows, duckdb_weeks["history"], strict=True):
        assert {k: v for k, v in have.items() if k != "distance_to_centroid"} == {
            k: v for k, v in want.items() if k != "distance_to_centroid"
        }
        assert (have["distance_to_centroid"] is None) == (want["distance_to_centroid"] is None)
    current = redshift_weeks["server"].query(
        DATABASE,
        f"select count(*) as n, count(distinct user_id) as users, max(as_of_date) as week"
        f" from {SCHEMA}.customer_segments",
    )
    assert current == [
        {"n": len(duckdb_weeks["marts"][WEEK_2]), "users": len(duckdb_weeks["marts"][WEEK_2]), "week": WEEK_2}
    ]


def test_the_step_reads_and_writes_in_bulk_through_s3_encrypted_and_cleans_up(redshift_weeks):
    import redshift_rules
    from redshift_stand_in import read_log

    sent = [" ".join(e["sql"].lower().split()) for e in read_log(redshift_weeks["log"])]
    assert all(e["error"] is None for e in read_log(redshift_weeks["log"]))
    unloads = [s for s in sent if s.startswith("unload")]
    copies = [s for s in sent if s.startswith("copy")]
    assert len(unloads) == 2 and all(
        "format as parquet manifest verbose" in s and "encrypted" in s for s in unloads
    )
    assert len(copies) == 6 and all(s.endswith("format as parquet manifest") for s in copies)
    assert not [s for s in sent if s.startswith(("insert", "update"))], "rows must arrive by COPY"
    # Every other statement of the step, and every statement dbt sent for the segment tables,
    # passes the Redshift grammar gate (redshift_rules.py reads text; UNLOAD and COPY are parsed by
    # redshift_s3.py by their own pages).
    others = [
        e
        for e in read_log(redshift_weeks["log"])
        if not e["sql"].lstrip().lower().startswith(("unload", "copy"))
    ]
    dbt = read_log(redshift_weeks["dbt_log"])
    assert len(others) > 10 and len(dbt) > 20
    failures = {e["sql"]: redshift_rules.problems(e["sql"].replace("%s", "null")) for e in others + dbt}
    assert not {sql: found for sql, found in failures.items() if found}
    s3 = redshift_weeks["s3"]
    for keys in redshift_weeks["objects"].values():
        # The week's three tables stay as Parquet files; the unloaded mart (customer rows) is gone.
        assert {k.split("/")[-2] for k in keys} == {
            "customer_segment_history",
            "customer_segment_profiles",
            "customer_segment_runs",
        }, keys
        for key in keys:
            head = s3.head_object(Bucket=BUCKET, Key=key)
            assert head["ServerSideEncryption"] == "aws:kms" and head["SSEKMSKeyId"] == redshift_weeks["key"]
    assert (redshift_weeks["charts"] / seg.HISTORY_CHART).read_bytes().startswith(PNG_MAGIC)


def test_the_segment_tables_are_granted_to_analysts_like_the_mart(redshift_weeks):
    granted = redshift_weeks["server"].query(
        DATABASE,
        f"""select relation_name from svv_relation_privileges
        where namespace_name = '{SCHEMA}' and identity_name = '{ANALYSTS}'
          and identity_type = 'group' and privilege_type = 'select' order by 1""",
    )
    assert [r["relation_name"] for r in granted] == [
        "customer_segment_history",
        "customer_segment_profiles",
        "customer_segment_runs",
        "customer_segments",
    ]


# ---------------------------------------------------------------------------------------------
# The stand-in's UNLOAD and COPY refuse what Redshift refuses (planted faults)
# ---------------------------------------------------------------------------------------------


def test_the_unload_and_copy_emulation_refuses_what_redshift_refuses(redshift_weeks):
    import io

    import pyarrow as pa
    import pyarrow.parquet as pq
    import redshift_s3

    s3 = redshift_weeks["s3"]
    connection = redshift_weeks["server"].connect(DATABASE)
    cursor = connection.cursor()
    role = f"iam_role '{ROLE}'"
    table = f"{SCHEMA}.customer_segment_runs"

    def fails(sql: str, message: str) -> None:
        with pytest.raises(redshift_s3.RedshiftS3Error, match=message):
            redshift_s3.execute(cursor, sql, s3)
        connection.rollback()

    select = f"unload ('select user_id from {SCHEMA}.customer_features')"
    redshift_s3.execute(cursor, f"{select} to 's3://{BUCKET}/t/a_' {role} format as parquet", s3)
    fails(f"{select} to 's3://{BUCKET}/t/a_' {role} format as parquet", "already exist")
    fails(f"{select} to 's3://{BUCKET}/t/b_' format as parquet", "authorization is required")
    fails(f"{select} to 's3://{BUCKET}/t/c_' {role} format as parquet header", "cannot be used with HEADER")
    fails(f"{select} to 's3://{BUCKET}/t/d_' {role} format as parquet kms_key_id 'k'", "needs ENCRYPTED")
    fails(f"unload ('select 1 from {table} limit 1') to 's3://{BUCKET}/t/e_' {role} parquet", "LIMIT")

    def put(key: str, data: pa.Table) -> None:
        body = io.BytesIO()
        pq.write_table(data, body)
        s3.put_object(Bucket=BUCKET, Key=key, Body=body.getvalue())

    put("t/short/part.parquet", pa.table({"as_of_date": pa.array([WEEK_1], pa.date32())}))
    fails(f"copy {table} from 's3://{BUCKET}/t/short/' {role} format as parquet", "numbers must match")
    written = s3.get_object(Bucket=BUCKET, Key=f"{PREFIX}/{WEEK_1}/customer_segment_runs/part_0000.parquet")
    runs = pq.read_table(io.BytesIO(written["Body"].read()))
    wrong = runs.set_column(runs.column_names.index("k"), "k", runs.column("k").cast(pa.int64()))  # bigint
    put("t/wrong/part.parquet", wrong)
    fails(
        f"copy {table} from 's3://{BUCKET}/t/wrong/' {role} format as parquet",
        "incompatible Parquet schema for column 'k'",
    )
    fails(f"copy {table} from 's3://{BUCKET}/t/none/' {role} format as parquet", "does not exist")
    fails(
        f"copy {table} from 's3://{BUCKET}/t/wrong/' {role} format as parquet maxerror 10",
        "MAXERROR is not a parameter",
    )
    s3.put_object(
        Bucket=BUCKET,
        Key="t/manifest",
        Body=json.dumps({"entries": [{"url": f"s3://{BUCKET}/t/wrong/part.parquet"}]}),
    )
    fails(f"copy {table} from 's3://{BUCKET}/t/manifest' {role} format as parquet manifest", "content_length")
    connection.close()
