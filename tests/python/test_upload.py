"""`customer-mart upload` against moto's S3 and Glue: the layout the Glue tables expect, the
errors a user can fix, stale objects, the catalog check and the crawler start; files Spectrum
would refuse refused before anything is written (the bucket byte for byte as it was), CSV and
BigQuery's .csv.gz converted into Parquet of the Glue types with every value exact, and
`--convert-types` for loosely typed Parquet."""

from __future__ import annotations

import csv
import datetime as dt
import gzip
import io
import re
from pathlib import Path

import boto3
import hcl2
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from moto import mock_aws

from customer_mart import cli, spectrum
from customer_mart.schema import COLUMNS, CSV_NULLS, FLOAT64, INT64, TABLES, TIMESTAMP, arrow_schema
from customer_mart.upload import (
    GLUE_TYPES,
    UploadError,
    check_glue_tables,
    expected_glue_columns,
    find_raw_files,
    start_crawler,
    table_prefix,
    upload_raw,
)

REGION = "eu-west-1"
BUCKET = "customer-mart-raw-test"
PREFIX = "thelook/raw"
DATABASE = "thelook_raw"
INFRA_DIR = Path(__file__).resolve().parents[2] / "infra"
OFFICIAL_SAMPLE = Path(__file__).resolve().parents[1] / "fixtures" / "official-sample-3k"


def _write_table(folder: Path, table: str, rows: int, name: str | None = None) -> Path:
    """A tiny Parquet file of `table` with the contract's schema: ids 1..rows, other columns NULL."""
    folder.mkdir(parents=True, exist_ok=True)
    schema = arrow_schema(table)
    first = schema.names[0]
    columns = {
        field.name: pa.array(list(range(1, rows + 1)) if field.name == first else [None] * rows, field.type)
        for field in schema
    }
    path = folder / (name or f"{table}-000000000000.parquet")
    pq.write_table(pa.table(columns, schema=schema), path)
    return path


@pytest.fixture
def raw_dir(tmp_path: Path) -> Path:
    raw = tmp_path / "raw"
    for table in TABLES:
        _write_table(raw / table, table, rows=3)
    # Two shards for one table, and files the upload must leave out.
    _write_table(raw / "events", "events", rows=2, name="events-000000000001.parquet")
    (raw / "users" / "_SUCCESS").write_text("")
    (raw / "users" / ".users.parquet.crc").write_text("")
    return raw


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch):
    """moto's AWS with fake credentials; nothing leaves the process."""
    for name in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
    with mock_aws():
        yield


@pytest.fixture
def s3(aws):
    client = boto3.client("s3", region_name=REGION)
    client.create_bucket(Bucket=BUCKET, CreateBucketConfiguration={"LocationConstraint": REGION})
    return client


@pytest.fixture
def glue(aws):
    return boto3.client("glue", region_name=REGION)


def _keys(s3, prefix: str = "") -> list[str]:
    return sorted(obj["Key"] for obj in s3.list_objects_v2(Bucket=BUCKET, Prefix=prefix).get("Contents", []))


def _terraform_raw_tables() -> dict[str, list[tuple[str, str]]]:
    """The Glue columns infra/locals.tf declares (python-hcl2 keeps string quotes)."""
    with open(INFRA_DIR / "locals.tf") as f:
        locals_ = next(block for block in hcl2.load(f)["locals"] if "raw_tables" in block)
    return {
        table.strip('"'): [(name.strip('"'), kind.strip('"')) for name, kind in columns]
        for table, columns in locals_["raw_tables"].items()
    }


def _create_glue_tables(
    glue, columns_by_table: dict[str, list[tuple[str, str]]], bucket: str = BUCKET
) -> None:
    """The Glue tables as infra/glue.tf defines them (Parquet, one location per table)."""
    glue.create_database(DatabaseInput={"Name": DATABASE})
    for table, columns in columns_by_table.items():
        glue.create_table(
            DatabaseName=DATABASE,
            TableInput={
                "Name": table,
                "TableType": "EXTERNAL_TABLE",
                "Parameters": {"EXTERNAL": "TRUE", "classification": "parquet"},
                "StorageDescriptor": {
                    "Columns": [{"Name": n, "Type": t} for n, t in columns],
                    "Location": f"s3://{bucket}/{PREFIX}/{table}/",
                    "InputFormat": "org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat",
                    "OutputFormat": "org.apache.hadoop.hive.ql.io.parquet.MapredParquetOutputFormat",
                    "SerdeInfo": {
                        "SerializationLibrary": "org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe"
                    },
                },
            },
        )


# --- layout ----------------------------------------------------------------------------------


def test_upload_puts_every_table_file_under_its_prefix(raw_dir: Path, s3) -> None:
    result = upload_raw(raw_dir, BUCKET, PREFIX, region=REGION)

    expected = sorted(
        [f"{PREFIX}/{t}/{t}-000000000000.parquet" for t in TABLES]
        + [f"{PREFIX}/events/events-000000000001.parquet"]
    )
    assert _keys(s3) == expected
    assert result.counts == {t: (2 if t == "events" else 1) for t in TABLES}
    assert result.formats == dict.fromkeys(TABLES, "parquet")


