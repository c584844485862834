"""The tables of docs/benchmarks.md, docs/benchmarks.png and README.md's speed paragraph (--readme)
from the results of the last `make bench`, docs/benchmarks.json (bench/run_bench.py calls `write`).

The page's text is written by hand: this rewrites only what lies between each
`<!-- bench:table:NAME:start -->` and `<!-- bench:table:NAME:end -->` (a page that does not exist yet
gets the blocks alone); a block the page lacks, or one this does not know, is an error.
"""

from __future__ import annotations

import argparse
import json
import re
import statistics
import textwrap
from pathlib import Path

TARGET_USERS = 1_000_000
README_START, README_END = "<!-- bench:weekly-cost:start -->", "<!-- bench:weekly-cost:end -->"
BLOCK = re.compile(r"(<!-- bench:table:([a-z-]+):start -->\n).*?(<!-- bench:table:\2:end -->)", re.DOTALL)
LABELS = {  # every timed command of a size; the dbt runs first
    "whole_cold": "whole dbt build (every test), cold",
    "whole_warm": "whole dbt build (every test), warm",
    "cold": "dbt build, models only, cold",
    "warm": "dbt build, models only, warm",
    "weekly": "weekly whole build (every test), incremental",
    "weekly_full": "weekly whole build (every test), --full-refresh",
    "weekly_models": "weekly build, models only, incremental",
    "weekly_models_full": "weekly build, models only, --full-refresh",
    "single": "single DuckDB query",
    "pandas": "pandas",
}
WEEKLY = {"weekly": "weekly_with_tests", "weekly_full": "weekly_full_refresh_with_tests"}
WEEKLY |= {"weekly_models": "incremental", "weekly_models_full": "full_refresh"}  # keys in "incremental"
# Each ratio: numerator/denominator, and its target at 1,000,000 users where it has one.
RATIOS = "whole_cold/single<=2 cold/single<=1.5 warm/single<=1.5 pandas/single pandas/whole_cold"
RATIOS += " pandas/cold>=5 pandas/warm>=5 weekly/single<=1.5 weekly/weekly_full<=0.5"
RATIOS += " weekly_models/weekly_models_full"


def median(timing: dict, key: str = "seconds") -> float:
    return statistics.median(timing[key])


def gb(mib: float) -> float:
    """Peak resident memory is recorded in MiB; reported in GB (10^9 bytes)."""
    return mib * 2**20 / 1e9


MEASURES = {  # what a table or the chart reads of a timing
    "wall, median": median,
    "wall, best run": lambda timing: min(timing["seconds"]),
    "CPU": lambda timing: median(timing, "cpu_seconds"),
    "peak": lambda timing: gb(max(timing["peak_mb"])),
}


def size(users: int) -> str:
    """10,000,000 as 10M, 20,000 as 20k."""
    for unit, factor in (("M", 1_000_000), ("k", 1_000)):
        if users >= factor and users % factor == 0:
            return f"{users // factor}{unit}"
    return f"{users:,}"


def table(header: str, rows: list[list], align: str) -> list[str]:
    """A markdown table; `header` has the columns' names between "|", `align` a letter each (r, l)."""
    head, rule = header.replace("|", " | "), "|".join("---:" if a == "r" else "---" for a in align)
    return [f"| {head} |", f"|{rule}|", *(f"| {' | '.join(map(str, r))} |" for r in rows)]


def timings(result: dict) -> dict[str, dict]:
    """Every timed command of one size that ran to the end, by its key in LABELS."""
    found = {f"whole_{name}": timing for name, timing in result["whole_build"].items()}
    found |= {**result.get("dbt", {}), **result["alternatives"]}
    found |= {key: result["incremental"][name] for key, name in WEEKLY.items() if "incremental" in result}
    return {key: found[key] for key in LABELS if key in found}


def measured(result: dict, measure: str = "wall, median") -> dict[str, float]:
    return {key: MEASURES[measure](timing) for key, timing in timings(result).items()}


def at_target(data: dict) -> dict | None:  # the result at 1,000,000 users, where the full plan ran
    return next((r for r in data["results"] if r["users"] == TARGET_USERS and not r.get("reduced")), None)


