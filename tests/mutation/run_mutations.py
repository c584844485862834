"""Mutation check of the test suite (`make mutation`; not part of `make test`).

For each mistake of tests/mutation/mutations.py: copy the project (the files git tracks, plus
uncommitted edits) to a temporary folder, never touching the working tree; make the change there;
run the tests that can catch it on the copy, stopping at the first that fails. A mistake nothing
notices "survives". Prints a Markdown table (mutation, killed by, seconds), writes it into
docs/testing.md with the date and commit when the whole list ran, and exits 1 if any survives.
Every entry must still apply to the code first (`orphans`; `make test` checks that too).

What runs for a mistake in the SQL, stage by stage (the fast suite):
1. `unit`: the YAML unit tests (`dbt test --select test_type:unit`) on a copy of a warehouse
   where the unmutated project's models were built empty (`dbt run --empty`) once;
2. `differential`: tests/python/test_differential.py on DuckDB, HYPOTHESIS_PROFILE=mutation
   (12 derandomized examples);
3. `end-to-end`: tests/python/test_end_to_end.py's hand-worked customers and generated sample
   (`dbt build` with every dbt test, compared with the reference).
A mistake in Python or Terraform runs the pytest targets its entry names (`checks`), with the
copy's `src/` first on PYTHONPATH. The unmutated copy must pass the unit and differential stages
first (and end-to-end too with --all-stages; `make test` runs it anyway).

Usage: .venv/bin/python tests/mutation/run_mutations.py [--only SUBSTRING] [--start N --stop M]
       [--jobs N] [--no-baseline] [--all-stages] [--verbose]
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from mutations import MUTATIONS, Mutation, orphans  # noqa: E402

PROJECT_DIR = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
STAGES = ("unit", "differential", "end-to-end")
DOCS = PROJECT_DIR / "docs" / "testing.md"
TABLE_START = "<!-- mutation table: written by make mutation -->"
TABLE_END = "<!-- end of mutation table -->"


def copy_project(dest: Path) -> None:
    """The tracked and untracked-but-not-ignored files of the working tree, as they are now."""
    listed = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard", "-z"],
        cwd=PROJECT_DIR,
        capture_output=True,
        check=True,
    ).stdout.decode()
    for name in filter(None, listed.split("\0")):
        source = PROJECT_DIR / name
        if source.is_file():
            (dest / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, dest / name)


def mutate(root: Path, mutation: Mutation) -> None:
    for path, text, replacement in mutation.edits():
        file = root / path
        file.write_text(file.read_text().replace(text, replacement, 1))


def run_stage(stage: str, root: Path, work: Path, raw_dir: Path, base_db: Path) -> tuple[bool, str]:
    """(passed, last lines of output) of one stage of the fast suite on the copy at `root`."""
    env = dict(os.environ, DBT_SEND_ANONYMOUS_USAGE_STATS="false", PYTHONDONTWRITEBYTECODE="1")
    if stage == "unit":
        # The unit tests' input relations, built empty once from the unmutated project: the
        # mistakes change what models compute, never their columns.
        shutil.copy(base_db, work / "unit.duckdb")
        env.update(
            DUCKDB_PATH=str(work / "unit.duckdb"), RAW_DATA_DIR=str(raw_dir), RAW_FILE_FORMAT="parquet"
        )
        command = [str(BIN / "dbt"), "test", "--select", "test_type:unit", *dbt_dirs(work)]
    elif stage in ("differential", "end-to-end"):
        env.update(HYPOTHESIS_PROFILE="mutation")
        test = "test_differential.py" if stage == "differential" else "test_end_to_end.py"
        select = ["-k", "duckdb"] if stage == "differential" else ["-k", "by_hand or generated"]
        command = [str(BIN / "pytest"), f"tests/python/{test}", "-x", "-q", "-p", "no:cacheprovider", *select]
    else:  # a pytest target named by the entry: the copy's package first
        env.update(PYTHONPATH=str(root / "src"), CI="true")
        command = [str(BIN / "pytest"), *stage.split(), "-x", "-q", "-p", "no:cacheprovider"]
    result = subprocess.run(command, cwd=root, env=env, capture_output=True, text=True, check=False)
    return result.returncode == 0, (result.stdout + result.stderr)[-3000:]


def dbt_dirs(work: Path) -> list[str]:
    return ["--profiles-dir", str(work), "--target-path", str(work / "target"), "--log-path", str(work)]


def build_base(root: Path, work: Path, raw_dir: Path) -> Path:
    """Every model built empty (and the seed) from the unmutated project, for the unit tests."""
    base = work / "base.duckdb"
    env = dict(os.environ, DBT_SEND_ANONYMOUS_USAGE_STATS="false", DUCKDB_PATH=str(base))
    env.update(RAW_DATA_DIR=str(raw_dir), RAW_FILE_FORMAT="parquet")
    for args in (["seed"], ["run", "--empty", "--vars", "{as_of_date: '2026-06-30'}"]):
        subprocess.run(
            [str(BIN / "dbt"), *args, *dbt_dirs(work)], cwd=root, env=env, check=True, capture_output=True
        )
    return base


def try_mutation(
    mutation: Mutation | None, slot: Path, raw_dir: Path, base_db: Path, all_stages: bool, verbose: bool
) -> tuple[str, float]:
    """(the stages that failed, joined, or SURVIVED; seconds) for one mistake (None: the project as it is)."""
    started = time.perf_counter()
    work, root = slot / "work", slot / "project"
    for folder in (work, root):
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir(parents=True)
    copy_project(root)
    shutil.copy(PROJECT_DIR / "profiles.yml.example", work / "profiles.yml")
    if mutation:
        mutate(root, mutation)
    if mutation and mutation.checks:
        stages: tuple[str, ...] = mutation.checks
    else:
        stages = STAGES if mutation or all_stages else STAGES[:2]
    killers = []
    for stage in stages:
        passed, output = run_stage(stage, root, work, raw_dir, base_db)
        if not passed:
            killers.append(stage)
            if verbose:
                print(output, file=sys.stderr)
            if not all_stages:
                break
    return (", ".join(killers) if killers else "SURVIVED"), time.perf_counter() - started


def commit() -> str:
    described = subprocess.run(
        ["git", "describe", "--always", "--dirty"],
        cwd=PROJECT_DIR,
        capture_output=True,
        text=True,
        check=False,
    )
    return described.stdout.strip() or "unknown"


def write_table(table: str, total_seconds: float, jobs: int) -> None:
    """Replace the table between the markers of docs/testing.md: never edited by hand."""
    stamp = (
        f"Written by `make mutation` on {dt.date.today().isoformat()} at commit `{commit()}`: "
        f"the whole list in {total_seconds / 60:.0f} minutes with {jobs} job(s) on this machine."
    )
    text = DOCS.read_text()
    pattern = re.compile(re.escape(TABLE_START) + ".*?" + re.escape(TABLE_END), re.S)
    if not pattern.search(text):
        raise SystemExit(f"{DOCS}: the markers {TABLE_START!r} and {TABLE_END!r} are missing")
    DOCS.write_text(pattern.sub(lambda _: f"{TABLE_START}\n{stamp}\n\n{table}\n{TABLE_END}", text))


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--only", default="", help="run only the mutations whose name contains this")
    parser.add_argument(
        "--all-stages", action="store_true", help="run every stage, not only up to the first kill"
    )
    parser.add_argument("--start", type=int, default=0, help="first mutation to run, by position (0-based)")
    parser.add_argument("--stop", type=int, default=None, help="stop before this position")
    parser.add_argument("--jobs", type=int, default=1, help="mutations run at once (each about 1 GB)")
    parser.add_argument(
        "--no-baseline", action="store_true", help="skip the unmutated run (when another run just passed it)"
    )
    parser.add_argument("--verbose", action="store_true", help="print the killing stage's output")
    args = parser.parse_args()
    if args.jobs < 1:
        raise SystemExit(f"--jobs must be 1 or more, not {args.jobs}")

    problems = orphans(PROJECT_DIR)
    if problems:
        print("mutation entries that no longer apply (update tests/mutation/mutations.py):", file=sys.stderr)
        print("\n".join(f"  {line}" for line in problems), file=sys.stderr)
        return 2
    chosen = [m for m in MUTATIONS[args.start : args.stop] if args.only in m.name]
    whole_list = len(chosen) == len(MUTATIONS)
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="mutation-") as tmp:
        tmp_path = Path(tmp)
        raw_dir = tmp_path / "raw"
        subprocess.run(
            [str(BIN / "customer-mart"), "generate", "--users", "200", "--seed", "3", "--out", str(raw_dir),
             "--now", "2026-06-30", "--no-progress"],
            check=True, capture_output=True,
        )  # fmt: skip
        base_dir = tmp_path / "base"
        (base_dir / "project").mkdir(parents=True)
        copy_project(base_dir / "project")
        shutil.copy(PROJECT_DIR / "profiles.yml.example", base_dir / "profiles.yml")
        base_db = build_base(base_dir / "project", base_dir, raw_dir)
        # The unmutated copy must pass first, or the table below means nothing.
        if not args.no_baseline:
            verdict, seconds = try_mutation(
                None, tmp_path / "baseline", raw_dir, base_db, args.all_stages, args.verbose
            )
            passed = "passes (baseline)" if verdict == "SURVIVED" else verdict
            print(f"{'(none: the project as it is)':60} {passed:30} {seconds:6.0f} s", file=sys.stderr)
            if verdict != "SURVIVED":
                print("the unmutated project fails the fast suite; fix that first", file=sys.stderr)
                return 2

        def one(numbered: tuple[int, Mutation]) -> tuple[str, float]:
            number, mutation = numbered
            result = try_mutation(
                mutation,
                tmp_path / f"slot{number % args.jobs}",
                raw_dir,
                base_db,
                args.all_stages,
                args.verbose,
            )
            print(f"{mutation.name:60} {result[0]:30} {result[1]:6.0f} s", file=sys.stderr, flush=True)
            return result

        # Slot i serves mutations i, i + jobs, ...: a slot's folders are never used twice at once.
        with ThreadPoolExecutor(max_workers=args.jobs) as pool:
            numbered = list(enumerate(chosen))
            lanes = [
                pool.submit(lambda lane: [one(item) for item in numbered[lane :: args.jobs]], lane)
                for lane in range(args.jobs)
            ]
            by_lane = [lane.result() for lane in lanes]
    results = [by_lane[i % args.jobs][i // args.jobs] for i in range(len(chosen))]
    total = time.perf_counter() - started

    pairs = list(zip(chosen, results, strict=True))
    rows = [f"| {m.name} | {verdict} | {seconds:.0f} |" for m, (verdict, seconds) in pairs]
    table = "\n".join(["| mutation | killed by | seconds |", "|---|---|---|", *rows])
    print("\n" + table)
    survivors = [m.name for m, (verdict, _) in pairs if verdict == "SURVIVED"]
    print(
        f"\n{len(chosen) - len(survivors)} of {len(chosen)} mutations killed in {total / 60:.1f} minutes "
        f"({args.jobs} job(s))",
        file=sys.stderr,
    )
    if whole_list:
        write_table(table, total, args.jobs)
        print(f"table written to {DOCS.relative_to(PROJECT_DIR)}", file=sys.stderr)
    return 1 if survivors else 0


if __name__ == "__main__":
    sys.exit(main())