def test_uploaded_files_are_the_local_files(raw_dir: Path, s3) -> None:
    upload_raw(raw_dir, BUCKET, PREFIX, region=REGION)

    body = s3.get_object(Bucket=BUCKET, Key=f"{PREFIX}/orders/orders-000000000000.parquet")["Body"].read()
    uploaded = pq.read_table(io.BytesIO(body))
    assert uploaded.schema.equals(arrow_schema("orders"))
    assert uploaded.column("order_id").to_pylist() == [1, 2, 3]


@pytest.mark.parametrize("prefix", ["thelook/raw", "/thelook/raw/", "thelook/raw/"])
def test_prefix_slashes_do_not_change_the_layout(raw_dir: Path, s3, prefix: str) -> None:
    upload_raw(raw_dir, BUCKET, prefix, region=REGION)
    assert f"{PREFIX}/users/users-000000000000.parquet" in _keys(s3)
    assert table_prefix(prefix, "users") == f"{PREFIX}/users/"


def test_an_empty_prefix_puts_tables_at_the_bucket_root(raw_dir: Path, s3) -> None:
    upload_raw(raw_dir, BUCKET, "", region=REGION)
    assert "users/users-000000000000.parquet" in _keys(s3)


def test_csv_folders_are_sent_as_parquet_of_the_glue_types(tmp_path: Path, s3) -> None:
    raw = tmp_path / "raw"
    for table in TABLES:
        (raw / table).mkdir(parents=True)
        header = ",".join(name for name, _ in COLUMNS[table])
        (raw / table / f"{table}-000000000000.csv").write_text(f"{header}\n1{',' * header.count(',')}\n")
    result = upload_raw(raw, BUCKET, PREFIX, region=REGION)
    assert result.formats == dict.fromkeys(TABLES, "csv")
    assert result.converted == dict.fromkeys(TABLES, 1)
    assert _keys(s3) == sorted(f"{PREFIX}/{t}/{t}-000000000000.parquet" for t in TABLES)
    body = s3.get_object(Bucket=BUCKET, Key=f"{PREFIX}/products/products-000000000000.parquet")["Body"].read()
    products = pq.read_table(io.BytesIO(body))
    assert products.schema.equals(arrow_schema("products"))
    assert products.column("id").to_pylist() == [1]


# --- errors a user can fix -------------------------------------------------------------------


def test_a_missing_table_folder_is_named(raw_dir: Path, s3) -> None:
    for f in (raw_dir / "inventory_items").iterdir():
        f.unlink()
    (raw_dir / "inventory_items").rmdir()

    with pytest.raises(UploadError, match="missing table folder in .*: inventory_items"):
        upload_raw(raw_dir, BUCKET, PREFIX, region=REGION)
    assert _keys(s3) == []  # nothing uploaded before the check


def test_several_missing_table_folders_are_all_named(tmp_path: Path) -> None:
    raw = tmp_path / "raw"
    _write_table(raw / "users", "users", rows=1)
    with pytest.raises(UploadError) as error:
        find_raw_files(raw)
    for table in TABLES[1:]:
        assert table in str(error.value)


def test_a_table_folder_without_data_files_is_an_error(raw_dir: Path) -> None:
    (raw_dir / "products" / "products-000000000000.parquet").unlink()
    with pytest.raises(UploadError, match="raw table products: no file in"):
        find_raw_files(raw_dir)


def test_a_table_folder_mixing_formats_is_an_error(raw_dir: Path) -> None:
    (raw_dir / "orders" / "orders-000000000001.csv").write_text("order_id\n1\n")
    with pytest.raises(UploadError, match="raw table orders: folder .* holds both Parquet"):
        find_raw_files(raw_dir)


def test_a_missing_raw_folder_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(UploadError, match="does not exist"):
        find_raw_files(tmp_path / "nowhere")


def test_a_missing_bucket_is_an_error(raw_dir: Path, aws) -> None:
    with pytest.raises(UploadError, match="bucket no-such-bucket does not exist"):
        upload_raw(raw_dir, "no-such-bucket", PREFIX, region=REGION)


@pytest.mark.parametrize("prefix", ["thelook//raw", "thelook/../raw"])
def test_a_malformed_prefix_is_an_error(prefix: str) -> None:
    with pytest.raises(UploadError, match="plain key prefix"):
        table_prefix(prefix, "users")


# --- stale objects ---------------------------------------------------------------------------


def test_stale_objects_are_reported_and_kept_by_default(raw_dir: Path, s3) -> None:
    s3.put_object(Bucket=BUCKET, Key=f"{PREFIX}/users/users-000000000009.parquet", Body=b"old shard")
    result = upload_raw(raw_dir, BUCKET, PREFIX, region=REGION)
    assert result.stale["users"] == [f"{PREFIX}/users/users-000000000009.parquet"]
    assert f"{PREFIX}/users/users-000000000009.parquet" in _keys(s3)


