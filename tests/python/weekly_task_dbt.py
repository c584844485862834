"""A stand-in for `dbt` in the weekly task's tests (test_weekly_task.py): it records its arguments
and the AS_OF_DATE it was given in $DBT_CALLS, and writes to $DBT_TARGET_PATH what the real command
leaves there: the manifest and run results of `build` (with a warning; FAKE_DBT_FAIL=build adds a
failed model, a failed test and skipped nodes and exits 1, FAKE_DBT_FAIL=stale the freshness
guard's error as dbt 1.11 writes it (its lines from a real DuckDB build, test_freshness.py), with
the mart and the snapshot skipped, unless the build was given --vars, FAKE_DBT_FAIL=parse prints
dbt's "Encountered an error:" block and exits 2 with no results), the build_status line of
`run-operation build_status`, and the docs site of `docs generate --static` (a static page that
inlines its manifest, as dbt's does). FAKE_INVOCATION and FAKE_STATUS_INVOCATION set the build's
invocation id and the one the run history reports.
"""

import json
import os
import sys
from pathlib import Path

args = sys.argv[1:]
command = [a for a in args if a != "--quiet"]  # the global flag the task gives run-operation
target = Path(os.environ["DBT_TARGET_PATH"])
with open(os.environ["DBT_CALLS"], "a") as calls:
    calls.write(" ".join(args) + " | AS_OF_DATE=" + os.environ.get("AS_OF_DATE", "") + "\n")
invocation = os.environ.get("FAKE_INVOCATION", "inv-1")
fail = os.environ.get("FAKE_DBT_FAIL", "")


def node(kind, name, path, description=""):
    return {
        "unique_id": f"{kind}.customer_mart.{name}",
        "name": name,
        "resource_type": kind,
        "original_file_path": path,
        "description": description,
    }


PROFIT_LEVEL = "models/intermediate/customers/int_customers_profit_level.sql"
NODES = [
    node("model", "customer_features", "models/marts/customer_features.sql", "One row per customer."),
    node("model", "int_customers_profit_level", PROFIT_LEVEL),
    node("model", "monitoring_mart_volumes", "models/monitoring/monitoring_mart_volumes.sql"),
    node("snapshot", "customer_features_snapshot", "snapshots/customer_features_snapshot.sql"),
    node("test", "unique_customer_features_user_id", "models/marts/_marts__models.yml"),
    node(
        "test",
        "warn_users_created_at_in_other_time_zones",
        "models/staging/thelook/profiles/_thelook__profiles.yml",
        "Warns when users' created_at were written with an offset other than UTC. Counted, not dropped.",
    ),
    node(
        "test",
        "raw_tables_fresh",
        "tests/monitoring/raw_tables_fresh.sql",
        "The freshness guard (error): a raw table with a time column whose newest row is too old. More.",
    ),
    node(
        "test",
        "raw_tables_not_empty_or_shrunk",
        "tests/monitoring/raw_tables_not_empty_or_shrunk.sql",
        "Error: a raw table read empty, or shrunk by more than the var max_raw_table_shrink. More.",
    ),
]


def write(name, data):
    (target / name).write_text(json.dumps(data))


def result(name, status, message=None, failures=None):
    kind = next(n["resource_type"] for n in NODES if n["name"] == name)
    return {
        "unique_id": f"{kind}.customer_mart.{name}",
        "status": status,
        "message": message,
        "failures": failures,
    }


