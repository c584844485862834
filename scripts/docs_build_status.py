"""Show the latest build's status on the dbt docs site: on the overview and on customer_features.

    docs_build_status.py STATUS TARGET

STATUS is what `dbt --quiet run-operation build_status` printed: the latest row of the run history
view customer_features_builds (when the mart was built, for which as_of_date, how many customers,
how its checks went; macros/monitoring/build_status.sql). TARGET is the folder `dbt docs generate`
just wrote. The status goes, as Markdown, into the overview's doc block and at the top of the
mart's description in TARGET/manifest.json (what `dbt docs serve` shows), and into the same
manifest inlined in TARGET/static_index.html when `--static` wrote one (the page the weekly task
publishes). Run it after each `dbt docs generate`: `make docs`, `make docs-static` and
scripts/weekly_build.sh do. Running it twice replaces the status rather than adding another.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path

OVERVIEW = "doc.customer_mart.__overview__"
MART = "model.customer_mart.customer_features"
HEADING = "## The latest build"
LEAD = "**The latest build**"
ANSI = re.compile(r"\x1b\[[0-9;]*m")


class StatusError(Exception):
    pass


def read_status(text: str) -> dict:
    """The JSON line `dbt run-operation build_status` prints (macros/monitoring/build_status.sql)."""
    for line in text.splitlines():
        line = ANSI.sub("", line).strip()
        if line.startswith('{"build_status"'):
            return json.loads(line)["build_status"]
    raise StatusError("no build_status line: give the output of `dbt --quiet run-operation build_status`")


def _minute(timestamp: str | None) -> str:
    return f"{timestamp[:16]} UTC" if timestamp else "an unrecorded time"


def checks_text(status: dict) -> str:
    """Whether every check passed, in words."""
    passed, warned, failed = (status.get(k) for k in ("checks_passed", "checks_warned", "checks_failed"))
    if passed is None:
        return "checks **not recorded** for this build"
    skipped = status.get("checks_skipped") or 0
    nodes_failed = status.get("nodes_failed") or 0
    if failed or skipped or nodes_failed:
        parts = [f"**{failed} failed**"] if failed else []
        parts += [f"{skipped} skipped"] if skipped else []
        parts += [f"{nodes_failed} model(s) or hook(s) failed"] if nodes_failed else []
        parts += [f"{passed:,} passed"] + ([f"{warned} warned"] if warned else [])
        return "checks: **not all passed**: " + ", ".join(parts)
    if warned:
        return (
            f"checks: **none failed** ({passed:,} passed, {warned} warned: reported, a warning"
            " does not stop the build)"
        )
    return f"checks: **all {passed:,} passed**"


def status_sentence(status: dict) -> str:
    if not status.get("found"):
        return (
            "No build of customer_features is recorded in this warehouse yet: the site shows the"
            " project, not data."
        )
    shares = {level: status.get(f"profit_level_{level}_share") for level in (1, 2, 3)}
    mix = ", ".join(f"level {lvl} {share * 100:.1f}%" for lvl, share in shares.items() if share is not None)
    customers = status.get("customers")
    return (
        f"customer_features was built for **as_of_date {status['as_of_date']}**, finished"
        f" {_minute(status.get('build_finished_at') or status.get('build_started_at'))}:"
        f" **{customers:,} customers**" + (f" (profit {mix})" if mix else "") + f"; {checks_text(status)}."
    )


def overview_section(status: dict) -> str:
    return (
        f"{HEADING}\n\n{status_sentence(status)}\n\nFrom the run history when this site was generated:"
        " one row per build in the view"
        " [customer_features_builds](#!/model/model.customer_mart.customer_features_builds), which analysts"
        " can query.\n"
    )


def with_overview_section(block: str, section: str) -> str:
    """The overview with the section after its introduction (before the first `## ` heading),
    replacing an earlier one."""
    start = block.find(HEADING)
    if start >= 0:
        end = block.find("\n## ", start + len(HEADING))
        block = block[:start] + (block[end + 1 :] if end >= 0 else "")
    first = block.find("\n## ")
    if first < 0:
        return block.rstrip() + "\n\n" + section
    return block[: first + 1] + section + "\n" + block[first + 1 :]


def with_mart_lead(description: str, status: dict) -> str:
    if description.startswith(LEAD):
        description = description.split("\n\n", 1)[1] if "\n\n" in description else ""
    return f"{LEAD}: {status_sentence(status)}\n\n{description}"


def add_status(manifest: dict, status: dict) -> dict:
    docs, nodes = manifest.get("docs", {}), manifest.get("nodes", {})
    if OVERVIEW not in docs or MART not in nodes:
        raise StatusError(f"the manifest has no {OVERVIEW} or no {MART}: is this the customer_mart project?")
    overview = docs[OVERVIEW]
    overview["block_contents"] = with_overview_section(overview["block_contents"], overview_section(status))
    nodes[MART]["description"] = with_mart_lead(nodes[MART].get("description") or "", status)
    return manifest


def write(target: Path, status: dict) -> list[Path]:
    manifest_path = target / "manifest.json"
    if not manifest_path.is_file():
        raise StatusError(f"{manifest_path} does not exist: run `dbt docs generate` first")
    original = manifest_path.read_text()
    # "</" written "<\/" (the same JSON) so that the manifest can sit inside a <script> element.
    updated = json.dumps(add_status(json.loads(original), status)).replace("</", "<\\/")
    written = []
    static = target / "static_index.html"
    if static.is_file():
        page = static.read_text()
        # dbt inlines manifest.json as it reads it, stripped (dbt/task/docs/generate.py).
        if page.count(original.strip()) != 1:
            raise StatusError(
                f"{static} does not inline {manifest_path}: generate both with one"
                " `dbt docs generate --static`"
            )
        static.write_text(page.replace(original.strip(), updated, 1))
        written.append(static)
    manifest_path.write_text(updated)
    written.append(manifest_path)
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("status", type=Path, help="the output of `dbt --quiet run-operation build_status`")
    parser.add_argument("target", type=Path, help="the target folder `dbt docs generate` wrote")
    args = parser.parse_args(argv)
    try:
        status = read_status(args.status.read_text())
        for path in write(args.target, status):
            print(f"build status added to {path}")
    except (StatusError, OSError, ValueError) as error:
        print(f"docs_build_status: {error}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