def test_delete_stale_removes_only_stale_objects_under_the_table_prefixes(raw_dir: Path, s3) -> None:
    stale = f"{PREFIX}/users/users-000000000009.parquet"
    outside = [f"{PREFIX}/README.txt", f"{PREFIX}/users_archive/x.parquet", "other/users/x.parquet"]
    for key in [stale, *outside]:
        s3.put_object(Bucket=BUCKET, Key=key, Body=b"x")

    result = upload_raw(raw_dir, BUCKET, PREFIX, region=REGION, delete_stale=True)

    keys = _keys(s3)
    assert stale not in keys
    assert result.deleted == {"users": [stale]}
    for key in outside:
        assert key in keys


# --- the command line ------------------------------------------------------------------------


def test_cli_uploads_and_prints_a_count_per_table(raw_dir: Path, s3, capsys: pytest.CaptureFixture) -> None:
    status = cli.main(
        ["upload", "--raw-dir", str(raw_dir), "--bucket", BUCKET, "--prefix", PREFIX, "--region", REGION]
    )
    out = capsys.readouterr().out
    assert status == 0
    assert f"s3://{BUCKET}/{PREFIX}/" in out
    counts = {line.split()[0]: int(line.split()[1]) for line in out.splitlines()[1:] if line.startswith("  ")}
    assert counts == {**{t: (2 if t == "events" else 1) for t in TABLES}, "total": 8}


def test_cli_names_a_missing_folder_and_fails(raw_dir: Path, s3, capsys: pytest.CaptureFixture) -> None:
    (raw_dir / "distribution_centers" / "distribution_centers-000000000000.parquet").unlink()
    (raw_dir / "distribution_centers").rmdir()
    status = cli.main(["upload", "--raw-dir", str(raw_dir), "--bucket", BUCKET, "--prefix", PREFIX])
    assert status == 2
    assert "missing table folder" in capsys.readouterr().err
    assert _keys(s3) == []


def test_cli_warns_about_stale_objects(raw_dir: Path, s3, capsys: pytest.CaptureFixture) -> None:
    s3.put_object(Bucket=BUCKET, Key=f"{PREFIX}/orders/orders-000000000005.parquet", Body=b"x")
    cli.main(["upload", "--raw-dir", str(raw_dir), "--bucket", BUCKET, "--prefix", PREFIX])
    assert "--delete-stale" in capsys.readouterr().err


# --- Glue: the catalog check and the crawler -------------------------------------------------


def test_terraform_glue_tables_describe_the_upload(
    raw_dir: Path, s3, glue, capsys: pytest.CaptureFixture
) -> None:
    """The tables as infra/ declares them pass the check the CLI runs after an upload."""
    _create_glue_tables(glue, _terraform_raw_tables())
    status = cli.main(
        [
            "upload",
            "--raw-dir",
            str(raw_dir),
            "--bucket",
            BUCKET,
            "--prefix",
            PREFIX,
            "--glue-database",
            DATABASE,
        ]
    )
    assert status == 0, capsys.readouterr().err
    assert f"Glue database {DATABASE}: all 7 tables describe the upload" in capsys.readouterr().out


def test_catalog_check_reports_a_wrong_type_a_missing_table_and_a_wrong_location(glue) -> None:
    columns = {t: expected_glue_columns(t) for t in TABLES}
    columns["orders"] = [(n, "string" if n == "num_of_item" else t) for n, t in columns["orders"]]
    del columns["events"]
    _create_glue_tables(glue, columns)
    glue.update_table(
        DatabaseName=DATABASE,
        TableInput={
            "Name": "users",
            "StorageDescriptor": {
                "Columns": [{"Name": n, "Type": t} for n, t in expected_glue_columns("users")],
                "Location": f"s3://{BUCKET}/elsewhere/users/",
                "SerdeInfo": {
                    "SerializationLibrary": "org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe"
                },
            },
        },
    )

    problems = check_glue_tables(DATABASE, BUCKET, PREFIX, region=REGION)

    assert len(problems) == 3, problems
    assert any("orders" in p and "num_of_item" in p for p in problems)
    assert any("events: no such Glue table" in p for p in problems)
    assert any("users: location is" in p and "elsewhere" in p for p in problems)


def test_catalog_check_reports_a_table_that_does_not_read_parquet(glue) -> None:
    _create_glue_tables(glue, {t: expected_glue_columns(t) for t in TABLES})
    glue.update_table(
        DatabaseName=DATABASE,
        TableInput={
            "Name": "orders",
            "StorageDescriptor": {
                "Columns": [{"Name": n, "Type": t} for n, t in expected_glue_columns("orders")],
                "Location": f"s3://{BUCKET}/{PREFIX}/orders/",
                "SerdeInfo": {"SerializationLibrary": "org.apache.hadoop.hive.serde2.OpenCSVSerde"},
            },
        },
    )
    problems = check_glue_tables(DATABASE, BUCKET, PREFIX, region=REGION)
    assert problems == [
        f"{DATABASE}.orders: reads with org.apache.hadoop.hive.serde2.opencsvserde, "
        "but the upload writes Parquet"
    ]


