"""The ready queries in analyses/ compile for Redshift, with no warehouse, into SQL Redshift runs.
(On DuckDB they are compiled and run by test_docs_site.py.)"""

from __future__ import annotations

import json

from conftest import DbtProject
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