def run_table(data: dict) -> list[str]:
    m, s, pg = data["machine"], data["settings"], data.get("postgres")
    load = [", ".join(f"{x:.1f}" for x in data[f"load_average_{when}"]) for when in ("before", "after")]
    kept = {k["users"]: f", kept from the run started {k['started']}" for k in data.get("resumed", [])}
    rows = [["run", f"`bench/run_bench.py --runs {s['runs']}`, {data['started']}, {data['minutes']} minutes"]]
    for r in data["results"]:
        plan = f"{r['runs']} run(s)" + ", reduced plan" * bool(r.get("reduced")) + kept.get(r["users"], "")
        rows.append([f"{r['users']:,} users", plan])
    rows += [["machine", f"{m['cpus']} cores, {m['memory_gib']} GiB, shared with other work"]]
    rows += [["load average before / after the run", f"{load[0]} / {load[1]}"]]
    rows += [["software", f"DuckDB {m['duckdb']}, dbt-core {m['dbt']}, dbt-duckdb {m['dbt-duckdb']}"]]
    rows += [["", f"pandas {m['pandas']}, Python {m['python']}"]]
    rows += [["DuckDB `memory_limit`, threads", f"{s['memory_limit']}, {s['duckdb_threads']}"]]
    postgres = f"{pg['users']:,} users, started {pg['started']}" if pg else "not measured"
    return table("|this run", [*rows, ["PostgreSQL raw reads", postgres]], "ll")


def failed(f: dict) -> str:
    """pandas under its memory cap, or the single query's first try in the reduced plan."""
    how = f"failed, {f['error']} (exit code {f['exit_code']})"
    if "memory_cap_gb" in f:
        return f"pandas under a {f['memory_cap_gb']:g} GB cap: {how}"
    return f"single DuckDB query under {f['memory_limit']} (timed above under {f['retried_with']}): {how}"


def time_table(data: dict) -> list[str]:
    rows = []
    for r in data["results"]:
        gen, users = r["generate"], f"{r['users']:,}"
        rate = f"{sum(gen['rows'].values()):,} rows, {gen['rows_per_second'] / 1e6:.2f} M rows/s"
        named = {f"generator: {rate}": gen["timing"], "dbt parse, no cache (once)": r["dbt_parse"]}
        for what, t in (named | {LABELS[key]: t for key, t in timings(r).items()}).items():
            runs = ", ".join(f"{s:.1f}" for s in t["seconds"])
            cpu, peak = MEASURES["CPU"](t), MEASURES["peak"](t)
            rows.append([users, what, f"{median(t):.1f}", runs, f"{cpu:.1f}", f"{peak:.2f}"])
        for f in filter(None, (r.get("pandas_failed"), r.get("single_failed"))):
            until = [f"{f['seconds']:.1f} until then", "–", "–", f"{gb(f['peak_mb']):.2f} until then"]
            rows.append([users, failed(f), *until])
    header = "users|what|median wall (s)|runs, wall (s)|median CPU (s)|peak memory (GB)"
    return table(header, rows, "rlrlrr")


def raw_reads_table(data: dict) -> list[str]:
    tables, rows = sorted(data["results"][0]["raw_scans"]), []
    for r in data["results"]:
        builds = {"whole, cold": r["raw_scans"], "weekly, incremental": r.get("incremental", {})}
        for name, scans in builds.items():
            scans = scans.get("weekly_raw_scans", {}) if name.startswith("weekly") else scans
            reads = [scans.get(t, {"full": 0, "incremental": 0}) for t in tables]
            cells = [f"{c['full']}" + f" + {c['incremental']} incr." * bool(c["incremental"]) for c in reads]
            rows += [[f"{r['users']:,}", name, *cells]] if scans else []
    return table("|".join(["users|build", *tables]), rows, "rl" + "r" * len(tables))


