"""Reruns and history: the same inputs and as_of_date give the same mart; the snapshot records a
new version exactly for the customers whose features changed. (Freshness: test_freshness.py.)"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
import yaml
from raw_tables import ts, write_raw, write_raw_file

PROJECT_DIR = Path(__file__).resolve().parents[2]
WEEK_1, WEEK_2 = "2026-07-01", "2026-07-08"
SNAPSHOT = "select * from customer_features_snapshot order by user_id, dbt_valid_from"


def check_cols() -> list[str]:
    spec = yaml.safe_load((PROJECT_DIR / "snapshots" / "customer_features_snapshot.yml").read_text())
    return spec["snapshots"][0]["config"]["check_cols"]


@pytest.fixture(scope="module")
def history(official_sample_dir, session_dbt_project) -> dict[str, dict]:
    """Week 1 built twice, then week 2, in one warehouse: the mart and snapshot after each build."""
    project = session_dbt_project(official_sample_dir, file_format="csv")
    states = {}
    for name, as_of in [("week_1", WEEK_1), ("week_1_again", WEEK_1), ("week_2", WEEK_2)]:
        project.run("build", vars={"as_of_date": as_of})
        mart = {r["user_id"]: r for r in project.query("select * from customer_features")}
        states[name] = {"mart": mart, "snapshot": project.query(SNAPSHOT)}
    return states


def test_rebuild_with_the_same_inputs_gives_the_same_mart(history):
    first, again = history["week_1"], history["week_1_again"]
    assert len(first["mart"]) > 2700
    assert again["mart"] == first["mart"]
    # ... and the snapshot records no change.
    assert again["snapshot"] == first["snapshot"]


def test_snapshot_covers_every_mart_column_but_the_window():
    spec = yaml.safe_load((PROJECT_DIR / "models" / "marts" / "_marts__models.yml").read_text())
    mart_columns = [c["name"] for c in spec["models"][0]["columns"]]
    window = {"user_id", "feature_window_start", "feature_window_end"}
    assert check_cols() == [c for c in mart_columns if c not in window]


def test_snapshot_versions_exactly_the_changed_customers(history):
    week_1, week_2 = history["week_1"]["mart"], history["week_2"]["mart"]
    monday_1, monday_2 = (dt.datetime.fromisoformat(d) for d in (WEEK_1, WEEK_2))
    features = check_cols()
    versions: dict[int, list[dict]] = {}
    for row in history["week_2"]["snapshot"]:
        versions.setdefault(row["user_id"], []).append(row)

    assert set(versions) == set(week_2) >= set(week_1)
    changed = 0
    for user_id, now in week_2.items():
        before = week_1.get(user_id)
        spans = [(v["dbt_valid_from"], v["dbt_valid_to"]) for v in versions[user_id]]
        if before is None:
            assert spans == [(monday_2, None)], user_id
        elif any(before[c] != now[c] for c in features):
            changed += 1
            assert spans == [(monday_1, monday_2), (monday_2, None)], user_id
            old, new = versions[user_id]
            assert all(old[c] == before[c] and new[c] == now[c] for c in features)
        else:
            assert spans == [(monday_1, None)], user_id
    # A week moves the window: some customers change (their profit level among them), most do not.
    assert 10 <= changed <= len(week_1) // 2
    assert any(
        week_1[u]["profit_level"] != week_2[u]["profit_level"] for u in week_1 if len(versions[u]) == 2
    )


# --- Reruns: the snapshot keeps one version per customer per week ------------------------------

SNAPSHOT_BUILD = ("build", "--exclude", "resource_type:unit_test")


def write_users(raw: Path, ages: dict[int, int]) -> None:
    """The users file, replaced: these users with these ages, all signed up long before."""
    import shutil

    shutil.rmtree(raw / "users", ignore_errors=True)
    write_raw_file(
        raw,
        "users",
        [dict(id=u, age=age, created_at=ts("2025-01-01T00:00:00")) for u, age in ages.items()],
        "users-000000000000.parquet",
    )


def spans(project) -> dict[int, list[tuple]]:
    versions: dict[int, list[tuple]] = {}
    for row in project.query(SNAPSHOT):
        day = lambda t: t and t.date().isoformat()  # noqa: E731
        versions.setdefault(row["user_id"], []).append(
            (day(row["dbt_valid_from"]), day(row["dbt_valid_to"]), row["age"])
        )
    return versions


def test_snapshot_survives_reruns_leavers_and_refuses_an_earlier_week(dbt_project, tmp_path):
    """Issue #11's stuck snapshot: week 1, week 1 again after a correction (one user's age), week 1
    unchanged, week 2 (one user changed, one gone), week 2 with --full-refresh, then week 1 again."""
    raw = tmp_path / "raw"
    write_raw(raw, {"distribution_centers": [dict(id=1, name="Memphis TN", latitude=35.1, longitude=-90.0)]})
    write_users(raw, {1: 30, 2: 40, 3: 50})
    # Users and centers only; the users signed up long before these weeks (the freshness guard is
    # told so, as an operator would).
    project = dbt_project(raw, empty_tables_expected=True, default_vars={"max_raw_table_age_days": 1000})

    project.run(*SNAPSHOT_BUILD, vars={"as_of_date": WEEK_1})
    assert spans(project) == {1: [(WEEK_1, None, 30)], 2: [(WEEK_1, None, 40)], 3: [(WEEK_1, None, 50)]}

    write_users(raw, {1: 31, 2: 40, 3: 50})  # a corrected export of the same week
    project.run(*SNAPSHOT_BUILD, vars={"as_of_date": WEEK_1})  # failed the unique test before
    corrected = project.query(SNAPSHOT)
    assert spans(project) == {1: [(WEEK_1, None, 31)], 2: [(WEEK_1, None, 40)], 3: [(WEEK_1, None, 50)]}

    project.run(*SNAPSHOT_BUILD, vars={"as_of_date": WEEK_1})
    assert project.query(SNAPSHOT) == corrected  # an unchanged rerun adds nothing

    write_users(raw, {1: 31, 2: 41})  # next week: user 2 changed, user 3 left
    project.run(*SNAPSHOT_BUILD, vars={"as_of_date": WEEK_2})
    week_2 = {
        1: [(WEEK_1, None, 31)],
        2: [(WEEK_1, WEEK_2, 40), (WEEK_2, None, 41)],
        3: [(WEEK_1, WEEK_2, 50)],  # closed the week they left
    }
    assert spans(project) == week_2
    project.run(*SNAPSHOT_BUILD, "--full-refresh", vars={"as_of_date": WEEK_2})
    assert spans(project) == week_2

    # An earlier week stops the run before the mart is replaced, naming both dates.
    result = project.run(*SNAPSHOT_BUILD, vars={"as_of_date": WEEK_1}, check=False)
    assert result.returncode != 0
    assert f"already holds the week of {WEEK_2}, later than as_of_date {WEEK_1}" in result.stdout
    ends = project.query("select distinct feature_window_end as d from customer_features")
    assert ends == [{"d": dt.date.fromisoformat(WEEK_2)}]
    assert spans(project) == week_2

    # User 3 coming back opens a new version; the README's query still gives one row per week.
    write_users(raw, {1: 31, 2: 41, 3: 50})
    week_3 = "2026-07-15"
    project.run(*SNAPSHOT_BUILD, vars={"as_of_date": week_3})
    assert spans(project)[3] == [(WEEK_1, WEEK_2, 50), (week_3, None, 50)]
