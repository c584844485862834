"""dbt build on DuckDB, every dbt test and unit test included, checked against reference_features."""

from __future__ import annotations

import datetime as dt
import math
from decimal import Decimal

import pytest
from raw_tables import ts, write_raw
from reference_features import compute

FLOAT_COLUMNS = {"nearest_dc_distance_km", "return_rate_last_year"}


def assert_same_features(built: list[dict], expected: dict[int, dict]) -> None:
    by_id = {row["user_id"]: row for row in built}
    assert len(by_id) == len(built), "user_id repeated in the mart"
    missing, extra = sorted(set(expected) - set(by_id)), sorted(set(by_id) - set(expected))
    assert not missing and not extra, f"missing: {missing[:10]}, extra: {extra[:10]}"
    mismatches = []
    for user_id, want in expected.items():
        got = by_id[user_id]
        for column, value in want.items():
            have = got[column]
            if column in FLOAT_COLUMNS and value is not None and have is not None:
                tolerance = 0.0005 if column == "nearest_dc_distance_km" else 1e-12
                same = math.isclose(have, value, abs_tol=tolerance)
            else:
                same = have == value
            if not same:
                mismatches.append((user_id, column, have, value))
    assert not mismatches, f"{len(mismatches)} differences, first: {mismatches[:10]}"


def build_and_compare(project, raw_dir, as_of: str) -> list[dict]:
    result = project.run("build", vars={"as_of_date": as_of})
    # Warnings name anomalies of the input (the official sample has some); nothing may fail or skip.
    assert "ERROR=0 SKIP=0" in result.stdout
    built = project.query("select * from customer_features")
    expected = compute(raw_dir, dt.date.fromisoformat(as_of))
    assert_same_features(built, expected)
    return built


def test_generated_sample_builds_and_matches_the_rules(dbt_project, small_generated_dir):
    project = dbt_project(small_generated_dir)
    built = build_and_compare(project, small_generated_dir, "2026-06-30")

    # The data must exercise every rule, or the comparison above proves little.
    assert len(built) > 1900
    assert {row["profit_level"] for row in built} == {1, 2, 3}
    assert any(row["returned_items_last_year"] for row in built)
    assert any(row["return_rate_last_year"] is None for row in built)
    assert len({row["nearest_dc_id"] for row in built}) >= 5
    assert len({row["most_traffic_source"] for row in built}) >= 4
    assert all(isinstance(row["purchase_amount_last_year"], Decimal) for row in built)


def test_a_few_customers_by_hand(dbt_project, tmp_path):
    """Three customers whose features are worked out by hand in the comments."""
    users = [
        # 1 lives at the Memphis center; 2 has no coordinates; 3 signs up on as_of_date (out of scope).
        dict(
            id=1, age=30, state=" Tennessee ", country="United States", latitude=35.1174, longitude=-89.9711
        ),
        dict(id=2, age=40, state="", country="France", latitude=None, longitude=None),
        dict(id=3, age=50, state="Ohio", country="United States", latitude=41.08, longitude=-81.52),
    ]
    for user, created in zip(users, ["2020-01-01", "2021-01-01", "2024-06-15"], strict=True):
        user["created_at"] = ts(created)
    items = [
        # User 1, in the window [2023-06-15, 2024-06-15): 120 + 40 kept = 160.00 (level 3); a returned
        # 99.99 counts as purchased but not in the amount; a cancelled 500 counts nowhere.
        (1, 1, "Complete", "2023-06-15 00:00:00", 120.0),
        (2, 1, " shipped", "2024-06-14 23:59:59", 40.0),
        (3, 1, "RETURNED", "2024-01-01 00:00:00", 99.99),
        (4, 1, "Cancelled", "2024-01-01 00:00:00", 500.0),
        # User 2: the day before the window starts, and as_of_date itself: both outside.
        (5, 2, "Complete", "2023-06-14 23:59:59", 75.0),
        (6, 2, "Complete", "2024-06-15 00:00:00", 75.0),
    ]
    # Costs 100 and 15 for user 1's kept items: gross profit (120 - 100) + (40 - 15) = 45.00.
    costs = {1: 100.0, 2: 15.0, 3: 50.0, 4: 1.0, 5: 1.0, 6: 1.0}
    events = [
        # User 1: Email twice (once padded), Adwords twice: a tie that Adwords wins; Facebook
        # three times but before the window. An anonymous event and a sourceless one are ignored.
        (1, "Email", "2024-01-01"),
        (1, " Email ", "2024-01-02"),
        (1, "Adwords", "2024-01-03"),
        (1, "Adwords", "2024-01-04"),
        (1, "Facebook", "2023-01-01"),
        (1, "Facebook", "2023-01-02"),
        (1, "Facebook", "2023-01-03"),
        (None, "Organic", "2024-01-01"),
        (2, None, "2024-01-01"),
    ]
    raw = tmp_path / "raw"
    write_raw(
        raw,
        {
            "users": users,
            "distribution_centers": [
                dict(id=1, name="Memphis TN", latitude=35.1174, longitude=-89.9711),
                dict(id=2, name="Chicago IL", latitude=41.8369, longitude=-87.6847),
            ],
            "order_items": [
                dict(id=i, user_id=u, inventory_item_id=i, status=st, created_at=ts(t), sale_price=p)
                for i, u, st, t, p in items
            ],
            "inventory_items": [dict(id=i, cost=c) for i, c in costs.items()],
            "events": [
                dict(id=i, user_id=u, traffic_source=src, created_at=ts(day + " 12:00:00"))
                for i, (u, src, day) in enumerate(events, start=1)
            ],
        },
    )

    # No orders or products (not needed here); rows dated for the rules, not a weekly delivery, and
    # stock units without a time: the freshness guard is turned off, as an operator would.
    project = dbt_project(raw, empty_tables_expected=True, default_vars={"max_raw_table_age_days": "off"})
    project.run("build", vars={"as_of_date": "2024-06-15"})
    rows = {r["user_id"]: r for r in project.query("select * from customer_features")}

    assert set(rows) == {1, 2}
    one, two = rows[1], rows[2]
    assert (one["age"], one["country"], one["state"]) == (30, "United States", "Tennessee")
    assert (one["nearest_dc_id"], one["nearest_dc_name"]) == (1, "Memphis TN")
    assert one["nearest_dc_distance_km"] == 0.0
    assert (one["purchased_items_last_year"], one["returned_items_last_year"]) == (3, 1)
    assert one["return_rate_last_year"] == pytest.approx(1 / 3, rel=1e-12)
    assert (one["purchase_amount_last_year"], one["profit_level"]) == (Decimal("160.00"), 3)
    assert one["gross_profit_last_year"] == Decimal("45.00")
    assert one["most_traffic_source"] == "Adwords"
    assert one["feature_window_start"] == dt.date(2023, 6, 15)
    assert one["feature_window_end"] == dt.date(2024, 6, 15)

    assert (two["state"], two["nearest_dc_id"], two["nearest_dc_distance_km"]) == (None, None, None)
    assert (two["purchased_items_last_year"], two["return_rate_last_year"]) == (0, None)
    assert (two["purchase_amount_last_year"], two["profit_level"]) == (Decimal("0.00"), 1)
    assert (two["gross_profit_last_year"], two["most_traffic_source"]) == (None, None)


def test_official_generator_sample_builds_and_matches_the_rules(dbt_project, official_sample_dir):
    project = dbt_project(official_sample_dir, file_format="csv")
    built = build_and_compare(project, official_sample_dir, "2026-07-01")
    assert len(built) > 2700
    assert {row["profit_level"] for row in built} == {1, 2, 3}
