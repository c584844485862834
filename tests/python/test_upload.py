"""`customer-mart upload` against moto's S3 and Glue: the layout the Glue tables expect, the
errors a user can fix, stale objects, the catalog check and the crawler start."""

from __future__ import annotations

import io
from pathlib import Path

import boto3
import hcl2
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from moto import mock_aws

from customer_mart import cli
from customer_mart.schema import COLUMNS, TABLES, arrow_schema
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


def test_csv_folders_are_uploaded_as_they_are(tmp_path: Path, s3) -> None:
    raw = tmp_path / "raw"
    for table in TABLES:
        (raw / table).mkdir(parents=True)
        header = ",".join(name for name, _ in COLUMNS[table])
        (raw / table / f"{table}-000000000000.csv").write_text(f"{header}\n1{',' * header.count(',')}\n")
    result = upload_raw(raw, BUCKET, PREFIX, region=REGION)
    assert result.formats == dict.fromkeys(TABLES, "csv")
    assert f"{PREFIX}/products/products-000000000000.csv" in _keys(s3)


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
    assert f"Glue database {DATABASE}: all 7 tables match" in capsys.readouterr().out


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


def test_catalog_check_reports_csv_files_under_parquet_tables(glue) -> None:
    _create_glue_tables(glue, {t: expected_glue_columns(t) for t in TABLES})
    problems = check_glue_tables(DATABASE, BUCKET, PREFIX, file_format="csv", region=REGION)
    assert len(problems) == len(TABLES)
    assert all("ParquetHiveSerDe" in p or "parquethiveserde" in p for p in problems)


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
    assert f"raw table orders: file {broken} is not a complete Parquet file" in err
    assert "Traceback" not in err
    assert _keys(s3) == []


def test_a_file_that_is_not_parquet_or_lacks_a_contract_column_is_refused(raw_dir: Path, s3) -> None:
    (raw_dir / "users" / "users-000000000000.parquet").write_text("id,name\n1,x\n")
    with pytest.raises(UploadError, match="raw table users: file .* is not a complete Parquet file"):
        upload_raw(raw_dir, BUCKET, PREFIX, region=REGION)
    users = raw_dir / "users" / "users-000000000000.parquet"
    pq.write_table(pa.table({"id": pa.array([1], pa.int64())}), users)
    with pytest.raises(UploadError, match="raw table users: file .* lacks the column\\(s\\) first_name"):
        upload_raw(raw_dir, BUCKET, PREFIX, region=REGION)
    assert _keys(s3) == []


def test_a_csv_header_without_a_contract_column_is_refused(tmp_path: Path, s3) -> None:
    raw = tmp_path / "raw"
    for table in TABLES:
        (raw / table).mkdir(parents=True)
        header = ",".join(name for name, _ in COLUMNS[table] if name != "created_at")
        (raw / table / f"{table}.csv").write_text(header + "\n")
    with pytest.raises(
        UploadError, match="raw table users: file .*users.csv has no column created_at in its header"
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
        f"{PREFIX}/distribution_centers/distribution_centers-000000000000.csv.gz"
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