def test_glue_types_cover_every_contract_type() -> None:
    assert set(GLUE_TYPES.values()) == {"bigint", "double", "string", "timestamp"}
    assert _terraform_raw_tables() == {t: expected_glue_columns(t) for t in TABLES}


def test_cli_starts_the_crawler(raw_dir: Path, s3, glue, capsys: pytest.CaptureFixture) -> None:
    glue.create_database(DatabaseInput={"Name": DATABASE})
    glue.create_crawler(
        Name="raw-crawler",
        Role="arn:aws:iam::123456789012:role/crawler",
        DatabaseName=DATABASE,
        Targets={"S3Targets": [{"Path": f"s3://{BUCKET}/{PREFIX}/{t}/"} for t in TABLES]},
    )
    status = cli.main(
        [
            "upload",
            "--raw-dir",
            str(raw_dir),
            "--bucket",
            BUCKET,
            "--prefix",
            PREFIX,
            "--start-crawler",
            "raw-crawler",
        ]
    )
    assert status == 0
    assert glue.get_crawler(Name="raw-crawler")["Crawler"]["State"] == "RUNNING"
    assert "Glue crawler raw-crawler: RUNNING" in capsys.readouterr().out
    # Starting it again while it runs is not an error.
    assert start_crawler("raw-crawler", region=REGION) == "RUNNING"


def test_an_unknown_crawler_is_an_error(glue) -> None:
    with pytest.raises(UploadError, match="crawler nope does not exist"):
        start_crawler("nope", region=REGION)


# --- files checked before anything is sent (issue #11 item 7) --------------------------------


def test_a_truncated_parquet_file_is_refused_before_anything_is_sent(
    raw_dir: Path, s3, capsys: pytest.CaptureFixture
) -> None:
    broken = raw_dir / "orders" / "orders-000000000000.parquet"
    broken.write_bytes(broken.read_bytes()[:200])
    status = cli.main(["upload", "--raw-dir", str(raw_dir), "--bucket", BUCKET, "--prefix", PREFIX])
    assert status == 2
    err = capsys.readouterr().err
    assert f"raw table orders: File '{broken}' is not a complete Parquet file" in err
    assert "Traceback" not in err
    assert _keys(s3) == []


def test_a_file_that_is_not_parquet_or_lacks_a_contract_column_is_refused(raw_dir: Path, s3) -> None:
    (raw_dir / "users" / "users-000000000000.parquet").write_text("id,name\n1,x\n")
    with pytest.raises(UploadError, match="raw table users: File '.*' is not a complete Parquet file"):
        upload_raw(raw_dir, BUCKET, PREFIX, region=REGION)
    users = raw_dir / "users" / "users-000000000000.parquet"
    pq.write_table(pa.table({"id": pa.array([1], pa.int64())}), users)
    with pytest.raises(
        UploadError, match="column 'first_name'. Column type: VARCHAR, Parquet schema: \\(no such"
    ):
        upload_raw(raw_dir, BUCKET, PREFIX, region=REGION, convert_types=True)
    assert _keys(s3) == []


def test_a_csv_header_without_a_contract_column_is_refused(tmp_path: Path, s3) -> None:
    raw = tmp_path / "raw"
    for table in TABLES:
        (raw / table).mkdir(parents=True)
        header = ",".join(name for name, _ in COLUMNS[table] if name != "created_at")
        (raw / table / f"{table}.csv").write_text(header + "\n")
    with pytest.raises(
        UploadError, match="raw table users: file .*users.csv: has no column created_at in its header"
    ):
        upload_raw(raw, BUCKET, PREFIX, region=REGION)


def test_a_file_of_another_kind_is_refused(raw_dir: Path, s3) -> None:
    (raw_dir / "users" / "notes.txt").write_text("not data")
    with pytest.raises(UploadError, match="notes.txt is not a raw data file"):
        upload_raw(raw_dir, BUCKET, PREFIX, region=REGION)