def dbt_time_table(data: dict) -> list[str]:
    rows = []
    for r in data["results"]:
        single = median(r["alternatives"]["single"])
        for key, t in ((key, t) for key, t in timings(r).items() if t["run_seconds"]):  # dbt's
            wall, own, check = median(t), median(t, "run_seconds"), median(t, "check_seconds")
            tests, m = median(t, "test_seconds"), own - check  # m: the models alone, where no test ran
            start = f"{wall - own:.1f} ({(wall - own) / wall:.0%})"
            cells = [f"{wall:.1f}", f"{own:.1f}", start, f"{check:.1f}", f"{median(t, 'model_seconds'):.1f}"]
            cells += [f"{tests:.1f}", "–", "–"] if tests else ["–", f"{m:.1f}", f"{m / single:.2f}x"]
            rows.append([f"{r['users']:,}", LABELS[key], *cells])
    header = "users|dbt run|wall (s)|dbt's own run time (s)|start-up and artefacts (s, share)"
    header += "|raw-file check (s)|events staging (s)|tests, node time (s)|models (s)|models / single query"
    return table(header, rows, "rl" + "r" * 8)


def ratio(values: dict, a: str, b: str, failed: str) -> str:
    """a / b (a weekly build against its full refresh in %); where one did not run, `failed` if pandas."""
    if a in values and b in values:
        return format(values[a] / values[b], ".0%" if b.endswith("_full") else ".2f")
    return failed if "pandas" in (a, b) and "pandas" not in values else "–"


def ratio_table(data: dict) -> list[str]:
    header, columns, target = "ratio|target at 1M|at 1M", [], measured(t) if (t := at_target(data)) else {}
    for r in data["results"]:
        for measure in ("wall, median", "wall, best run", "CPU"):
            header += f"|{size(r['users'])}: {measure}"
            columns.append((measured(r, measure), "pandas failed" if r.get("pandas_failed") else "–"))
    rows = []
    for a, b, sign, limit in (re.fullmatch(r"(\w+)/(\w+)([<>]=)?(.*)", x).groups() for x in RATIOS.split()):
        goal = ok = "–"
        if limit:
            at_most, bound = sign == "<=", float(limit)
            goal = f"{'at most' if at_most else 'at least'} {bound:{'.0%' if b.endswith('_full') else 'g'}}"
        if limit and a in target and b in target:
            q = target[a] / target[b]
            ok = "met" if (q <= bound if at_most else q >= bound) else "**missed**"
        rows.append([f"{LABELS[a]} / {LABELS[b]}", goal, ok, *(ratio(v, a, b, f) for v, f in columns)])
    return table(header, rows, "llr" + "r" * len(columns))


def scan(s: dict) -> str:
    read = f"{s['row_groups_scanned']} of {s['row_groups']}, {s['mb_read']:.0f} of {s['mb_in_files']:.0f} MB"
    return f"{read}, {s['rows_out']:,} of {s['rows_in_files']:,} rows"


def weekly_table(data: dict) -> list[str]:
    rows = []
    for r in data["results"]:
        if r.get("reduced"):
            rows.append([f"{r['users']:,}", *["not run (reduced plan)"] * 7])
            continue
        inc, (w, wf, m, mf) = r["incremental"], (r["incremental"][name] for name in WEEKLY.values())
        rows.append([f"{r['users']:,}", f"{sum(inc['delivered'].values()):,}"])
        rows[-1] += [f"{median(w):.1f} / {median(wf):.1f}", f"{median(m):.1f}", f"{median(mf):.1f}"]
        rows[-1] += [f"{median(m) / median(mf):.0%}"]
        rows[-1] += [f"{median(m, 'model_seconds'):.1f} / {median(mf, 'model_seconds'):.1f}"]
        rows[-1] += [f"{scan(inc['scan']['incremental'])} / {scan(inc['scan']['full_refresh'])}"]
    header = "users|rows delivered|whole weekly build with its tests: incremental / full refresh (s)"
    header += "|models only: incremental (s)|full refresh (s)|ratio|events staging: incremental / full (s)"
    header += "|events scan, incremental / full: row groups read, MB read, rows passed on"
    return table(header, rows, "r" * 7 + "l")