manifest = {"metadata": {"from": command[0]}, "nodes": {n["unique_id"]: n for n in NODES}, "docs": {}}
if command[0] == "build":
    if fail == "parse":
        print("\x1b[0m03:12:05  Encountered an error:")
        print(
            "Compilation Error in model monitoring_mart_volumes"
            " (models/monitoring/monitoring_mart_volumes.sql)"
        )
        print(
            '  setting as_of_date (var as_of_date or environment variable AS_OF_DATE) is "x": not YYYY-MM-DD'
        )
        print("  ")
        print("  > in macro setting_error (macros/settings/setting_error.sql)")
        sys.exit(2)
    write("manifest.json", manifest)
    warned = result(
        "warn_users_created_at_in_other_time_zones",
        "warn",
        "Got 480 results, configured to warn if != 0",
        480,
    )
    if fail == "stale" and "--vars" not in command:
        message = "\n".join(
            [
                "Compilation Error in test raw_tables_fresh (tests/monitoring/raw_tables_fresh.sql)",
                "  raw table events: newest row 2026-11-16 23:13:00 UTC (at or before as_of_date 2026-11-30)"
                " is 13.0 days old, more than max_raw_table_age_days (7) allows",
                "  raw table orders: newest row 2026-11-16 22:41:00 UTC (at or before as_of_date 2026-11-30)"
                " is 13.1 days old, more than max_raw_table_age_days (7) allows",
                "  The week's export looks missing, so the build stops before customer_features is replaced"
                " (the previous mart and the snapshot stay). Upload the export and rerun, or, to build on"
                " these files as they are, rerun with --vars '{max_raw_table_age_days: 14}'.",
            ]
        )
        results = [
            result("raw_tables_fresh", "error", message),
            result("customer_features", "skipped"),
            result("customer_features_snapshot", "skipped"),
            result("monitoring_mart_volumes", "skipped"),
            result("unique_customer_features_user_id", "skipped"),
        ]
        write("run_results.json", {"metadata": {"invocation_id": invocation}, "results": results})
        print("Completed with 1 error")
        sys.exit(1)
    if fail == "build":
        results = [
            result(
                "int_customers_profit_level",
                "error",
                f"Database Error in model int_customers_profit_level ({PROFIT_LEVEL})\n"
                "  Conversion Error: Could not convert 'inf' to DECIMAL(12,2)\n"
                "  compiled code at target/run/customer_mart/models/intermediate/customers/x.sql",
            ),
            result("raw_tables_not_empty_or_shrunk", "fail", "Got 1 result, configured to fail if != 0", 1),
            result("customer_features", "skipped"),
            result("customer_features_snapshot", "skipped"),
            result("monitoring_mart_volumes", "skipped"),
            result("unique_customer_features_user_id", "skipped"),
            warned,
        ]
        write("run_results.json", {"metadata": {"invocation_id": invocation}, "results": results})
        print("Completed with 2 errors")
        sys.exit(1)
    passed = result("unique_customer_features_user_id", "pass")
    results = [result("customer_features", "success"), passed, warned]
    write("run_results.json", {"metadata": {"invocation_id": invocation}, "results": results})
elif command[:2] == ["run-operation", "build_status"]:
    write("manifest.json", manifest)
    write("run_results.json", {"metadata": {"invocation_id": "op"}, "results": []})
    print(
        json.dumps(
            {
                "build_status": {
                    "found": True,
                    "invocation_id": os.environ.get("FAKE_STATUS_INVOCATION", invocation),
                    "build_started_at": "2026-12-14 03:00:04.120000",
                    "build_finished_at": "2026-12-14 03:41:07.500000",
                    "as_of_date": os.environ["AS_OF_DATE"],
                    "customers": 100000,
                    "profit_level_1_share": 0.621,
                    "profit_level_2_share": 0.203,
                    "profit_level_3_share": 0.176,
                    "checks_passed": 1,
                    "checks_warned": 1,
                    "checks_failed": 0,
                    "checks_skipped": 0,
                    "nodes_failed": 0,
                    "nodes_skipped": 0,
                }
            }
        )
    )
elif command[0] == "run-operation":
    write("manifest.json", manifest)
    write("run_results.json", {"metadata": {"invocation_id": "op"}, "results": []})
elif command[0] == "docs":
    manifest["docs"]["doc.customer_mart.__overview__"] = {
        "block_contents": "# customer_mart\n\nIntro.\n\n## Where to start\n\nThe mart."
    }
    write("manifest.json", manifest)
    write("catalog.json", {"nodes": {}})
    write("run_results.json", {"metadata": {"invocation_id": "docs"}, "results": []})
    inlined = (target / "manifest.json").read_text()
    page = "<html><script>var m = " + inlined + "; var c = {};</script></html>"
    (target / "static_index.html").write_text(page)