def test_nested_hive_and_gzip_layouts_keep_their_paths_under_the_table(raw_dir: Path, s3) -> None:
    import gzip
    import shutil

    events = raw_dir / "events"
    for index, path in enumerate(sorted(events.glob("*.parquet"))):
        (events / f"dt=2026-11-2{index}").mkdir()
        shutil.move(path, events / f"dt=2026-11-2{index}" / "part-0.parquet")
    (events / "_SUCCESS").write_text("")
    centers = raw_dir / "distribution_centers"
    (centers / "distribution_centers-000000000000.parquet").unlink()
    header = ",".join(name for name, _ in COLUMNS["distribution_centers"])
    with gzip.open(centers / "distribution_centers-000000000000.csv.gz", "wt") as handle:
        handle.write(f"{header}\n1,Memphis,35.1,-89.9\n")

    result = upload_raw(raw_dir, BUCKET, PREFIX, region=REGION)
    assert result.keys["events"] == [
        f"{PREFIX}/events/dt=2026-11-20/part-0.parquet",
        f"{PREFIX}/events/dt=2026-11-21/part-0.parquet",
    ]
    assert result.keys["distribution_centers"] == [
        f"{PREFIX}/distribution_centers/distribution_centers-000000000000.parquet"
    ]
    assert result.formats["distribution_centers"] == "csv"
    assert not [key for key in _keys(s3) if "_staging" in key or key.endswith("_SUCCESS")]


# --- never a half-replaced prefix (issue #15) -------------------------------------------------


class FailingAfter:
    """An S3 client whose `method` fails on its (after + 1)-th call, like a dropped connection."""

    def __init__(self, client, method: str, after: int) -> None:
        self.client, self.method, self.after, self.calls = client, method, after, 0

    def __getattr__(self, name: str):
        attribute = getattr(self.client, name)
        if name != self.method:
            return attribute

        def call(*args, **kwargs):
            self.calls += 1
            if self.calls == self.after + 1:
                raise ConnectionError(f"injected failure on {self.method} call {self.calls}")
            return attribute(*args, **kwargs)

        return call


def _contents(s3) -> dict[str, bytes]:
    return {key: s3.get_object(Bucket=BUCKET, Key=key)["Body"].read() for key in _keys(s3)}


def _new_export(raw_dir: Path) -> None:
    """This week's export: other rows in every file, and one more events shard."""
    for table in TABLES:
        _write_table(raw_dir / table, table, rows=5)
    _write_table(raw_dir / "events", "events", rows=4, name="events-000000000002.parquet")


@pytest.mark.parametrize(("method", "after"), [("upload_file", 4), ("copy", 5), ("copy", 9)])
def test_an_upload_failing_halfway_leaves_every_table_as_it_was(
    raw_dir: Path, s3, method: str, after: int
) -> None:
    """upload_file: fails while staging; copy: while copying into place (after 5 of 9, after all
    backups of the 8 replaced objects and one new file)."""
    upload_raw(raw_dir, BUCKET, PREFIX, region=REGION)
    before = _contents(s3)
    _new_export(raw_dir)

    failing = FailingAfter(boto3.client("s3", region_name=REGION), method, after)
    with pytest.raises(
        UploadError, match="restored as it was before|nothing under the tables' prefixes changed"
    ):
        upload_raw(raw_dir, BUCKET, PREFIX, region=REGION, s3_client=failing)
    assert failing.calls > after  # the failure really happened
    assert _contents(s3) == before

    # The next attempt, with a working connection, replaces the tables whole.
    upload_raw(raw_dir, BUCKET, PREFIX, region=REGION)
    after_keys = _keys(s3)
    assert f"{PREFIX}/events/events-000000000002.parquet" in after_keys
    assert not [key for key in after_keys if "_staging" in key]
    body = s3.get_object(Bucket=BUCKET, Key=f"{PREFIX}/users/users-000000000000.parquet")["Body"].read()
    assert pq.read_table(io.BytesIO(body)).num_rows == 5


