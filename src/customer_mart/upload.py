"""Load a raw TheLook folder into S3 in the layout the Glue Data Catalog describes.

Every `.parquet` or `.csv` file of each table folder goes to `s3://<bucket>/<prefix>/<table>/<file>`,
the location of that table's Glue definition (infra/glue.tf). Optionally the Glue tables are
checked against the raw data contract afterwards, or a Glue crawler is started.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

from customer_mart.schema import COLUMNS, FLOAT64, INT64, STRING, TABLES, TIMESTAMP

RAW_SUFFIXES = (".parquet", ".csv")

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

    @property
    def file_format(self) -> str:
        return self.files[0].suffix.lower().lstrip(".")


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
    """The data files of the seven table folders, validated: each folder exists and holds
    .parquet or .csv files of one format. Names starting with `.` or `_` (markers such as
    `_SUCCESS`) are left out, as Spectrum ignores them too."""
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
        files = tuple(
            sorted(
                p
                for p in (raw / table).iterdir()
                if p.is_file() and p.suffix.lower() in RAW_SUFFIXES and not p.name.startswith((".", "_"))
            )
        )
        if not files:
            raise UploadError(f"table folder {raw / table} has no .parquet or .csv files")
        formats = sorted({p.suffix.lower() for p in files})
        if len(formats) > 1:
            raise UploadError(
                f"table folder {raw / table} mixes {' and '.join(formats)} files; "
                "one table is read with one format, so keep one"
            )
        found.append(TableFiles(table, files))
    return found


def _client(service: str, region: str | None, client: Any = None) -> Any:
    if client is not None:
        return client
    import boto3

    return boto3.client(service, region_name=region)


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


def upload_raw(
    raw_dir: str | Path,
    bucket: str,
    prefix: str,
    *,
    region: str | None = None,
    delete_stale: bool = False,
    s3_client: Any = None,
    on_table: Callable[[str, int], None] | None = None,
) -> UploadResult:
    """Upload every table folder's files to `s3://bucket/prefix/<table>/<file>`.

    Objects already under a table's prefix that this upload did not write ("stale": e.g. a
    shard of an earlier, larger load) would be read by Spectrum as part of the table; they are
    reported, and deleted when `delete_stale` (the bucket is versioned, so a delete can be undone
    until the noncurrent version expires)."""
    tables = find_raw_files(raw_dir)
    s3 = _client("s3", region, s3_client)
    _check_bucket(s3, bucket)

    result = UploadResult(bucket=bucket, prefix=normalize_prefix(prefix))
    for table_files in tables:
        table = table_files.table
        key_prefix = table_prefix(prefix, table)
        written = []
        for path in table_files.files:
            key = key_prefix + path.name
            s3.upload_file(str(path), bucket, key)
            written.append(key)
        result.keys[table] = written
        result.formats[table] = table_files.file_format

        stale = sorted(set(_list_keys(s3, bucket, key_prefix)) - set(written))
        result.stale[table] = stale
        if stale and delete_stale:
            for start in range(0, len(stale), 1000):
                batch = stale[start : start + 1000]
                s3.delete_objects(
                    Bucket=bucket, Delete={"Objects": [{"Key": k} for k in batch], "Quiet": True}
                )
            result.deleted[table] = stale
        if on_table is not None:
            on_table(table, len(written))
    return result


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
) -> int:
    """The `customer-mart upload` command: upload, report, then optionally check the catalog and
    start a crawler. Returns the exit status."""
    from botocore.exceptions import BotoCoreError, ClientError

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
    except (BotoCoreError, ClientError) as exc:
        print(f"customer-mart upload: AWS error: {exc}", file=err)
        return 2