def plans_table(data: dict) -> list[str]:
    rows, pg = [], data.get("postgres") or {}
    for r in data["results"]:
        where, plan = f"DuckDB, {r['users']:,} users", r.get("incremental", {}).get("plan")
        keys = {"weekly build with its tests": "weekly_with_tests", "models only": "incremental"}
        rows += [[where, run, f"`{plan[k]}`"] for run, k in keys.items() if plan] or [[where, "–", "not run"]]
    for build, run in (("weekly", "weekly build"), ("full_refresh", "--full-refresh build")):
        if pg.get(build, {}).get("plan"):
            rows.append([f"PostgreSQL, {pg['users']:,} users", run, f"`{pg[build]['plan'][-1]}`"])
    return table("where|run|what stg_thelook__events said", rows, "lll")


def postgres_table(data: dict) -> list[str]:
    if not (pg := data.get("postgres")):
        return ["Not measured by this run (`--postgres-users 0`)."]
    tables, held = sorted(pg["raw_rows"]), pg["raw_rows"]
    rows = [["rows held", *(f"{held[t]:,}" for t in tables)]]
    new = [f"{pg['new_file_rows']:,}" if t == "events" else "–" for t in tables]
    rows += [["rows in the new file", *new]]
    builds = {"cold": "cold build", "weekly": "weekly build", "full_refresh": "weekly build, --full-refresh"}
    for build, name in builds.items():
        rows.append([f"read by the {name}", *(f"{pg[build]['rows_read'].get(t, 0):,}" for t in tables)])
    return table("|".join(["rows", *tables]), rows, "l" + "r" * len(tables))


def same_table(data: dict) -> list[str]:
    rows = []
    for r in data["results"]:
        weekly = r.get("incremental", {}).get("differences")
        checks = {**r["same_features"], "incremental vs full refresh": weekly}
        checks |= {"pandas": "not compared: pandas failed"} if r.get("pandas_failed") else {}
        for what, found in ((what, found) for what, found in checks.items() if found is not None):
            said = found if isinstance(found, str) else f"**{len(found)} differences**: {found[:3]}"
            rows.append([f"{r['users']:,}", what, said if found else "identical"])
    return table("users|dbt's mart against|", rows, "rll")


BLOCKS = {"run": run_table, "time": time_table, "dbt-time": dbt_time_table, "raw-reads": raw_reads_table}
BLOCKS |= {"ratios": ratio_table, "weekly": weekly_table, "plans": plans_table}
BLOCKS |= {"postgres": postgres_table, "same": same_table}


def markdown(data: dict, page: str) -> str:
    """The page with each block's table rewritten from the results."""
    found = [m[2] for m in BLOCK.finditer(page)]
    if sorted(found) != sorted(BLOCKS):
        raise SystemExit(f"the page's blocks are {found}; the report writes each of {list(BLOCKS)} once")
    return BLOCK.sub(lambda m: m[1] + "\n".join(BLOCKS[m[2]](data)) + "\n" + m[3], page)


def write(data: dict, page: Path, chart_path: Path) -> None:
    """Rewrite the tables of `page` (a page of the blocks alone where there is none yet) and the chart."""
    blocks = "".join(f"<!-- bench:table:{n}:start -->\n<!-- bench:table:{n}:end -->\n\n" for n in BLOCKS)
    text = page.read_text() if page.exists() else f"# Benchmarks\n\n![chart]({chart_path.name})\n\n{blocks}"
    page.write_text(markdown(data, text))
    chart(data, chart_path)


def readme_block(data: dict) -> str:
    """README.md's speed paragraph: what the weekly job costs at 1,000,000 users, from this run."""
    day, link, t = data["started"][:10], "[docs/benchmarks.md](docs/benchmarks.md)", at_target(data)
    if t is None:
        text = f"The weekly job's cost at {TARGET_USERS:,} users is written here by `make bench`; its run of "
        return textwrap.fill(text + f"{day} did not measure that size (see {link}).", width=100)
    cold, weekly = t["whole_build"]["cold"], t["incremental"]["weekly_with_tests"]
    most = max(counts["full"] for counts in t["raw_scans"].values())
    events = t["incremental"]["weekly_raw_scans"].get("events", {"full": 0})["full"]
    text = f"At {TARGET_USERS:,} users on {data['machine']['cpus']} cores (`make bench` of {day}, {link}): "
    text += f"the whole cold `dbt build` with every test takes {median(cold):.1f} s (median wall, peak "
    text += f"{MEASURES['peak'](cold):.2f} GB) against {median(t['alternatives']['single']):.1f} s for one "
    text += "hand-written DuckDB query; the weekly incremental build with its tests takes "
    text += f"{median(weekly):.1f} s. A cold build reads each raw table at most {most} times in full; the "
    text += f"weekly one reads the raw events {events} time(s) in full besides the new files."
    if pg := data.get("postgres"):
        read, full = (pg[b]["rows_read"].get("events", 0) for b in ("weekly", "full_refresh"))
        text += f" On PostgreSQL ({size(pg['users'])} users), a weekly build read {read:,} raw event rows "
        text += f"of {pg['raw_rows']['events']:,} (a full refresh {full:,})."
    return textwrap.fill(text, width=100)


