"""The YAML unit tests pin the vars their rules depend on, so a user's own thresholds or window
do not turn them red: `dbt build --vars '{profit_level_2_above: 60, ...}'` passes.

Runs on DuckDB with `--empty` (models built with no rows): every unit test runs for real, which
is what this checks; the data tests then only prove that the build goes through."""

from __future__ import annotations

import json


def test_a_build_with_other_thresholds_and_date_passes_its_unit_tests(dbt_project, small_generated_dir):
    project = dbt_project(small_generated_dir)
    user_vars = {
        "as_of_date": "2025-01-15",
        "profit_level_2_above": 60,
        "profit_level_3_from": 200,
    }
    project.run("build", "--empty", vars=user_vars)  # fails the test on any error or failure

    results = json.loads((project.workdir / "target" / "run_results.json").read_text())["results"]
    unit_tests = {
        r["unique_id"].split(".")[-1]: r["status"] for r in results if r["unique_id"].startswith("unit_test.")
    }
    assert len(unit_tests) >= 20, unit_tests
    assert set(unit_tests.values()) == {"pass"}, unit_tests
    # The ones whose models read the thresholds and the date ran among them, and the events' merge.
    assert {
        "profit_level_boundaries",
        "profit_level_ignores_float_noise",
        "population_is_users_created_before_as_of_date",
        "events_without_user_or_source_are_ignored",
        "events_new_files_are_merged_with_the_rows_merged_before",
    } <= set(unit_tests)
    # Each unit test and model is built as a relation named after it: PostgreSQL refuses a name over
    # 63 bytes (a 64-character unit test name once failed the whole `dbt build --target postgres`).
    built = [
        r["unique_id"].split(".")[-1]
        for r in results
        if r["unique_id"].split(".")[0] in ("unit_test", "model", "seed", "snapshot")
    ]
    assert len(built) > len(unit_tests)
    assert [name for name in built if len(name.encode()) > 63] == []
