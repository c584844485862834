"""Load a raw TheLook folder into S3 as Parquet files Redshift Spectrum reads as the Glue tables say.

Every data file of each table folder (`*.parquet`, `*.csv`, `*.csv.gz`, at any depth, found by the
rules of `schema.raw_table_files`) goes to `s3://<bucket>/<prefix>/<table>/<path in the folder>`,
under the location of that table's Glue definition (infra/glue.tf; Spectrum reads sub-folders
too). The Glue tables are Parquet, and Spectrum does not cast: a Parquet column whose type is not
the Glue column's fails the scan (`spectrum.py` states its rules). So, per file:
- a CSV file (a BigQuery export, `.csv` or `.csv.gz`) is converted into Parquet of exactly the
  Glue types (`convert.py`: every value converts exactly, or the upload is refused naming the
  table, file, column and a value) and sent under the same key with `.parquet` for `.csv` or
  `.csv.gz` (`users/users-000000000000.csv.gz` -> `users/users-000000000000.parquet`);
- a Parquet file Spectrum reads as declared is sent as it is;
- a Parquet file Spectrum would refuse (an integer column stored as DOUBLE, as pandas writes one
  with a NULL; a double stored as an integer or DECIMAL; a timestamp in milli- or nanoseconds;
  columns in another order) is refused, naming table, file, column and both types; with
  `convert_types` (`--convert-types`) it is rewritten in the exact types instead, still refusing
  any value that would change (a fraction in an integer column, nanoseconds);
- a file Spectrum would skip although DuckDB and the loader read it (a name starting with `#`)
  is refused: the engines would disagree about the table.

The upload decides before it writes. Every check runs before the first object is written or
deleted: the files, the conversions (into a temporary folder, `$TMPDIR`), the bucket, and, with
`glue_database` (`--glue-database`), the Glue tables against the raw contract. A refused upload
leaves every table as it was. Then:
1. every file is uploaded to a staging prefix, `<prefix>/_staging/<run>/`, outside every
   table's location (Spectrum also skips names starting with `_`); a failure here (network,
   timeout, permissions) deletes the staged objects and changes nothing under the tables;
2. only when all are there, each is copied into place inside S3 (no upload, seconds), after a
   backup of each object it replaces; a failure here puts the backups back and deletes the
   new keys, so each table is again exactly as before;
3. then stale objects (ones Spectrum reads under a table's prefix that this upload did not
   write) are deleted (with --delete-stale) and the staging prefix is emptied.
Every request has connect and read timeouts and a bounded number of retries (botocore Config).
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

from customer_mart import spectrum
from customer_mart.convert import ConversionError, convert_csv, convert_parquet
from customer_mart.schema import (
    COLUMNS,
    FLOAT64,
    INT64,
    STRING,
    TABLES,
    TIMESTAMP,
    RawFolderError,
    raw_table_files,
)

# Seconds to wait for a connection and for each answer, and attempts per request (the first
# included), unless told otherwise (--timeout, --attempts).
DEFAULT_TIMEOUT = 60
DEFAULT_ATTEMPTS = 3

# BigQuery types of the contract -> Glue/Hive types of the catalog.
GLUE_TYPES = {INT64: "bigint", FLOAT64: "double", STRING: "string", TIMESTAMP: "timestamp"}

# What the SerDe of a Glue table must name: everything uploaded is Parquet (infra/glue.tf).
_PARQUET_SERDE = "parquet"


class UploadError(Exception):
    """A problem the user can fix: a missing folder, a missing bucket, a wrong catalog, a file
    Spectrum would refuse."""


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


@dataclass(frozen=True)
class PreparedFile:
    """One file as it will be sent: `body` is the raw file itself, or its Parquet conversion;
    `key` is its key under the table's prefix; `converted_from` is None, "csv" or "parquet"."""

    table: str
    source: Path
    body: Path
    key: str
    converted_from: str | None = None