def test_a_hung_endpoint_gives_up_within_the_timeout(
    raw_dir: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture
) -> None:
    """A local server that accepts connections and never answers: the upload stops after
    --attempts x --timeout seconds with a message, instead of hanging."""
    import socket
    import threading
    import time

    for name in ("AWS_PROFILE", "AWS_SESSION_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(8)
    held: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        server.settimeout(0.2)
        while not stop.is_set():
            try:
                held.append(server.accept()[0])
            except TimeoutError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    endpoint = f"http://127.0.0.1:{server.getsockname()[1]}"
    try:
        started = time.monotonic()
        status = cli.main(
            [
                "upload",
                "--raw-dir",
                str(raw_dir),
                "--bucket",
                BUCKET,
                "--prefix",
                PREFIX,
                "--region",
                REGION,
                "--endpoint-url",
                endpoint,
                "--timeout",
                "1",
                "--attempts",
                "2",
            ]
        )
        elapsed = time.monotonic() - started
    finally:
        stop.set()
        thread.join()
        for connection in held:
            connection.close()
        server.close()
    err = capsys.readouterr().err
    assert status == 2
    assert f"no answer from {endpoint} within 1 s, 2 attempt(s)" in err
    assert "Traceback" not in err
    assert held  # the server did accept: the client waited for an answer, not a connection
    assert elapsed < 15


# --- Spectrum's rules, decided before anything is written (issue #19 item 6) ------------------


def _upload_cli(raw_dir: Path, *flags: str) -> int:
    return cli.main(
        [
            "upload",
            "--raw-dir",
            str(raw_dir),
            "--bucket",
            BUCKET,
            "--prefix",
            PREFIX,
            "--region",
            REGION,
            *flags,
        ]
    )


def _last_weeks_upload(raw_dir: Path, s3) -> dict[str, bytes]:
    """A bucket as last week left it: an upload, and a shard --delete-stale would delete."""
    upload_raw(raw_dir, BUCKET, PREFIX, region=REGION)
    s3.put_object(Bucket=BUCKET, Key=f"{PREFIX}/users/users-000000000009.parquet", Body=b"old shard")
    return _contents(s3)


def _pandas_users(raw_dir: Path, ages: list) -> Path:
    """The users file rewritten by pandas with these ages: an integer column with a NULL is a
    float64 column in pandas, and pandas writes it as DOUBLE."""
    users = raw_dir / "users" / "users-000000000000.parquet"
    frame = pq.read_table(users).to_pandas()
    frame["age"] = ages
    frame.to_parquet(users, index=False)
    return users


@pytest.mark.parametrize(
    "flags",
    [[], ["--delete-stale"], ["--delete-stale", "--glue-database", DATABASE]],
    ids=["plain", "delete-stale", "delete-stale-and-glue"],
)
def test_a_double_stored_integer_column_is_refused_and_the_bucket_left_as_it_was(
    raw_dir: Path, s3, glue, capsys: pytest.CaptureFixture, flags: list[str]
) -> None:
    _create_glue_tables(glue, _terraform_raw_tables())
    before = _last_weeks_upload(raw_dir, s3)
    users = _pandas_users(raw_dir, [30, None, 41])
    assert pq.read_schema(users).field("age").type == pa.float64()

    status = _upload_cli(raw_dir, *flags)

    err = capsys.readouterr().err
    assert status == 2
    assert (
        f"raw table users: File '{users}' has an incompatible Parquet schema for column 'age'. "
        "Column type: BIGINT, Parquet schema: optional double age" in err
    )
    assert "refused before anything was written" in err and "--convert-types" in err
    assert _contents(s3) == before  # every object, byte for byte; no staging left either


def test_convert_types_rewrites_loosely_typed_parquet_and_refuses_a_value_that_would_change(
    raw_dir: Path, s3, tmp_path: Path
) -> None:
    users = _pandas_users(raw_dir, [30, None, 41])
    frame = pq.read_table(users).to_pandas()
    frame["created_at"] = [dt.datetime(2024, 1, 5, 10, 11, 12, 345678, tzinfo=dt.UTC), None, None]
    frame["user_geom"] = "POINT(1 2)"  # a BigQuery GEOGRAPHY column as text, beyond the contract
    frame[list(reversed(frame.columns))].to_parquet(users, index=False)  # and the columns reversed

    result = upload_raw(raw_dir, BUCKET, PREFIX, region=REGION, convert_types=True)

    assert result.converted == {**dict.fromkeys(TABLES, 0), "users": 1}
    local = tmp_path / "users.parquet"
    local.write_bytes(
        s3.get_object(Bucket=BUCKET, Key=f"{PREFIX}/users/users-000000000000.parquet")["Body"].read()
    )
    assert spectrum.parquet_mismatches(local, expected_glue_columns("users")) == []
    uploaded = pq.read_table(local)
    assert uploaded.schema.equals(arrow_schema("users"))
    assert uploaded.column("age").to_pylist() == [30, None, 41]
    assert uploaded.column("created_at")[0].as_py() == dt.datetime(
        2024, 1, 5, 10, 11, 12, 345678, tzinfo=dt.UTC
    )

    before = _contents(s3)
    _pandas_users(raw_dir, [30.5, None, 41])
    with pytest.raises(
        UploadError, match=r"column age \(INT64\) holds a number with a fraction.*such as 30.5"
    ):
        upload_raw(raw_dir, BUCKET, PREFIX, region=REGION, convert_types=True)
    assert _contents(s3) == before


def _csv_cell(kind: str, row: int) -> str:
    return {INT64: str(row), FLOAT64: f"{row}.5", TIMESTAMP: f"2024-01-0{row} 10:11:12 UTC"}.get(
        kind, f"x{row}"
    )


@pytest.fixture
def csv_raw_dir(tmp_path: Path) -> Path:
    """A CSV export of every table: a header and two rows of valid values."""
    raw = tmp_path / "csv-raw"
    for table in TABLES:
        (raw / table).mkdir(parents=True)
        rows = [[name for name, _ in COLUMNS[table]]]
        rows += [[_csv_cell(kind, row) for _, kind in COLUMNS[table]] for row in (1, 2)]
        with (raw / table / f"{table}-000000000000.csv").open("w", newline="") as handle:
            csv.writer(handle).writerows(rows)
    return raw


def _plant(raw: Path, table: str, column: str, value: str) -> Path:
    path = raw / table / f"{table}-000000000000.csv"
    rows = list(csv.reader(path.open(newline="")))
    rows[2][rows[0].index(column)] = value
    with path.open("w", newline="") as handle:
        csv.writer(handle).writerows(rows)
    return path


@pytest.mark.parametrize(
    ("table", "column", "value", "reason"),
    [
        ("orders", "num_of_item", "abc", "text that is not an integer"),
        ("orders", "num_of_item", "2.5", "text that is not an integer"),
        ("orders", "user_id", "99999999999999999999", "an integer beyond INT64"),
        ("products", "cost", "n/a", "text that is not a number"),
        ("orders", "created_at", "2024-13-01 10:00:00", "text that is not a timestamp"),
        ("orders", "created_at", "2024-01-05 10:11:12.1234567 UTC", "text that is not a timestamp"),
        ("orders", "created_at", "2024-01-05", "text that is not a timestamp"),
    ],
    ids=[
        "text-in-integer",
        "fraction-in-integer",
        "beyond-int64",
        "text-in-double",
        "no-such-month",
        "below-microsecond",
        "date-only",
    ],
)
def test_a_csv_value_that_does_not_convert_exactly_is_refused_before_anything_is_written(
    csv_raw_dir: Path, s3, capsys: pytest.CaptureFixture, table: str, column: str, value: str, reason: str
) -> None:
    before = _last_weeks_upload(csv_raw_dir, s3)
    path = _plant(csv_raw_dir, table, column, value)

    status = _upload_cli(csv_raw_dir, "--delete-stale")

    err = capsys.readouterr().err
    assert status == 2
    kind = dict(COLUMNS[table])[column]
    named = f"raw table {table}: file {path}: column {column} ({kind}) holds {reason}"
    assert re.search(re.escape(named) + r"[^\n]*, such as " + re.escape(repr(value)), err), err
    assert _contents(s3) == before


def test_a_csv_row_with_missing_fields_is_refused_naming_its_line(csv_raw_dir: Path, s3) -> None:
    path = csv_raw_dir / "orders" / "orders-000000000000.csv"
    path.write_text(path.read_text() + "3,3,Complete\n")
    with pytest.raises(
        UploadError, match=r"file .*orders-000000000000.csv: line 4 has 3 fields for 9 columns"
    ):
        upload_raw(csv_raw_dir, BUCKET, PREFIX, region=REGION)
    assert _keys(s3) == []


def test_csv_quirks_convert_to_the_exact_values(csv_raw_dir: Path, s3, tmp_path: Path) -> None:
    """A UTF-8 byte-order mark, gzip, quoting (commas, line breaks, quoted numbers), the NULL
    words, spaces around numbers, and the timestamp forms of BigQuery and ISO 8601."""
    (csv_raw_dir / "users" / "users-000000000000.csv").unlink()
    # Fields as they stand in the file (CSV-encoded), in contract order: id, first_name, last_name,
    # email, age, gender, state, street_address, postal_code, city, country, latitude, longitude,
    # traffic_source, created_at.
    rows = [
        [name for name, _ in COLUMNS["users"]],
        ["1", '"Ann, Jr."', "O'Hara", "a@example.com", '"30"', "F", "null", '"1 Main St\nApt 2"', '"00501"']
        + ["NULL", "", " 40.5 ", "-73.25", "Search", "2024-01-05 10:11:12.345678 UTC"],
        ["2", "Bo", "Li", "", "41", "M", "Texas", "x", "75063", "Irving", "United States", "1e1", "-0.5"]
        + ["Email", "2024-01-05T12:11:12+02:00"],
        ["3", "Cy", "", "", " 7 ", "M", *[""] * 8, "2024-01-05 10:11:12.1234560 UTC"],
        ["4", *[""] * 13, '"2024-01-05 10:11"'],
    ]
    text = "".join(",".join(row) + "\n" for row in rows)
    with gzip.open(csv_raw_dir / "users" / "users-000000000000.csv.gz", "wb") as handle:
        handle.write(b"\xef\xbb\xbf" + text.encode())

    upload_raw(csv_raw_dir, BUCKET, PREFIX, region=REGION)

    local = tmp_path / "users.parquet"
    local.write_bytes(
        s3.get_object(Bucket=BUCKET, Key=f"{PREFIX}/users/users-000000000000.parquet")["Body"].read()
    )
    users = pq.read_table(local).to_pydict()
    utc = dt.UTC
    assert users["id"] == [1, 2, 3, 4]
    assert users["first_name"] == ["Ann, Jr.", "Bo", "Cy", None]
    assert users["street_address"] == ["1 Main St\nApt 2", "x", None, None]
    assert users["postal_code"] == ["00501", "75063", None, None]  # text stays text: no lost zeros
    assert users["state"][0] is None and users["city"][0] is None and users["country"][0] is None
    assert users["age"] == [30, 41, 7, None]
    assert users["latitude"] == [40.5, 10.0, None, None]
    assert users["created_at"] == [
        dt.datetime(2024, 1, 5, 10, 11, 12, 345678, tzinfo=utc),
        dt.datetime(2024, 1, 5, 10, 11, 12, tzinfo=utc),
        dt.datetime(2024, 1, 5, 10, 11, 12, 123456, tzinfo=utc),
        dt.datetime(2024, 1, 5, 10, 11, tzinfo=utc),
    ]


def _expected(text: str | None, kind: str):
    """A source CSV field as the contract reads it, independently of the conversion's code."""
    if text is None:
        return None
    if kind == INT64:
        return int(text)
    if kind == FLOAT64:
        return float(text)
    if kind == TIMESTAMP:
        value = dt.datetime.fromisoformat(text.removesuffix(" UTC"))
        return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)
    return text


