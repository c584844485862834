"""The benchmark's hand-written DuckDB query and pandas code compute the mart's exact features.

`make bench` times them against dbt; this proves, on small data with repeated, re-delivered and
malformed rows, that the three compute the same thing. It is a benchmark check, not a test of the
mart: `make bench` runs it first (`pytest -m bench`), and `make test` leaves it out, so that a rule
changed in the models does not also have to be restated in the benchmark's baselines to pass.
"""

from __future__ import annotations

import datetime as dt
import shutil
import sys

import duckdb
import pandas as pd
import pytest
from conftest import PROJECT_DIR, DbtProject

sys.path.insert(0, str(PROJECT_DIR / "bench"))

import compare  # noqa: E402
import pandas_features  # noqa: E402
import single_query  # noqa: E402

pytestmark = pytest.mark.bench

AS_OF = dt.date(2026, 6, 30)

# A second file per table: later or tied copies of some rows, padded and respelled text,
# invalid coordinates, negative prices, anonymous events, NULL ids.
MESS = {
    "users": """
        select * replace (created_at + interval 1 hour as created_at, '  ' || state || ' ' as state,
            case when id % 3 = 0 then 123.0 else latitude end as latitude, age + 1 as age)
        from rows where hash(id) % 20 = 0
        union all select * from rows where hash(id) % 50 = 1
        union all select * replace (null as id) from rows where id = 1
    """,
    "order_items": """
        select * replace (created_at + interval 1 day as created_at, ' ' || upper(status) as status,
            case when id % 4 = 0 then -sale_price else sale_price end as sale_price)
        from rows where hash(id) % 10 = 0
        union all select * from rows where hash(id) % 50 = 1
    """,
    "inventory_items": """
        select * replace (created_at + interval 1 hour as created_at, cost * 1.37 as cost)
        from rows where hash(id) % 10 = 0
    """,
    "events": """
        select * replace (created_at + interval 1 day as created_at,
            ' ' || traffic_source || ' ' as traffic_source,
            case when id % 5 = 0 then null else user_id end as user_id)
        from rows where hash(id) % 10 = 0
        union all select * from rows where hash(id) % 30 = 1
        union all select * replace (null as id) from rows where id = 1
    """,
    "distribution_centers": """
        select * replace ('A copy of ' || name as name, latitude + 1 as latitude) from rows where id = 3
        union all select * replace (99 as id, 100.0 as latitude) from rows where id = 1
    """,
}


@pytest.fixture(scope="module")
def messy_raw_dir(small_generated_dir, tmp_path_factory):
    raw = tmp_path_factory.mktemp("messy")
    shutil.copytree(small_generated_dir, raw, dirs_exist_ok=True)
    with duckdb.connect() as con:
        con.execute("set TimeZone = 'UTC'")
        for table, sql in MESS.items():
            folder = (raw / table).as_posix()
            con.execute(
                f"create or replace temp view rows as select * from read_parquet('{folder}/*.parquet')"
            )
            con.execute(f"copy ({sql}) to '{folder}/{table}-000000000001.parquet' (format parquet)")
    return raw


@pytest.fixture(scope="module")
def mart(messy_raw_dir, tmp_path_factory) -> pd.DataFrame:
    project = DbtProject(workdir=tmp_path_factory.mktemp("dbt"), raw_dir=messy_raw_dir)
    project.run("run", vars={"as_of_date": AS_OF.isoformat()})
    with duckdb.connect(str(project.duckdb_path), read_only=True) as con:
        built = con.sql("select * from customer_features").df()
    assert len(built) > 1900
    assert set(built["profit_level"]) == {1, 2, 3}
    assert built["nearest_dc_id"].isna().any() and built["most_traffic_source"].isna().any()
    return built


def test_single_duckdb_query_matches_the_mart(mart, messy_raw_dir):
    features = single_query.compute(messy_raw_dir, AS_OF).to_pandas()
    assert compare.differences(mart, features) == []


def test_pandas_implementation_matches_the_mart(mart, messy_raw_dir):
    features = pandas_features.compute(messy_raw_dir, AS_OF)
    assert compare.differences(mart, features) == []


def test_the_comparison_sees_a_difference(mart):
    changed = mart.copy()
    changed.loc[changed.index[0], "purchase_amount_last_year"] += 0.01
    changed.loc[changed.index[1], "most_traffic_source"] = "Nowhere"
    found = compare.differences(mart, changed)
    assert [line.split(":")[0] for line in found] == ["purchase_amount_last_year", "most_traffic_source"]
