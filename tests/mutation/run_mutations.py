"""Mutation check of the test suite (`make mutation`; not part of `make test`).

For each mistake of tests/mutation/mutations.py, one at a time: copy the project (the files git
tracks, plus uncommitted edits) to a temporary folder, never touching the working tree; make the
one-line change there; run the fast suite on the copy, stage by stage, stopping at the first that
fails. A mistake no stage notices "survives". Prints a Markdown table (mutation, killed by) and
exits 1 if any survives. The unmutated copy must pass the unit and differential stages first
(and end-to-end too with --all-stages; `make test` runs it anyway).

The fast suite:
1. `unit`: the YAML unit tests (`dbt test --select test_type:unit`) on a copy of a warehouse
   where the unmutated project's models were built empty (`dbt run --empty`) once;
2. `differential`: tests/python/test_differential.py on DuckDB, HYPOTHESIS_PROFILE=mutation
   (12 derandomized examples);
3. `end-to-end`: tests/python/test_end_to_end.py's hand-worked customers and generated sample
   (`dbt build` with every dbt test, compared with the reference).

Usage: .venv/bin/python tests/mutation/run_mutations.py [--only SUBSTRING] [--start N --stop M]
       [--no-baseline] [--all-stages] [--verbose]  (split a long run over processes with --start/--stop)
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from mutations import MUTATIONS  # noqa: E402

PROJECT_DIR = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
STAGES = ("unit", "differential", "end-to-end")


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


def mutate(root: Path, path: str, text: str, replacement: str) -> None:
    file = root / path
    content = file.read_text()
    count = content.count(text)
    if count != 1:
        raise SystemExit(f"mutation text found {count} times in {path}, expected once: {text!r}")
    file.write_text(content.replace(text, replacement))


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
        commands = [[str(BIN / "dbt"), "test", "--select", "test_type:unit", *dbt_dirs(work)]]
    else:
        env.update(HYPOTHESIS_PROFILE="mutation")
        test = "test_differential.py" if stage == "differential" else "test_end_to_end.py"
        select = ["-k", "duckdb"] if stage == "differential" else ["-k", "by_hand or generated"]
        commands = [
            [str(BIN / "pytest"), f"tests/python/{test}", "-x", "-q", "-p", "no:cacheprovider", *select]
        ]
    output = ""
    for command in commands:
        result = subprocess.run(command, cwd=root, env=env, capture_output=True, text=True, check=False)
        output = (result.stdout + result.stderr)[-3000:]
        if result.returncode != 0:
            return False, output
    return True, output


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
    parser.add_argument(
        "--no-baseline", action="store_true", help="skip the unmutated run (when another run just passed it)"
    )
    parser.add_argument("--verbose", action="store_true", help="print the killing stage's output")
    args = parser.parse_args()

    chosen = [m for m in MUTATIONS[args.start : args.stop] if args.only in m[0]]
    rows: list[tuple[str, str, float]] = []
    with tempfile.TemporaryDirectory(prefix="mutation-") as tmp:
        tmp_path = Path(tmp)
        raw_dir = tmp_path / "raw"
        subprocess.run(
            [str(BIN / "customer-mart"), "generate", "--users", "200", "--seed", "3", "--out", str(raw_dir),
             "--now", "2026-06-30", "--no-progress"],
            check=True, capture_output=True,
        )  # fmt: skip
        base_dir = tmp_path / "base"
        base_dir.mkdir()
        (base_dir / "project").mkdir()
        copy_project(base_dir / "project")
        shutil.copy(PROJECT_DIR / "profiles.yml.example", base_dir / "profiles.yml")
        base_db = build_base(base_dir / "project", base_dir, raw_dir)
        # The unmutated copy must pass the stages first (all three with --all-stages), or the
        # table below means nothing.
        baseline = [] if args.no_baseline else [("(none: the project as it is)", "", "", "")]
        for name, path, text, replacement in [*baseline, *chosen]:
            started = time.perf_counter()
            work = tmp_path / "work"
            root = tmp_path / "project"
            for folder in (work, root):
                shutil.rmtree(folder, ignore_errors=True)
                folder.mkdir()
            copy_project(root)
            shutil.copy(PROJECT_DIR / "profiles.yml.example", work / "profiles.yml")
            if path:
                mutate(root, path, text, replacement)
            stages = STAGES if path or args.all_stages else STAGES[:2]
            killers = []
            for stage in stages:
                passed, output = run_stage(stage, root, work, raw_dir, base_db)
                if not passed:
                    killers.append(stage)
                    if args.verbose:
                        print(output, file=sys.stderr)
                    if not args.all_stages:
                        break
            seconds = time.perf_counter() - started
            verdict = ", ".join(killers) if killers else "SURVIVED"
            rows.append((name, verdict, seconds))
            print(f"{name:50} {verdict:30} {seconds:6.0f} s", file=sys.stderr, flush=True)
            if not path and killers:
                print("the unmutated project fails the fast suite; fix that first", file=sys.stderr)
                return 2

    print("\n| mutation | killed by |\n|---|---|")
    mutated = rows[len(baseline) :]
    for name, verdict, _ in mutated:
        print(f"| {name} | {verdict} |")
    survivors = [name for name, verdict, _ in mutated if verdict == "SURVIVED"]
    print(f"\n{len(mutated) - len(survivors)} of {len(mutated)} mutations killed", file=sys.stderr)
    return 1 if survivors else 0


if __name__ == "__main__":
    sys.exit(main())