def test_bigquery_csv_gz_exports_become_parquet_spectrum_reads_with_the_sources_values(
    s3, tmp_path: Path
) -> None:
    """The official 3k sample, as BigQuery exports it (gzip CSV, quoted numbers, empty fields,
    timestamps with and without microseconds): one Parquet object per export file, of exactly
    the Glue types, holding the source's values."""
    result = upload_raw(OFFICIAL_SAMPLE, BUCKET, PREFIX, region=REGION)

    for table in TABLES:
        assert result.keys[table] == [f"{PREFIX}/{table}/{table}-000000000000.parquet"]
        local = tmp_path / f"{table}.parquet"
        local.write_bytes(s3.get_object(Bucket=BUCKET, Key=result.keys[table][0])["Body"].read())
        assert spectrum.parquet_mismatches(local, expected_glue_columns(table)) == [], table
        uploaded = pq.read_table(local)
        with gzip.open(OFFICIAL_SAMPLE / table / f"{table}-000000000000.csv.gz", "rt", newline="") as handle:
            source = list(csv.DictReader(handle))
        assert uploaded.num_rows == len(source), table
        for column, kind in COLUMNS[table]:
            expected = [_expected(None if row[column] in CSV_NULLS else row[column], kind) for row in source]
            assert uploaded.column(column).to_pylist() == expected, (table, column)
    assert set(_keys(s3)) == {key for keys in result.keys.values() for key in keys}