@dataclass
class UploadResult:
    bucket: str
    prefix: str
    keys: dict[str, list[str]] = field(default_factory=dict)
    stale: dict[str, list[str]] = field(default_factory=dict)
    deleted: dict[str, list[str]] = field(default_factory=dict)
    formats: dict[str, str] = field(default_factory=dict)
    converted: dict[str, int] = field(default_factory=dict)

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
    per table, names starting with `.` or `_` left out at any level, as DuckDB and the loader
    leave them out; Spectrum leaves out those file names too, see `prepare_files`)."""
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


def parquet_key(relative: str) -> str:
    """The key a converted CSV file gets: `.csv` or `.csv.gz` replaced by `.parquet`."""
    lowered = relative.lower()
    for suffix in (".csv.gz", ".csv"):
        if lowered.endswith(suffix):
            return relative[: -len(suffix)] + ".parquet"
    return relative


def prepare_files(
    tables: list[TableFiles], workdir: Path, *, convert_types: bool = False
) -> list[PreparedFile]:
    """Every file as Spectrum will read it, decided before anything is sent: CSV converted into
    `workdir`, Parquet checked against Spectrum's rules (and rewritten into `workdir` when
    `convert_types` allows and it needs it). One UploadError lists every file refused."""
    prepared: list[PreparedFile] = []
    problems: list[str] = []
    fixable = False
    for table_files in tables:
        table = table_files.table
        columns = expected_glue_columns(table)
        keys: dict[str, Path] = {}
        for path in table_files.files:
            relative = table_files.relative(path)
            key = parquet_key(relative) if table_files.file_format == "csv" else relative
            where = f"raw table {table}: file {path}"
            if not spectrum.reads_key(key):
                problems.append(
                    f"{where}: Spectrum skips file names starting with "
                    f"{', '.join(spectrum.IGNORED_PREFIXES)} or ending with ~, but DuckDB and the loader "
                    "read it; rename it, or start its name with _ so that every engine skips it"
                )
                continue
            if key in keys:
                problems.append(f"{where} and {keys[key]} would both be s3 key {key}; keep one")
                continue
            keys[key] = path
            body, converted_from = path, None
            try:
                if table_files.file_format == "csv":
                    body, converted_from = workdir / table / key, "csv"
                    convert_csv(table, path, body)
                else:
                    mismatches = spectrum.parquet_mismatches(path, columns)
                    if mismatches and convert_types and all(m.convertible for m in mismatches):
                        body, converted_from = workdir / table / key, "parquet"
                        convert_parquet(table, path, body)
                    elif mismatches:
                        problems.extend(f"raw table {table}: {m.message}" for m in mismatches)
                        fixable = fixable or all(m.convertible for m in mismatches)
                        continue
            except spectrum.UnreadableParquet as error:
                problems.append(f"raw table {table}: {error}")
                continue
            except ConversionError as error:
                problems.append(f"{where}: {error}")
                continue
            if converted_from:
                # What was written must be what Spectrum reads; anything else is a bug here.
                spectrum.check_parquet_file(body, columns)
            prepared.append(PreparedFile(table, path, body, key, converted_from))
    if problems:
        hint = (
            "\nRerun with --convert-types to rewrite such Parquet files in the Glue types (a value "
            "that would change is still refused), or export them again with those types."
            if fixable and not convert_types
            else ""
        )
        raise UploadError(
            "refused before anything was written; these raw files cannot be sent as Parquet that "
            "Spectrum reads as the Glue tables declare:\n  " + "\n  ".join(problems) + hint
        )
    return prepared


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
    convert_types: bool = False,
    glue_database: str | None = None,
    s3_client: Any = None,
    glue_client: Any = None,
    on_table: Callable[[str, int], None] | None = None,
    timeout: float = DEFAULT_TIMEOUT,
    attempts: int = DEFAULT_ATTEMPTS,
    endpoint_url: str | None = None,
    run_id: str | None = None,
) -> UploadResult:
    """Upload every table folder's files to `s3://bucket/prefix/<table>/<path>` as Parquet
    Spectrum reads, after every check (files, conversions, bucket, and the Glue tables of
    `glue_database` when given), staged first and copied into place only when every file is up
    (see the module's description).

    Objects already under a table's prefix that Spectrum reads and this upload did not write
    ("stale": e.g. a shard of an earlier, larger load, or a CSV file of an older upload) would be
    read as part of the table; they are reported, and deleted when `delete_stale` (the bucket is
    versioned, so a delete can be undone until the noncurrent version expires)."""
    import datetime as dt
    import tempfile
    import uuid

    tables = find_raw_files(raw_dir)
    # The quick checks first (a conversion of a large export takes minutes), then the files.
    s3 = _client("s3", region, s3_client, timeout=timeout, attempts=attempts, endpoint_url=endpoint_url)
    _check_bucket(s3, bucket)
    if glue_database:
        glue = _client("glue", region, glue_client, timeout=timeout, attempts=attempts)
        problems = check_glue_tables(glue_database, bucket, prefix, glue_client=glue)
        if problems:
            raise UploadError(
                f"Glue database {glue_database} does not describe the upload; nothing was written:\n  "
                + "\n  ".join(problems)
            )
    with tempfile.TemporaryDirectory(prefix="customer-mart-upload-") as workdir:
        prepared = prepare_files(tables, Path(workdir), convert_types=convert_types)
        return _send(
            s3,
            bucket,
            prefix,
            tables,
            prepared,
            delete_stale=delete_stale,
            on_table=on_table,
            run=run_id or dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%SZ-") + uuid.uuid4().hex[:8],
        )


def _send(
    s3: Any,
    bucket: str,
    prefix: str,
    tables: list[TableFiles],
    prepared: list[PreparedFile],
    *,
    delete_stale: bool,
    on_table: Callable[[str, int], None] | None,
    run: str,
) -> UploadResult:
    """Stage, copy into place, then report or delete stale objects: the writing half."""
    result = UploadResult(bucket=bucket, prefix=normalize_prefix(prefix))
    staging = (f"{result.prefix}/" if result.prefix else "") + f"_staging/{run}/"
    # final key -> (file sent, staged key), per table
    plan: dict[str, dict[str, tuple[Path, str]]] = {t.table: {} for t in tables}
    for file in prepared:
        plan[file.table][table_prefix(prefix, file.table) + file.key] = (
            file.body,
            staging + file.table + "/" + file.key,
        )
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
        result.converted[table] = sum(1 for f in prepared if f.table == table and f.converted_from)
        under = table_prefix(prefix, table)
        read = {key for key in existing[table] if spectrum.reads_key(key[len(under) :])}
        stale = sorted(read - set(written))
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
    region: str | None = None,
    glue_client: Any = None,
) -> list[str]:
    """Problems with the Glue tables of `database` as a description of the upload: every raw
    table exists, has exactly the contract's columns and types in order, no partition keys, its
    location is `s3://bucket/prefix/<table>/`, and it reads Parquet (everything uploaded is).
    Empty when right."""
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
                f"{database}.{table}: location is {location or '(none)'}, the upload writes {want}"
            )

        serde = descriptor.get("SerdeInfo", {}).get("SerializationLibrary", "").lower()
        if _PARQUET_SERDE not in serde:
            problems.append(
                f"{database}.{table}: reads with {serde or '(no SerDe)'}, but the upload writes Parquet"
            )
    return problems


def run_upload(
    *,
    raw_dir: str,
    bucket: str,
    prefix: str,
    region: str | None = None,
    delete_stale: bool = False,
    convert_types: bool = False,
    glue_database: str | None = None,
    crawler: str | None = None,
    out: TextIO | None = None,
    err: TextIO | None = None,
    timeout: float = DEFAULT_TIMEOUT,
    attempts: int = DEFAULT_ATTEMPTS,
    endpoint_url: str | None = None,
) -> int:
    """The `customer-mart upload` command: check (files, conversions, bucket, and the catalog
    with `glue_database`), upload, report, then optionally start a crawler. Returns the exit
    status: 0, or 2 with nothing written when anything is refused."""
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
            convert_types=convert_types,
            glue_database=glue_database,
            timeout=timeout,
            attempts=attempts,
            endpoint_url=endpoint_url,
        )
        for table, keys in result.keys.items():
            converted = result.converted.get(table, 0)
            source = "CSV" if result.formats[table] == "csv" else "loosely typed Parquet"
            note = f"  ({converted} converted from {source})" if converted else ""
            print(f"  {table:<22} {len(keys):>5} file{'' if len(keys) == 1 else 's'}{note}", file=out)
        print(f"  {'total':<22} {sum(result.counts.values()):>5} files", file=out)
        if glue_database:
            print(f"Glue database {glue_database}: all {len(TABLES)} tables describe the upload", file=out)

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

        if crawler:
            state = start_crawler(crawler, region=region)
            print(f"Glue crawler {crawler}: {state}", file=out)
        return 0
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
