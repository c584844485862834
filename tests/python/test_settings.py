"""Every setting is checked before anything runs, and a bad one stops dbt with a message naming
the setting, the value and what is allowed, never a Python traceback (issue #11, item 4 and 5).

DuckDB: every dbt var and environment setting, and raw-folder paths that must work (a quote,
spaces, non-ASCII letters) or must not run SQL (a crafted path that tries to create a table).
PostgreSQL (a real throwaway server): the dbt vars' checks, which run on every target.
Each case runs `dbt seed`, whose start-of-run hooks run the checks, in this process on a
project parsed once (tests/python/dbt_inprocess.py); the DuckDB resources are rendered in the
profile, also per call. One text-only check: the macros read each setting in one place.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import duckdb
import pytest
from dbt_inprocess import PROJECT_DIR, InProcessDbt
from raw_tables import ts, two_users_tables, write_raw

AS_OF = "2026-06-30"
TRACEBACK = "Traceback (most recent call last)"


def small_raw(raw: Path) -> Path:
    """Two users, one order item, one event, one center: enough for every raw check."""
    write_raw(
        raw,
        {
            **two_users_tables(),
            "order_items": [
                {
                    "id": 1,
                    "user_id": 1,
                    "status": "Complete",
                    "sale_price": 60.0,
                    "created_at": ts("2026-01-01"),
                }
            ],
        },
    )
    return raw


@pytest.fixture(scope="module")
def raw(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return small_raw(tmp_path_factory.mktemp("settings") / "raw")


@pytest.fixture(scope="module")
def dbt(tmp_path_factory: pytest.TempPathFactory, raw: Path) -> InProcessDbt:
    workdir = tmp_path_factory.mktemp("settings-dbt")
    return InProcessDbt(
        workdir,
        env={
            "DUCKDB_PATH": str(workdir / "warehouse.duckdb"),
            "RAW_DATA_DIR": str(raw),
            "RAW_FILE_FORMAT": None,
        },
    )


def refused(dbt: InProcessDbt, *expected: str, vars: dict | None = None, env: dict | None = None) -> str:
    outcome = dbt.run("seed", vars={"as_of_date": AS_OF, **(vars or {})}, env=env)
    assert not outcome.success, outcome.text
    for part in expected:
        assert part in outcome.text, f"{part!r} not in:\n{outcome.text}"
    assert TRACEBACK not in outcome.text
    return outcome.text


def test_the_defaults_pass(dbt: InProcessDbt) -> None:
    outcome = dbt.run("seed", vars={"as_of_date": AS_OF})
    assert outcome.success, outcome.text


@pytest.mark.parametrize(
    ("value", "problem"),
    [
        ("2026-13-01", "month 13 does not exist (1 to 12)"),
        ("2026-02-30", "day 30 does not exist in 2026-02 (1 to 28)"),
        ("2026-04-31", "day 31 does not exist in 2026-04 (1 to 30)"),
        ("26-1-1", "not written YYYY-MM-DD"),
        ("next monday", "not written YYYY-MM-DD"),
    ],
)
def test_as_of_date_must_be_a_real_date(dbt: InProcessDbt, value: str, problem: str) -> None:
    text = refused(dbt, "setting as_of_date", f'"{value}"', problem, vars={"as_of_date": value})
    assert "does not match format" not in text


def test_as_of_date_from_the_environment_is_checked_too(dbt: InProcessDbt) -> None:
    outcome = dbt.run("seed", env={"AS_OF_DATE": "2026-13-01"})
    assert not outcome.success
    assert "setting as_of_date (var as_of_date or environment variable AS_OF_DATE)" in outcome.text
    assert "month 13 does not exist" in outcome.text


def test_a_leap_day_is_a_date(dbt: InProcessDbt) -> None:
    assert dbt.run("seed", vars={"as_of_date": "2028-02-29"}).success


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        (
            {"profit_level_2_above": 200, "profit_level_3_from": 60},
            ['"200"', "must be below profit_level_3_from (60)"],
        ),
        ({"profit_level_2_above": 50, "profit_level_3_from": 50}, ["must be below profit_level_3_from (50)"]),
        ({"profit_level_2_above": -5}, ["setting profit_level_2_above", '"-5"', "must not be negative"]),
        ({"profit_level_3_from": "lots"}, ["setting profit_level_3_from", '"lots"', "not a number"]),
    ],
)
def test_profit_thresholds_are_non_negative_numbers_in_order(
    dbt: InProcessDbt, values: dict, expected: list
) -> None:
    refused(dbt, *expected, vars=values)


def test_other_profit_thresholds_are_accepted(dbt: InProcessDbt) -> None:
    assert dbt.run(
        "seed", vars={"as_of_date": AS_OF, "profit_level_2_above": 60, "profit_level_3_from": 200.5}
    ).success


@pytest.mark.parametrize("value", [0, -3, 2.5, "a week", "on"])
def test_max_raw_table_age_days_is_a_whole_number_from_1_or_off(dbt: InProcessDbt, value) -> None:
    refused(
        dbt,
        f'setting max_raw_table_age_days (var max_raw_table_age_days) is "{value}"',
        "must be a whole number of days, 1 or more, such as 7, or off for no limit",
        vars={"max_raw_table_age_days": value},
    )


@pytest.mark.parametrize("value", [1, 400, "off", "OFF", False])
def test_max_raw_table_age_days_takes_days_or_off(dbt: InProcessDbt, value) -> None:
    assert dbt.run("seed", vars={"as_of_date": AS_OF, "max_raw_table_age_days": value}).success


@pytest.mark.parametrize(
    ("key", "nearest"),
    [
        ("as_of_dat", "as_of_date"),
        ("AS_OF_DATE", "as_of_date"),
        ("max_raw_table_age", "max_raw_table_age_days"),
    ],
)
def test_an_unknown_var_stops_the_run_naming_the_nearest(dbt: InProcessDbt, key: str, nearest: str) -> None:
    text = refused(
        dbt,
        f'--vars key "{key}" is not a setting of this project (the nearest is {nearest})',
        vars={key: "2026-01-01"},
    )
    assert "max_raw_table_shrink" in text  # the message lists the settings


def test_every_known_var_is_accepted(dbt: InProcessDbt) -> None:
    """All at once, each with its default or an allowed value (the Spectrum ones are read on Redshift)."""
    outcome = dbt.run(
        "seed",
        vars={
            "as_of_date": AS_OF,
            "raw_file_format": "",
            "raw_schema": "thelook_raw",
            "analysts_group": "analysts",
            "profit_level_2_above": 50,
            "profit_level_3_from": 150,
            "far_from_center_km": 1000,
            "max_raw_table_shrink": 0.5,
            "max_profit_level_share_shift": 0.1,
            "max_raw_table_age_days": 7,
            "spectrum_schema": "",
            "glue_database": "",
            "spectrum_iam_role_arn": "",
            "aws_region": "",
        },
    )
    assert outcome.success, outcome.text


@pytest.mark.parametrize("value", ["-1", "1; drop table customer_features", "far"])
def test_the_analysis_distance_is_a_non_negative_number(dbt: InProcessDbt, value: str) -> None:
    outcome = dbt.run(
        "compile", "--select", "high_value_customers_far_from_center", vars={"far_from_center_km": value}
    )
    assert not outcome.success
    assert f'setting far_from_center_km (var far_from_center_km) is "{value}"' in outcome.text, outcome.text
    assert TRACEBACK not in outcome.text


def test_raw_file_format_must_be_parquet_or_csv(dbt: InProcessDbt) -> None:
    refused(dbt, "setting raw_file_format", '"json"', "parquet, csv", env={"RAW_FILE_FORMAT": "json"})


@pytest.mark.parametrize("value", ["Thelook_Raw", "raw; drop table x", "1raw"])
def test_raw_schema_must_be_a_plain_name(dbt: InProcessDbt, value: str) -> None:
    refused(dbt, "setting raw_schema", "must be a plain schema name", env={"RAW_SCHEMA": value})


def test_analysts_group_must_be_a_plain_name_on_every_target(dbt: InProcessDbt) -> None:
    refused(
        dbt, "setting analysts_group", "plain group name", env={"ANALYSTS_GROUP": "analysts; drop user x"}
    )


@pytest.mark.parametrize(
    ("value", "problem"),
    [
        ("data/raw*", "must not contain * ? [ or ]"),
        ("data/r[a]w", "must not contain * ? [ or ]"),
        ("data/\nraw", "control characters"),
        ("  ", "must name a folder"),
    ],
)
def test_raw_data_dir_that_cannot_be_read_safely_is_refused(
    dbt: InProcessDbt, value: str, problem: str
) -> None:
    refused(dbt, "setting raw_data_dir", problem, env={"RAW_DATA_DIR": value})


@pytest.mark.parametrize(
    ("variable", "value", "allowed"),
    [
        ("DUCKDB_THREADS", "abc", "whole number of threads"),
        ("DUCKDB_THREADS", "0", "whole number of threads"),
        ("DUCKDB_MEMORY_LIMIT", "lots", "amount of memory such as 3GB"),
    ],
)
def test_duckdb_resources_are_checked_where_the_profile_reads_them(
    dbt: InProcessDbt, variable: str, value: str, allowed: str
) -> None:
    refused(dbt, f'{variable} is "{value}"', allowed, env={variable: value})


def test_duckdb_resources_in_other_spellings_work(dbt: InProcessDbt) -> None:
    outcome = dbt.run(
        "seed", vars={"as_of_date": AS_OF}, env={"DUCKDB_THREADS": "1", "DUCKDB_MEMORY_LIMIT": "1.5 GiB"}
    )
    assert outcome.success, outcome.text


def unwritable_folder(tmp_path: Path) -> Path:
    """A folder no file can be created in (a read-only mount, say): read-only for a normal user;
    as root, whom permissions do not stop, sysfs, which creates no regular files."""
    if os.geteuid() == 0:
        return Path("/sys")
    folder = tmp_path / "read-only"
    folder.mkdir()
    folder.chmod(0o555)
    return folder


@pytest.mark.parametrize(
    ("where", "problem"),
    [("unwritable", "cannot be written there"), ("missing", "cannot be created: its folder does not exist")],
)
def test_a_duckdb_file_that_cannot_be_written_is_one_message(
    dbt: InProcessDbt, tmp_path: Path, where: str, problem: str
) -> None:
    """Checked by the profile's plugin before dbt-duckdb opens the file (test_warehouse_file.py:
    a file another build holds)."""
    folder = unwritable_folder(tmp_path) if where == "unwritable" else tmp_path / "no" / "such"
    path = folder / "warehouse.duckdb"
    text = refused(dbt, f"the DuckDB file {path} (DUCKDB_PATH) {problem}", env={"DUCKDB_PATH": str(path)})
    assert len(text.splitlines()) < 10, text


@pytest.mark.parametrize("folder", ["o'neil's exports", "données d’été 2026", "with  spaces & (parens)"])
def test_a_raw_folder_with_any_name_is_read(dbt: InProcessDbt, tmp_path: Path, folder: str) -> None:
    raw = small_raw(tmp_path / folder / "raw")
    outcome = dbt.run("seed", vars={"as_of_date": AS_OF}, env={"RAW_DATA_DIR": str(raw)})
    assert outcome.success, outcome.text
    assert dbt.query("select count(*) from thelook_raw.users", env={"RAW_DATA_DIR": str(raw)}) == [(2,)]


def test_a_crafted_raw_folder_runs_no_statement_of_its_own(dbt: InProcessDbt, tmp_path: Path) -> None:
    """The folder really exists, so the whole start of the run reads through the quoted path."""
    crafted = "x'); create table pwned as select 42 as id; select ('"
    raw = small_raw(tmp_path / crafted / "raw")
    outcome = dbt.run("seed", vars={"as_of_date": AS_OF}, env={"RAW_DATA_DIR": str(raw)})
    assert outcome.success, outcome.text
    tables = {name for (name,) in dbt.query("select table_name from information_schema.tables")}
    assert {"users", "events", "profit_levels"} <= tables
    assert "pwned" not in tables
    assert dbt.query("select count(*) from thelook_raw.users") == [(2,)]


def test_a_var_cannot_reach_sql_either(dbt: InProcessDbt) -> None:
    refused(
        dbt, "setting as_of_date", vars={"as_of_date": "2026-01-01'); create table pwned2 as select 1; --"}
    )
    assert dbt.query("select count(*) from information_schema.tables where table_name = 'pwned2'") == [(0,)]


def test_raw_file_format_in_capitals_reads_csv_everywhere(dbt: InProcessDbt, tmp_path: Path) -> None:
    """RAW_FILE_FORMAT=CSV: the start-of-run check and the raw views (what the sources and the
    events model read) both read the CSV files; a folder holding both formats is refused."""
    raw = tmp_path / "raw"
    small_raw(raw)
    with duckdb.connect() as con:
        for folder in raw.iterdir():
            parquet = next(folder.glob("*.parquet"))
            con.execute(f"copy (select * from read_parquet('{parquet}')) to '{parquet.with_suffix('.csv')}'")
    text = refused(
        dbt,
        "raw table users: folder",
        "holds both Parquet",
        env={"RAW_DATA_DIR": str(raw), "RAW_FILE_FORMAT": "CSV"},
    )
    assert "a table is read in one format" in text
    for parquet in raw.glob("*/*.parquet"):
        parquet.unlink()
    outcome = dbt.run(
        "seed", vars={"as_of_date": AS_OF}, env={"RAW_DATA_DIR": str(raw), "RAW_FILE_FORMAT": "CSV"}
    )
    assert outcome.success, outcome.text
    types = dbt.query(
        "select distinct data_type from information_schema.columns where table_name = 'events'"
        " and column_name not in ('$path', '$size')"  # the file each row came from (create_raw_views)
    )
    assert types == [("VARCHAR",)]  # CSV is read as text everywhere; staging casts it


def test_each_setting_is_read_in_one_macro() -> None:
    """Text only: outside macros/settings, no model or macro reads a setting's var or environment
    variable itself; the two places that cannot call macros (source YAML, the one +grants expression in
    dbt_project.yml) are held to the macros by check_settings at run time."""
    settings = (
        "as_of_date",
        "raw_data_dir",
        "raw_file_format",
        "raw_schema",
        "analysts_group",
        "profit_level_2_above",
        "profit_level_3_from",
        "far_from_center_km",
        "max_raw_table_shrink",
        "max_profit_level_share_shift",
        "max_raw_table_age_days",
    )
    pattern = re.compile(r"var\(\s*'(" + "|".join(settings) + r")'")
    readers = {
        str(path.relative_to(PROJECT_DIR))
        for folder in ("models", "macros", "tests/generic", "snapshots", "analyses")
        for path in (PROJECT_DIR / folder).rglob("*.sql")
        if pattern.search(path.read_text())
    }
    # (profit_level_thresholds and volume_guard_settings read their vars by name in a loop.)
    assert readers == {
        f"macros/settings/{name}.sql"
        for name in (
            "as_of_date",
            "raw_data_dir",
            "raw_file_format",
            "raw_schema",
            "analysts_group",
            "far_from_center_km",
            "max_raw_table_age_days",
        )
    }


def test_the_known_vars_are_the_vars_the_project_reads() -> None:
    """Text only: known_vars (what check_vars accepts) lists exactly the vars of dbt_project.yml and
    those the SQL and YAML read, by a literal name or from the lists of names some macros loop over."""
    import yaml

    text = (PROJECT_DIR / "macros" / "settings" / "known_vars.sql").read_text()
    listed = re.search(r"return\(\[(.*?)\]\)", text, re.S).group(1)
    known = set(re.findall(r"'([a-z0-9_]+)'", listed))
    project_vars = set(yaml.safe_load((PROJECT_DIR / "dbt_project.yml").read_text())["vars"])
    read = set()
    for folder in ("models", "macros", "tests", "snapshots", "analyses"):
        for path in (PROJECT_DIR / folder).rglob("*"):
            if path.suffix in (".sql", ".yml"):
                source = path.read_text()
                read |= set(re.findall(r"\bvar\(\s*'([a-z0-9_]+)'", source))
                # Names looped over: var(name ...) / var(names[0] ...) read from tuples of ('var', ...).
                if re.search(r"\bvar\((name|names\[0\])", source):
                    read |= set(re.findall(r"\(\s*'([a-z0-9_]+)',\s*(?:'[A-Z_]+'|[0-9.]+)\s*\)", source))
                    for names in re.findall(r"for name in [(\[]([^)\]]*)[)\]]", source):
                        read |= set(re.findall(r"'([a-z0-9_]+)'", names))
    read |= set(re.findall(r"\bvar\(\s*'([a-z0-9_]+)'", (PROJECT_DIR / "dbt_project.yml").read_text()))
    assert {"spectrum_schema", "profit_level_3_from", "max_raw_table_shrink", "as_of_date"} <= read
    assert project_vars <= known
    assert known == read | project_vars


@pytest.fixture(scope="module")
def postgres_dbt(tmp_path_factory: pytest.TempPathFactory, postgres_server) -> InProcessDbt:
    from customer_mart.load import load_postgres

    raw = small_raw(tmp_path_factory.mktemp("settings-pg") / "raw")
    database = postgres_server.create_database("settings")
    from customer_mart.schema import TABLES

    # Only the settings matter here: the few rows leave some tables empty on purpose.
    load_postgres(raw, env=postgres_server.env(database), log=lambda _: None, allow_empty=TABLES)
    return InProcessDbt(
        tmp_path_factory.mktemp("settings-pg-dbt"), env=postgres_server.env(database), target="postgres"
    )


@pytest.mark.parametrize(
    ("vars", "expected"),
    [
        ({"as_of_date": "2026-13-01"}, "month 13 does not exist"),
        ({"profit_level_2_above": 200, "profit_level_3_from": 60}, "must be below profit_level_3_from"),
        ({"max_raw_table_shrink": 2}, "max_raw_table_shrink"),
    ],
)
def test_the_vars_are_checked_on_postgres(postgres_dbt: InProcessDbt, vars: dict, expected: str) -> None:
    refused(postgres_dbt, expected, vars=vars)


def test_postgres_passes_with_good_settings(postgres_dbt: InProcessDbt) -> None:
    outcome = postgres_dbt.run("seed", vars={"as_of_date": AS_OF})
    assert outcome.success, outcome.text