def test_a_glue_table_that_does_not_match_is_refused_before_anything_is_written(
    raw_dir: Path, s3, glue, capsys: pytest.CaptureFixture
) -> None:
    columns = _terraform_raw_tables()
    columns["orders"] = [(n, "string" if n == "num_of_item" else t) for n, t in columns["orders"]]
    _create_glue_tables(glue, columns)
    before = _last_weeks_upload(raw_dir, s3)
    _write_table(raw_dir / "events", "events", rows=4, name="events-000000000002.parquet")  # a new shard

    status = _upload_cli(raw_dir, "--delete-stale", "--glue-database", DATABASE)

    err = capsys.readouterr().err
    assert status == 2
    assert f"Glue database {DATABASE} does not describe the upload; nothing was written" in err
    assert (
        f"{DATABASE}.orders: columns differ from the raw contract (missing or different: num_of_item bigint"
        in err
    )
    assert _contents(s3) == before


def test_files_spectrum_skips_are_neither_sent_nor_stale(raw_dir: Path, s3) -> None:
    """Locally, `_`/`.` names (at any depth) are left out as DuckDB leaves them out. In the bucket,
    objects Spectrum ignores (`_`, `.`, `#`, `~`) are not part of the table: not stale, never
    deleted; objects it reads that this upload did not write are, including a CSV file of an
    older upload and a file in a `_` folder (the documentation is silent on folders)."""
    (raw_dir / "users" / "_tmp").mkdir()
    _write_table(raw_dir / "users" / "_tmp", "users", rows=1, name="part-0.parquet")
    ignored = [f"{PREFIX}/users/{name}" for name in ("_SUCCESS", ".keep", "#notes.parquet", "users.parquet~")]
    read = [f"{PREFIX}/users/users-000000000000.csv.gz", f"{PREFIX}/users/_archive/users-0.parquet"]
    for key in ignored + read:
        s3.put_object(Bucket=BUCKET, Key=key, Body=b"x")

    result = upload_raw(raw_dir, BUCKET, PREFIX, region=REGION, delete_stale=True)

    assert result.keys["users"] == [f"{PREFIX}/users/users-000000000000.parquet"]
    assert result.deleted == {"users": sorted(read)}
    assert sorted(_keys(s3, f"{PREFIX}/users/")) == sorted([*ignored, *result.keys["users"]])


def test_a_data_file_spectrum_would_skip_is_refused(raw_dir: Path, s3) -> None:
    _write_table(raw_dir / "orders", "orders", rows=1, name="#orders-000000000001.parquet")
    with pytest.raises(
        UploadError, match=r"#orders-000000000001.parquet: Spectrum skips file names starting with"
    ):
        upload_raw(raw_dir, BUCKET, PREFIX, region=REGION)
    assert _keys(s3) == []
