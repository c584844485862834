"""The commands a user types, run as they type them (`.venv/bin/customer-mart ...` in a subprocess):
their exit codes, and what they print or write.

- `load`: a load that works, and one that fails (a truncated file), on a throwaway PostgreSQL;
- `upload`: against moto's S3 and Glue in server mode on 127.0.0.1, reached through
  AWS_ENDPOINT_URL (which boto3 honours): success, a missing bucket, a missing raw folder, and a
  Glue database that does not describe the upload (refused before anything is written);
- `summary`: its counts against the reference features of the data the mart was built from;
- `corrupt`: the manifest it prints is the one it writes, and its files are there.
- every command's start: no pandas, matplotlib or benchmark code imported (the image has no
  pandas).

Not here: a customer who leaves and an out-of-order as_of_date in the snapshot, late and
corrected events in a weekly delivery (tests of the incremental models and the snapshot, owned
with them).
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import shutil
import subprocess
from collections import Counter

import pytest
from conftest import BIN_DIR, PROJECT_DIR
from reference_features import compute

from customer_mart.schema import TABLES

CLI = str(BIN_DIR / "customer-mart")
REGION = "eu-west-1"


def customer_mart(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [CLI, *args],
        env={"PATH": os.environ.get("PATH", ""), "HOME": os.environ.get("HOME", "/tmp"), **(env or {})},
        cwd=PROJECT_DIR,
        capture_output=True,
        text=True,
        check=False,
        timeout=600,
    )


# load
def test_load_exit_codes(postgres_server, official_sample_dir, tmp_path):
    """0 and a line per table on success; on a truncated file, non-zero, the file named on stderr,
    and the tables loaded before left as they were (one transaction)."""
    database = postgres_server.create_database("cli_load")
    env = postgres_server.env(database)

    loaded = customer_mart("load", "--target", "postgres", "--raw-dir", str(official_sample_dir), env=env)
    assert loaded.returncode == 0, loaded.stderr
    counts = {
        t: int(n.replace(",", "")) for t, n in re.findall(r"thelook_raw\.(\w+): ([\d,]+) rows", loaded.stdout)
    }
    assert set(counts) == set(TABLES)
    assert counts["users"] == len(
        (official_sample_dir / "users" / "users-000000000000.csv").read_text().splitlines()[1:]
    )

    raw = tmp_path / "raw"
    shutil.copytree(official_sample_dir, raw)
    broken = raw / "events" / "events-000000000000.csv"
    broken.write_text("".join(broken.read_text().splitlines(keepends=True)[1:]))  # header lost
    failed = customer_mart("load", "--target", "postgres", "--raw-dir", str(raw), env=env)
    assert failed.returncode != 0
    assert f"customer-mart load: raw table events: file {broken}" in failed.stderr
    users = postgres_server.query(database, "select count(*) as n from thelook_raw.users")[0]["n"]
    assert users == counts["users"]


# upload
@pytest.fixture
def aws_env(moto_endpoint) -> dict[str, str]:
    return {
        "AWS_ENDPOINT_URL": moto_endpoint,
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": REGION,
        "AWS_REGION": REGION,
        "AWS_CONFIG_FILE": "/dev/null",
        "AWS_SHARED_CREDENTIALS_FILE": "/dev/null",
        "AWS_EC2_METADATA_DISABLED": "true",
    }


def s3_client(env: dict[str, str]):
    import boto3

    return boto3.client(
        "s3",
        region_name=REGION,
        endpoint_url=env["AWS_ENDPOINT_URL"],
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )


def test_upload_exit_codes(aws_env, small_generated_dir, tmp_path):
    s3 = s3_client(aws_env)
    bucket = "cli-upload"
    s3.create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": REGION})
    args = ["upload", "--raw-dir", str(small_generated_dir), "--bucket", bucket, "--prefix", "thelook/raw"]

    done = customer_mart(*args, "--region", REGION, env=aws_env)
    assert done.returncode == 0, done.stderr
    keys = sorted(o["Key"] for o in s3.list_objects_v2(Bucket=bucket)["Contents"])
    expected = sorted(
        f"thelook/raw/{p.parent.name}/{p.name}" for p in small_generated_dir.glob("*/*.parquet")
    )
    assert keys == expected
    assert re.search(rf"total\s+{len(expected)} files", done.stdout)

    missing_bucket = customer_mart(*[a if a != bucket else "no-such-bucket" for a in args], env=aws_env)
    assert missing_bucket.returncode != 0
    assert "no-such-bucket" in missing_bucket.stderr and "does not exist" in missing_bucket.stderr

    no_folder = tmp_path / "nothing-here"
    missing_raw = customer_mart(
        "upload", "--raw-dir", str(no_folder), "--bucket", bucket, "--prefix", "x", env=aws_env
    )
    assert missing_raw.returncode != 0
    assert str(no_folder) in missing_raw.stderr

    # The catalog has no such database's tables: refused before anything is written, even with
    # --delete-stale and a stale object that it would otherwise delete.
    stale = "thelook/raw/users/users-000000000009.parquet"
    s3.put_object(Bucket=bucket, Key=stale, Body=b"old shard")
    before = {o["Key"]: o["ETag"] for o in s3.list_objects_v2(Bucket=bucket)["Contents"]}
    no_catalog = customer_mart(*args, "--delete-stale", "--glue-database", "thelook_raw", env=aws_env)
    assert no_catalog.returncode == 2
    assert "thelook_raw.users: no such Glue table" in no_catalog.stderr
    assert "nothing was written" in no_catalog.stderr
    assert {o["Key"]: o["ETag"] for o in s3.list_objects_v2(Bucket=bucket)["Contents"]} == before


# summary
def test_summary_prints_the_marts_counts(small_warehouse, small_generated_dir):
    """Customers in total, per profit level (with the seed's labels) and per center, as the
    reference computes them from the raw data the mart was built from."""
    expected = compute(small_generated_dir, dt.date(2026, 6, 30))
    result = customer_mart("summary", "--duckdb", str(small_warehouse.duckdb_path))
    assert result.returncode == 0, result.stderr
    out = result.stdout

    assert f"customer_features: {len(expected):,} customers, feature window [2025-06-30, 2026-06-30)" in out
    levels = Counter(f["profit_level"] for f in expected.values())
    labels = {1: "low", 2: "medium", 3: "high"}
    for level, count in levels.items():
        assert re.search(rf"^  {level} {labels[level]}\s+{count:,}\s", out, re.MULTILINE), (level, out)
    centers = Counter(f["nearest_dc_name"] or "(no valid address)" for f in expected.values())
    for name, count in centers.items():
        assert re.search(rf"^  {re.escape(name)}\s+{count:,}\s", out, re.MULTILINE), (name, out)

    missing = customer_mart("summary", "--duckdb", str(small_warehouse.workdir / "none.duckdb"))
    assert missing.returncode != 0 and "run `dbt build` first" in missing.stderr


# corrupt
def test_corrupt_prints_and_writes_its_manifest(official_sample_dir, tmp_path):
    out = tmp_path / "corrupted"
    result = customer_mart("corrupt", "--raw-dir", str(official_sample_dir), "--out", str(out), "--seed", "3")
    assert result.returncode == 0, result.stderr

    manifest = json.loads(result.stdout)
    assert manifest == json.loads((out / "faults.json").read_text())
    assert (manifest["format"], manifest["seed"]) == ("csv", 3)
    for table in TABLES:
        assert (out / table / f"{table}-000000000000.csv").is_file()
    # The summary on stderr: one line per fault kind with its row count and checks.
    for kind, fault in manifest["faults"].items():
        assert re.search(rf"^{re.escape(kind)}\s+{fault['rows']}\s", result.stderr, re.MULTILINE), kind
    # Each user the manifest says was repeated is in the users file twice.
    import csv

    with (out / "users" / "users-000000000000.csv").open(newline="") as handle:
        ids = Counter(row[0] for row in csv.reader(handle))
    repeated = manifest["faults"]["users.duplicate_rows"]["user_ids"]
    assert repeated and all(ids[str(user_id)] == 2 for user_id in repeated)


def test_no_command_starts_with_pandas_matplotlib_or_the_benchmark():
    """The image has no pandas (requirements-runtime.lock): no command imports it, nor the benchmark's
    code (customer_mart.benchmark, which needs it) or matplotlib, before it runs."""
    commands = ["generate", "load", "summary", "corrupt", "upload", "segment", "smoke"]
    script = (
        "import json, sys\nfrom customer_mart import cli\nloaded = {}\n"
        f"for command in {commands!r}:\n"
        "    try:\n        cli.main([command, '--help'])\n    except SystemExit:\n        pass\n"
        "    loaded[command] = sorted(m for m in sys.modules if m.split('.')[0] in ('pandas', 'matplotlib')"
        " or m.startswith('customer_mart.benchmark'))\n"
        "print(json.dumps(loaded))"
    )
    done = subprocess.run([str(BIN_DIR / "python"), "-c", script], capture_output=True, text=True, check=True)
    assert json.loads(done.stdout.splitlines()[-1]) == {command: [] for command in commands}
