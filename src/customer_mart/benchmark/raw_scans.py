"""How many times a dbt build reads each raw table, from the build's own artefacts.

    .venv/bin/python -m customer_mart.benchmark.raw_scans TARGET_DIR

Reads TARGET_DIR/manifest.json and TARGET_DIR/run_results.json. Every node that ran a query
(a table or incremental model, a snapshot, a data test) reads each raw source it depends on,
directly or through views and ephemeral models (a view is a stored query: creating it reads
nothing, every query on it reads its sources again). YAML unit tests read fixtures, not the raw
tables, and are left out. An incremental model run incrementally is counted apart: it reads only
the raw files it has not merged yet (stg_thelook__events, by `"$path"`; see docs/benchmarks.md).
A dependency counts only where the compiled SQL names it (a check whose body is empty on this
engine, such as rows_cut_short on Parquet, reads nothing). A
query naming a raw table without `source()` would be missed: none does, and the start-of-run file
check is not a node.
"""

from __future__ import annotations

import json
import sys
from collections import Counter
from pathlib import Path

READS_NOTHING = {"view", "ephemeral"}


def raw_scans(target: Path) -> dict[str, dict[str, list[str]]]:
    """{raw table: {"full": [node names], "incremental": [node names]}} for one build."""
    manifest = json.loads((target / "manifest.json").read_text())
    results = json.loads((target / "run_results.json").read_text())["results"]
    nodes = {**manifest["nodes"], **manifest["sources"]}

    def sources_of(unique_id: str, code: str, seen: set[str]) -> set[str]:
        """The raw tables a query reads: parents it names in its SQL, through views."""
        found = set()
        for parent in nodes[unique_id].get("depends_on", {}).get("nodes", []):
            if parent in seen or parent not in nodes:
                continue
            seen.add(parent)
            node = nodes[parent]
            named = code is None or (node.get("relation_name") or "") in code
            if node["resource_type"] == "source" and named:
                found.add(node["name"])
            elif (
                node["resource_type"] == "model" and node["config"]["materialized"] in READS_NOTHING and named
            ):
                found |= sources_of(parent, node.get("compiled_code") or node.get("raw_code"), seen)
        return found

    scans: dict[str, dict[str, list[str]]] = {}
    for result in results:
        unique_id = result["unique_id"]
        if result["status"] == "skipped" or unique_id not in nodes:
            continue
        node = nodes[unique_id]
        kind = node["resource_type"]
        if kind == "model" and node["config"]["materialized"] in READS_NOTHING:
            continue
        if kind not in {"model", "test", "snapshot"}:
            continue
        incremental = (
            kind == "model"
            and node["config"]["materialized"] == "incremental"
            and _ran_incrementally(result.get("compiled_code"), node)
        )
        for table in sources_of(unique_id, result.get("compiled_code"), set()):
            entry = scans.setdefault(table, {"full": [], "incremental": []})
            entry["incremental" if incremental else "full"].append(node["name"])
    return scans


def _ran_incrementally(code: str | None, node: dict) -> bool:
    """Whether the model's SQL of this run reads its own table: only an incremental run does
    (`{{ this }}`, the rows it merged before); a first build or a full refresh reads none."""
    return bool(code) and bool(node.get("relation_name")) and node["relation_name"] in code


def summary(scans: dict[str, dict[str, list[str]]]) -> dict[str, dict[str, int]]:
    return {
        table: {kind: len(names) for kind, names in entry.items()} for table, entry in sorted(scans.items())
    }


def main() -> None:
    target = Path(sys.argv[1] if len(sys.argv) > 1 else "target")
    scans = raw_scans(target)
    for table, entry in sorted(scans.items()):
        counted = Counter(entry["full"])
        names = ", ".join(f"{name} x{n}" if n > 1 else name for name, n in counted.items())
        extra = (
            f" (+{len(entry['incremental'])} incremental: {', '.join(entry['incremental'])})"
            if entry["incremental"]
            else ""
        )
        print(f"{table}: {len(entry['full'])} full read(s){extra}: {names}")


if __name__ == "__main__":
    main()