def update_readme(data: dict, readme: Path) -> None:
    """Rewrite the speed paragraph of README.md, between its bench:weekly-cost markers."""
    text = readme.read_text()
    pattern = re.compile(f"({re.escape(README_START)}\n).*?(\n{re.escape(README_END)})", re.DOTALL)
    if not pattern.search(text):
        raise RuntimeError(f"{readme} has no {README_START} ... {README_END} block")
    readme.write_text(pattern.sub(lambda found: found[1] + readme_block(data) + found[2], text, count=1))


def chart(data: dict, path: Path) -> None:
    """Median wall time and peak memory per implementation, and the weekly run's models-only builds; a
    bar that was not measured (pandas failed, the reduced plan) is empty, labelled "–"."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.ticker import NullFormatter, ScalarFormatter

    results, width = data["results"], 0.2
    fig, (times, memory, weekly) = plt.subplots(1, 3, figsize=(14, 4.6))
    ours = [("cold", "#1f77b4"), ("warm", "#7fb3e0"), ("single", "#2ca02c"), ("pandas", "#d62728")]
    weeks = [("weekly_models", "#ff7f0e"), ("weekly_models_full", "#1f77b4")]
    panels = {times: ("Wall time, median", "seconds (log scale)", "wall, median", ours)}
    panels |= {memory: ("Peak memory", "GB", "peak", ours)}
    panels |= {weekly: ("Weekly run: dbt build, models only", "seconds", "wall, median", weeks)}
    for axis, (title, unit, measure, kinds) in panels.items():
        for i, (key, colour) in enumerate(kinds):
            xs = [j + (i - (len(kinds) - 1) / 2) * width for j in range(len(results))]
            values = [measured(r, measure).get(key) for r in results]
            drawn = axis.bar(xs, [v or 0 for v in values], width, color=colour, label=LABELS[key])
            labels = ["–" if v is None else f"{v:.2f}" if axis is memory else f"{v:.1f}" for v in values]
            axis.bar_label(drawn, labels, fontsize=7, padding=1)
        axis.set_xticks(range(len(results)), [f"{r['users']:,} users" for r in results])
        axis.set(title=title, ylabel=unit)
        axis.grid(axis="y", alpha=0.3)
        axis.margins(y=0.15)
    times.set_yscale("log")
    times.yaxis.set_major_formatter(ScalarFormatter())
    times.yaxis.set_minor_formatter(NullFormatter())
    memory.axhline(3, color="grey", linestyle="--", linewidth=1)
    memory.annotate("3 GB", (0, 3), xytext=(2, 2), textcoords="offset points", color="grey", fontsize=8)
    for axis in (times, weekly):
        axis.legend(loc="upper center", bbox_to_anchor=(0.5, -0.1), ncol=1 + (axis is times), fontsize=8)
    fig.suptitle("customer_features: dbt on DuckDB against one hand-written DuckDB query and pandas")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    for name, default in (("json", "json"), ("markdown", "md"), ("chart", "png")):
        parser.add_argument(f"--{name}", default=f"docs/benchmarks.{default}")
    parser.add_argument("--readme", help="also rewrite this README.md's speed paragraph")
    args = parser.parse_args()
    data = json.loads(Path(args.json).read_text())
    write(data, Path(args.markdown), Path(args.chart))
    if args.readme:
        update_readme(data, Path(args.readme))


if __name__ == "__main__":
    main()
