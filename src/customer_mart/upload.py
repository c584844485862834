"""Load a raw TheLook folder into S3 in the layout the Glue Data Catalog describes.

Every data file of each table folder (`*.parquet`, `*.csv`, `*.csv.gz`, at any depth, found by the
rules of `schema.raw_table_files`) goes to `s3://<bucket>/<prefix>/<table>/<path in the folder>`,
under the location of that table's Glue definition (infra/glue.tf; Spectrum reads sub-folders
too). Optionally the Glue tables are checked against the raw data contract afterwards, or a Glue
crawler is started.

Nothing half-done is left where Spectrum reads. Every file is checked first (a complete Parquet
file of the contract's columns and types; a CSV header with the contract's columns). Then:
1. every file is uploaded to a staging prefix, `<prefix>/_staging/<run>/`, outside every
   table's location (Spectrum also skips names starting with `_`); a failure here (network,
   timeout, permissions) deletes the staged objects and changes nothing under the tables;
2. only when all are there, each is copied into place inside S3 (no upload, seconds), after a
   backup of each object it replaces; a failure here puts the backups back and deletes the
   new keys, so each table is again exactly as before;
3. then stale objects are deleted (with --delete-stale) and the staging prefix is emptied.
Every request has connect and read timeouts and a bounded number of retries (botocore Config).
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

from customer_mart.schema import (
    COLUMNS,
    FLOAT64,
    INT64,
    STRING,
    TABLES,
    TIMESTAMP,
    RawFolderError,
    open_csv_text,
    parquet_problem,
    raw_table_files,
)

# Seconds to wait for a connection and for each answer, and attempts per request (the first
# included), unless told otherwise (--timeout, --attempts).
DEFAULT_TIMEOUT = 60
DEFAULT_ATTEMPTS = 3

# BigQuery types of the contract -> Glue/Hive types of the catalog.
GLUE_TYPES = {INT64: "bigint", FLOAT64: "double", STRING: "string", TIMESTAMP: "timestamp"}

# The SerDe that reads each file format; the Glue tables in infra/ are Parquet.
_SERDE_HINTS = {"parquet": "parquet", "csv": "csv"}


class UploadError(Exception):
    """A problem the user can fix: a missing folder, a missing bucket, a wrong catalog."""


@dataclass(frozen=True)
class TableFiles:
    """The files of one raw table folder."""

    table: str
    files: tuple[Path, ...]
    file_format: str = "parquet"
    folder: Path | None = None

    def relative(self, path: Path) -> str:
        """The file's path inside its table folder, with `/`: its key under the table's prefix."""
        return path.relative_to(self.folder).as_posix() if self.folder else path.name


@dataclass
class UploadResult:
    bucket: str
    prefix: str
    keys: dict[str, list[str]] = field(default_factory=dict)
    stale: dict[str, list[str]] = field(default_factory=dict)
    deleted: dict[str, list[str]] = field(default_factory=dict)
    formats: dict[str, str] = field(default_factory=dict)

    @property
    def counts(self) -> dict[str, int]:
        return {table: len(keys) for table, keys in self.keys.items()}


def normalize_prefix(prefix: str) -> str:
    """`thelook/raw/` -> `thelook/raw`; refuses prefixes S3 and Glue would read differently."""
    cleaned = prefix.strip().strip("/")
    if "//" in cleaned or any(part in {".", ".."} for part in cleaned.split("/")):
        raise UploadError(f"--prefix {prefix!r} must be a plain key prefix such as thelook/raw")
    return cleaned


def table_prefix(prefix: str, table: str) -> str:
    """The key prefix of one table: `<prefix>/<table>/` (or `<table>/` for an empty prefix)."""
    prefix = normalize_prefix(prefix)
    return f"{prefix}/{table}/" if prefix else f"{table}/"


def find_raw_files(raw_dir: str | Path) -> list[TableFiles]:
    """The data files of the seven table folders (`schema.raw_table_files`: any depth, one format
    per table, names starting with `.` or `_` left out, as Spectrum leaves them out too)."""
    raw = Path(raw_dir)
    if not raw.is_dir():
        raise UploadError(f"raw folder {raw} does not exist")

    missing = [table for table in TABLES if not (raw / table).is_dir()]
    if missing:
        raise UploadError(
            f"missing table folder{'s' if len(missing) > 1 else ''} in {raw}: {', '.join(missing)} "
            f"(expected one folder per table: {', '.join(TABLES)})"
        )

    found = []
    for table in TABLES:
        try:
            file_format, files = raw_table_files(raw, table)
        except RawFolderError as error:
            raise UploadError(str(error)) from None
        found.append(TableFiles(table, tuple(files), file_format, raw / table))
    return found


def check_file(table: str, path: Path, file_format: str) -> None:
    """Refuse a file Spectrum could not read as the contract says, naming table and file."""
    if file_format == "parquet":
        problem = parquet_problem(table, path)
    else:
        import csv

        try:
            with open_csv_text(path) as handle:
                header = next(csv.reader(handle), None)
        except (UnicodeDecodeError, OSError, EOFError) as error:
            raise UploadError(
                f"raw table {table}: file {path} cannot be read as UTF-8 CSV: {error}"
            ) from None
        missing = [column for column, _ in COLUMNS[table] if column not in (header or [])]
        problem = f"has no column {', '.join(missing)} in its header" if missing else None
    if problem:
        raise UploadError(f"raw table {table}: file {path} {problem}; nothing was uploaded")


def _client(
    service: str,
    region: str | None,
    client: Any = None,
    *,
    timeout: float = DEFAULT_TIMEOUT,
    attempts: int = DEFAULT_ATTEMPTS,
    endpoint_url: str | None = None,
) -> Any:
    if client is not None:
        return client
    import boto3
    from botocore.config import Config

    config = Config(
        connect_timeout=timeout,
        read_timeout=timeout,
        retries={"max_attempts": attempts, "mode": "standard"},
    )
    return boto3.client(service, region_name=region, config=config, endpoint_url=endpoint_url)


def _list_keys(s3: Any, bucket: str, prefix: str) -> list[str]:
    keys = []
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
        keys.extend(obj["Key"] for obj in page.get("Contents", []))
    return keys


def _check_bucket(s3: Any, bucket: str) -> None:
    from botocore.exceptions import ClientError

    try:
        s3.head_bucket(Bucket=bucket)
    except ClientError as exc:
        code = exc.response.get("Error", {}).get("Code", "")
        if code in {"404", "NoSuchBucket", "NotFound"}:
            raise UploadError(f"bucket {bucket} does not exist") from exc
        if code in {"403", "AccessDenied", "Forbidden"}:
            raise UploadError(f"no access to bucket {bucket} with the current AWS credentials") from exc
        raise


def _delete_keys(s3: Any, bucket: str, keys: list[str]) -> None:
    for start in range(0, len(keys), 1000):
        batch = keys[start : start + 1000]
        s3.delete_objects(Bucket=bucket, Delete={"Objects": [{"Key": k} for k in batch], "Quiet": True})


def upload_raw(
    raw_dir: str | Path,
    bucket: str,
    prefix: str,
    *,
    region: str | None = None,
    delete_stale: bool = False,
    s3_client: Any = None,
    on_table: Callable[[str, int], None] | None = None,
    timeout: float = DEFAULT_TIMEOUT,
    attempts: int = DEFAULT_ATTEMPTS,
    endpoint_url: str | None = None,
    run_id: str | None = None,
) -> UploadResult:
    """Upload every table folder's files to `s3://bucket/prefix/<table>/<path>`, staged first
    and copied into place only when every file is up (see the module's description).

    Objects already under a table's prefix that this upload did not write ("stale": e.g. a
    shard of an earlier, larger load) would be read by Spectrum as part of the table; they are
    reported, and deleted when `delete_stale` (the bucket is versioned, so a delete can be undone
    until the noncurrent version expires)."""
    import datetime as dt
    import uuid

    tables = find_raw_files(raw_dir)
    for table_files in tables:
        for path in table_files.files:
            check_file(table_files.table, path, table_files.file_format)
    s3 = _client("s3", region, s3_client, timeout=timeout, attempts=attempts, endpoint_url=endpoint_url)
    _check_bucket(s3, bucket)

    result = UploadResult(bucket=bucket, prefix=normalize_prefix(prefix))
    run = run_id or dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%SZ-") + uuid.uuid4().hex[:8]
    staging = (f"{result.prefix}/" if result.prefix else "") + f"_staging/{run}/"
    # final key -> staged key, per table
    plan = {
        t.table: {
            table_prefix(prefix, t.table) + t.relative(p): (p, staging + t.table + "/" + t.relative(p))
            for p in t.files
        }
        for t in tables
    }
    existing = {table: set(_list_keys(s3, bucket, table_prefix(prefix, table))) for table in plan}

    # 1. Stage every file; on any failure, remove what was staged: the tables are untouched.
    staged: list[str] = []
    try:
        for moves in plan.values():
            for path, staged_key in moves.values():
                s3.upload_file(str(path), bucket, staged_key)
                staged.append(staged_key)
    except Exception as error:
        _cleanup(s3, bucket, staged)
        raise UploadError(
            f"upload stopped after {len(staged)} of {sum(len(m) for m in plan.values())} files ({error}); "
            "nothing under the tables' prefixes changed, and the staged copies were removed"
        ) from error

    # 2. Copy into place, backing up each object replaced; on failure, restore all of it.
    backups: dict[str, str] = {}
    placed: list[str] = []
    try:
        for table, moves in plan.items():
            for final_key in moves:
                if final_key in existing[table]:
                    backup = staging + "_previous/" + final_key
                    s3.copy({"Bucket": bucket, "Key": final_key}, bucket, backup)
                    backups[final_key] = backup
        for moves in plan.values():
            for final_key, (_, staged_key) in moves.items():
                s3.copy({"Bucket": bucket, "Key": staged_key}, bucket, final_key)
                placed.append(final_key)
    except Exception as error:
        unrestored = _restore(s3, bucket, placed, backups)
        if unrestored:
            raise UploadError(
                f"copying the staged files into place failed ({error}), and so did restoring "
                f"{len(unrestored)} object(s), such as {unrestored[0]}: the tables may mix old and new "
                "files. "
                f"Run the upload again; the staged files and backups are under s3://{bucket}/{staging}"
            ) from error
        _cleanup(s3, bucket, staged + list(backups.values()))
        raise UploadError(
            f"copying the staged files into place failed ({error}); every table was restored as it "
            "was before, and the staged copies were removed"
        ) from error

    # 3. The new files are in place: report (and delete) what is stale, empty the staging prefix.
    for table_files in tables:
        table = table_files.table
        written = sorted(plan[table])
        result.keys[table] = written
        result.formats[table] = table_files.file_format
        stale = sorted(existing[table] - set(written))
        result.stale[table] = stale
        if stale and delete_stale:
            _delete_keys(s3, bucket, stale)
            result.deleted[table] = stale
        if on_table is not None:
            on_table(table, len(written))
    _cleanup(s3, bucket, staged + list(backups.values()))
    return result


def _cleanup(s3: Any, bucket: str, keys: list[str]) -> None:
    """Best effort: staging objects left behind are outside every table and harmless."""
    import contextlib

    # The error being reported matters more than a failed clean-up.
    with contextlib.suppress(Exception):
        _delete_keys(s3, bucket, keys)


def _restore(s3: Any, bucket: str, placed: list[str], backups: dict[str, str]) -> list[str]:
    """Undo step 2: put each backup back, delete each new key. The keys that could not be."""
    failed = []
    for key in placed:
        try:
            if key in backups:
                s3.copy({"Bucket": bucket, "Key": backups[key]}, bucket, key)
            else:
                s3.delete_object(Bucket=bucket, Key=key)
        except Exception:  # noqa: BLE001 - reported as a list
            failed.append(key)
    return failed


def start_crawler(name: str, *, region: str | None = None, glue_client: Any = None) -> str:
    """Start a Glue crawler; returns its state afterwards. A crawler that is already running is
    left alone (its current run will see the new files)."""
    glue = _client("glue", region, glue_client)
    try:
        glue.start_crawler(Name=name)
    except glue.exceptions.EntityNotFoundException as exc:
        raise UploadError(f"Glue crawler {name} does not exist") from exc
    except glue.exceptions.CrawlerRunningException:
        pass
    return glue.get_crawler(Name=name)["Crawler"]["State"]


def expected_glue_columns(table: str) -> list[tuple[str, str]]:
    """The Glue columns (name, type) of a raw table, from the raw data contract."""
    return [(name, GLUE_TYPES[kind]) for name, kind in COLUMNS[table]]


def check_glue_tables(
    database: str,
    bucket: str,
    prefix: str,
    *,
    file_format: str = "parquet",
    region: str | None = None,
    glue_client: Any = None,
) -> list[str]:
    """Problems with the Glue tables of `database` as a description of the uploaded data: every
    raw table exists, has exactly the contract's columns and types in order, no partition keys,
    its location is `s3://bucket/prefix/<table>/`, and it reads `file_format`. Empty when right."""
    glue = _client("glue", region, glue_client)
    problems = []
    for table in TABLES:
        try:
            found = glue.get_table(DatabaseName=database, Name=table)["Table"]
        except glue.exceptions.EntityNotFoundException:
            problems.append(f"{database}.{table}: no such Glue table")
            continue
        descriptor = found.get("StorageDescriptor", {})

        columns = [(c["Name"], c["Type"].lower()) for c in descriptor.get("Columns", [])]
        expected = expected_glue_columns(table)
        if columns != expected:
            extra = [c for c in columns if c not in expected]
            lacking = [c for c in expected if c not in columns]
            detail = []
            if lacking:
                detail.append("missing or different: " + ", ".join(f"{n} {t}" for n, t in lacking))
            if extra:
                detail.append("unexpected: " + ", ".join(f"{n} {t}" for n, t in extra))
            if not detail:
                detail.append("columns are out of order")
            problems.append(f"{database}.{table}: columns differ from the raw contract ({'; '.join(detail)})")

        if found.get("PartitionKeys"):
            problems.append(f"{database}.{table}: has partition keys; the raw layout has none")

        location = descriptor.get("Location", "")
        want = f"s3://{bucket}/{table_prefix(prefix, table)}"
        if location.rstrip("/") + "/" != want:
            problems.append(
                f"{database}.{table}: location is {location or '(none)'}, the upload wrote {want}"
            )

        serde = descriptor.get("SerdeInfo", {}).get("SerializationLibrary", "").lower()
        if _SERDE_HINTS[file_format] not in serde:
            problems.append(
                f"{database}.{table}: reads with {serde or '(no SerDe)'}, "
                f"but the uploaded files are {file_format}"
            )
    return problems


def run_upload(
    *,
    raw_dir: str,
    bucket: str,
    prefix: str,
    region: str | None = None,
    delete_stale: bool = False,
    glue_database: str | None = None,
    crawler: str | None = None,
    out: TextIO | None = None,
    err: TextIO | None = None,
    timeout: float = DEFAULT_TIMEOUT,
    attempts: int = DEFAULT_ATTEMPTS,
    endpoint_url: str | None = None,
) -> int:
    """The `customer-mart upload` command: upload, report, then optionally check the catalog and
    start a crawler. Returns the exit status."""
    from botocore.exceptions import (
        BotoCoreError,
        ClientError,
        ConnectTimeoutError,
        EndpointConnectionError,
        NoCredentialsError,
        ReadTimeoutError,
    )

    out = out or sys.stdout
    err = err or sys.stderr

    try:
        key_prefix = normalize_prefix(prefix)
        print(f"uploading {raw_dir} to s3://{bucket}/{key_prefix + '/' if key_prefix else ''}", file=out)
        result = upload_raw(
            raw_dir,
            bucket,
            prefix,
            region=region,
            delete_stale=delete_stale,
            on_table=lambda table, n: print(f"  {table:<22} {n:>5} file{'' if n == 1 else 's'}", file=out),
            timeout=timeout,
            attempts=attempts,
            endpoint_url=endpoint_url,
        )
        print(f"  {'total':<22} {sum(result.counts.values()):>5} files", file=out)

        for table, stale in result.stale.items():
            if not stale:
                continue
            where = f"s3://{bucket}/{table_prefix(prefix, table)}"
            if table in result.deleted:
                print(f"deleted {len(stale)} stale object(s) under {where}", file=out)
            else:
                print(
                    f"warning: {len(stale)} object(s) under {where} were not written by this upload and "
                    "will be read as part of the table; rerun with --delete-stale to remove them",
                    file=err,
                )

        formats = set(result.formats.values())
        csv_tables = sorted(t for t, f in result.formats.items() if f == "csv")
        if csv_tables:
            print(
                f"warning: {', '.join(csv_tables)} uploaded as CSV; the Glue tables in infra/ describe "
                "Parquet files (write the raw data with `customer-mart generate --format parquet`)",
                file=err,
            )

        status = 0
        if glue_database:
            file_format = formats.pop() if len(formats) == 1 else "parquet"
            problems = check_glue_tables(
                glue_database, bucket, prefix, file_format=file_format, region=region
            )
            if problems:
                print(f"Glue database {glue_database} does not describe the upload:", file=err)
                for problem in problems:
                    print(f"  {problem}", file=err)
                status = 1
            else:
                print(f"Glue database {glue_database}: all {len(TABLES)} tables match the upload", file=out)

        if crawler:
            state = start_crawler(crawler, region=region)
            print(f"Glue crawler {crawler}: {state}", file=out)
        return status
    except UploadError as exc:
        print(f"customer-mart upload: error: {exc}", file=err)
        return 2
    except (ConnectTimeoutError, ReadTimeoutError, EndpointConnectionError) as exc:
        where = endpoint_url or "S3"
        print(
            f"customer-mart upload: error: no answer from {where} within {timeout:g} s, {attempts} "
            f"attempt(s) ({exc}); nothing under the tables' prefixes changed. Check the network, "
            "or raise --timeout / --attempts",
            file=err,
        )
        return 2
    except NoCredentialsError as exc:
        print(f"customer-mart upload: error: {exc} (set AWS_PROFILE or AWS_ACCESS_KEY_ID...)", file=err)
        return 2
    except (BotoCoreError, ClientError) as exc:
        print(f"customer-mart upload: AWS error: {exc}", file=err)
        return 2
