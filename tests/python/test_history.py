"""Reruns and history: the same inputs and as_of_date give the same mart; the snapshot records a
new version exactly for the customers whose features changed; source freshness fits a weekly load."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
import yaml
from raw_tables import write_raw

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


def test_source_freshness_fits_a_weekly_load(dbt_project, tmp_path):
    """Newest row 2 days old: pass; 10 days: warn; 30 days: error, even with a row in the future."""
    now = dt.datetime.now(dt.UTC)

    def at(days: float) -> dt.datetime:
        return now - dt.timedelta(days=days)

    raw = tmp_path / "raw"
    write_raw(
        raw,
        {
            "users": [dict(id=1, created_at=at(400)), dict(id=2, created_at=at(2))],
            "orders": [dict(order_id=1, user_id=1, created_at=at(10))],
            "order_items": [dict(id=1, created_at=at(30)), dict(id=2, created_at=at(-30))],
            "events": [dict(id=1, user_id=1, created_at=at(10))],
            "inventory_items": [dict(id=1, created_at=at(1))],
            "products": [dict(id=1)],
            "distribution_centers": [dict(id=1)],
        },
    )
    project = dbt_project(raw)
    result = project.run("source", "freshness", check=False)
    assert result.returncode != 0  # an error-level source fails the command

    sources = json.loads((project.workdir / "target" / "sources.json").read_text())
    status = {r["unique_id"].split(".")[-1]: r["status"] for r in sources["results"]}
    assert status == {
        "users": "pass",
        "inventory_items": "pass",
        "orders": "warn",
        "events": "warn",
        "order_items": "error",
    }
