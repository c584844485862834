"""The ready queries in analyses/: they compile for Redshift, with no warehouse, into SQL Redshift
runs (a check of text only), and on DuckDB their numbers equal a plain-Python computation from the
reference features."""

from __future__ import annotations

import json

from conftest import PROJECT_DIR, DbtProject
from test_redshift_offline import OFFLINE, REDSHIFT_ENV, redshift_problems

ANALYSES = {
    "customers_per_profit_level_and_center",
    "return_rate_by_traffic_source",
    "high_value_customers_far_from_center",
}


def test_analyses_compile_for_redshift(tmp_path):
    project = DbtProject(
        workdir=tmp_path, raw_dir=tmp_path / "no-raw-data", target="redshift", extra_env=dict(REDSHIFT_ENV)
    )
    project.run(
        "compile",
        "--no-populate-cache",
        "--select",
        "resource_type:analysis",
        vars={"as_of_date": "2026-07-01"},
        launcher=OFFLINE,
    )
    manifest = json.loads((tmp_path / "target" / "manifest.json").read_text())
    analyses = {n["name"]: n for n in manifest["nodes"].values() if n["resource_type"] == "analysis"}
    assert set(analyses) >= ANALYSES
    for name in sorted(ANALYSES):
        sql = analyses[name]["compiled_code"]
        assert '"dev"."customer_mart"."customer_features"' in sql, name
        assert redshift_problems(sql) == [], name


def test_analyses_numbers_equal_the_reference(small_warehouse, small_generated_dir, tmp_path):
    """Each analysis, compiled by `dbt compile` and run on the built DuckDB mart, returns the numbers
    a plain-Python computation gets from the reference features of the same raw data."""
    import csv
    import datetime as dt
    import math
    import shutil
    from collections import defaultdict
    from decimal import ROUND_HALF_UP, Decimal

    import duckdb
    from reference_features import compute

    project = DbtProject(workdir=tmp_path, raw_dir=small_generated_dir)
    shutil.copy(small_warehouse.duckdb_path, project.duckdb_path)
    project.run("compile", "--select", "resource_type:analysis", vars={"as_of_date": "2026-06-30"})
    compiled = tmp_path / "target" / "compiled" / "customer_mart" / "analyses"

    def run(name: str) -> list[dict]:
        with duckdb.connect(str(project.duckdb_path), read_only=True) as con:
            cursor = con.execute((compiled / f"{name}.sql").read_text())
            names = [d[0] for d in cursor.description]
            return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]

    def rounded(value: float | Decimal, places: int) -> Decimal:
        return Decimal(repr(value) if isinstance(value, float) else value).quantize(
            Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP
        )

    def close(have, want: Decimal | None, tolerance: str) -> bool:
        """Equal to within `tolerance`: the SQL rounds in steps (6 places, then 4) and in doubles."""
        if want is None or have is None:
            return have is None and want is None
        return abs(Decimal(repr(have) if isinstance(have, float) else have) - want) <= Decimal(tolerance)

    features = list(compute(small_generated_dir, dt.date(2026, 6, 30)).values())
    with (PROJECT_DIR / "seeds" / "profit_levels.csv").open() as handle:
        labels = {int(r["profit_level"]): r["label"] for r in csv.DictReader(handle)}

    # customers_per_profit_level_and_center
    groups: dict[tuple, list[dict]] = defaultdict(list)
    for f in features:
        groups[(f["profit_level"], f["nearest_dc_name"] or "(no valid address)")].append(f)
    want = []
    for (level, name), members in groups.items():
        distances = [m["nearest_dc_distance_km"] for m in members if m["nearest_dc_distance_km"] is not None]
        want.append(
            {
                "profit_level": level,
                "profit_level_label": labels[level],
                "nearest_dc_name": name,
                "customers": len(members),
                "purchase_amount_last_year": sum(m["purchase_amount_last_year"] for m in members),
                "share_of_customers_pct": Decimal(100 * len(members)) / len(features),
                "avg_distance_km": Decimal(repr(sum(distances) / len(distances))) if distances else None,
            }
        )
    want.sort(key=lambda r: (-r["profit_level"], -r["customers"], r["nearest_dc_name"]))
    have = run("customers_per_profit_level_and_center")
    assert len(have) == len(want) > 10
    for got, row in zip(have, want, strict=True):
        exact = (
            "profit_level",
            "profit_level_label",
            "nearest_dc_name",
            "customers",
            "purchase_amount_last_year",
        )
        assert {k: got[k] for k in exact} == {k: row[k] for k in exact}
        assert close(got["share_of_customers_pct"], rounded(row["share_of_customers_pct"], 2), "0.005"), got
        distance = row["avg_distance_km"] and rounded(row["avg_distance_km"], 1)
        assert close(got["avg_distance_km"], distance, "0.1"), (got, row)

    # return_rate_by_traffic_source
    sources: dict[str, list[dict]] = defaultdict(list)
    for f in features:
        sources[f["most_traffic_source"] or "(no events)"].append(f)
    want = []
    for source, members in sources.items():
        bought = sum(m["purchased_items_last_year"] for m in members)
        returned = sum(m["returned_items_last_year"] for m in members)
        rates = [m["return_rate_last_year"] for m in members if m["return_rate_last_year"] is not None]
        want.append(
            {
                "most_traffic_source": source,
                "customers": len(members),
                "buying_customers": sum(1 for m in members if m["purchased_items_last_year"] > 0),
                "purchased_items": bought,
                "returned_items": returned,
                "item_return_rate": rounded(Decimal(returned) / bought, 4) if bought else None,
                "avg_customer_return_rate": rounded(math.fsum(rates) / len(rates), 4) if rates else None,
            }
        )
    want.sort(
        key=lambda r: (r["item_return_rate"] is None, -(r["item_return_rate"] or 0), r["most_traffic_source"])
    )
    have = run("return_rate_by_traffic_source")
    assert len(have) == len(want) >= 4
    for got, row in zip(have, want, strict=True):
        counts = ("most_traffic_source", "customers", "buying_customers", "purchased_items", "returned_items")
        assert {k: got[k] for k in counts} == {k: row[k] for k in counts}
        for rate in ("item_return_rate", "avg_customer_return_rate"):
            assert close(got[rate], row[rate], "0.0001"), (rate, got, row)

    # high_value_customers_far_from_center (default far_from_center_km: 1000)
    far = [
        f
        for f in features
        if f["profit_level"] == 3
        and f["nearest_dc_distance_km"] is not None
        and f["nearest_dc_distance_km"] >= 1000
    ]
    far.sort(
        key=lambda f: (-round(f["nearest_dc_distance_km"], 3), -f["purchase_amount_last_year"], f["user_id"])
    )
    have = run("high_value_customers_far_from_center")
    assert [r["user_id"] for r in have] == [f["user_id"] for f in far]
    assert len(far) > 0
    for got, f in zip(have, far, strict=True):
        assert got["purchase_amount_last_year"] == f["purchase_amount_last_year"]
        assert got["most_traffic_source"] == f["most_traffic_source"]
