"""Where a week's segments are read from and written to (`customer-mart segment`).

Both stores read the mart, the last week's model state and the profiles, and replace one week of
the three tables dbt defines (models/marts/segments/: their columns, types, grants and docs live
there; the rows are written here):

    customer_segment_history   one row per customer per week (customer_segments: the latest week)
    customer_segment_profiles  one row per segment per week: size, profit-level mix, mean features
    customer_segment_runs      one row per week: k, whether and why it was chosen again, the model
                               state the next week starts from

- DuckDB (`DuckDBStore`): the mart and the tables in one DuckDB file.
- Redshift (`RedshiftStore`), the weekly job: bulk through S3, as Redshift is meant to be used.
  The mart is read with `UNLOAD ... FORMAT AS PARQUET MANIFEST VERBOSE` (AWS, "UNLOAD"), the
  week's rows are written as Parquet next to it and loaded with `COPY ... FORMAT AS PARQUET
  MANIFEST` (AWS, "COPY from columnar data formats": the file's columns fill the table's columns
  in order, and their number must match), the week deleted and loaded again in one transaction.
  Redshift reaches the bucket through the role SEGMENTS_IAM_ROLE_ARN (infra/iam.tf, `segments`:
  this prefix only); files are encrypted with SSE-KMS under SEGMENTS_KMS_KEY_ARN ("Unloading
  encrypted data files": KMS_KEY_ID with ENCRYPTED). The unloaded mart is deleted after the load.

Every name that reaches SQL is checked first (schema, bucket, prefix, ARNs) and dates are dates.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from customer_mart.segment import (
    HISTORY_CHART,
    MART_COLUMNS,
    PROFILE_CHART,
    ModelState,
    WeekResult,
    plot_history,
    plot_profile,
    segment_week,
)

HISTORY, PROFILES, RUNS = "customer_segment_history", "customer_segment_profiles", "customer_segment_runs"
TABLES = (HISTORY, PROFILES, RUNS)

SCHEMA = re.compile(r"^[a-z_][a-z0-9_]{0,126}$")
BUCKET = re.compile(r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")
PREFIX = re.compile(r"^[a-z0-9][a-z0-9_./-]*[a-z0-9]$")
ROLE_ARN = re.compile(r"^arn:aws[a-z-]*:iam::\d{12}:role/[A-Za-z0-9+=,.@_/-]{1,512}$")
KMS_KEY_ARN = re.compile(r"^arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:key/[0-9a-f-]{36}$")


class SegmentStoreError(Exception):
    pass


def checked(name: str, value: str, pattern: re.Pattern[str]) -> str:
    if not value:
        raise SegmentStoreError(f"{name} is not set (infra/ecs.tf sets it in the weekly task)")
    if not pattern.fullmatch(value) or "//" in value:
        raise SegmentStoreError(f"{name} has an invalid value: {value!r}")
    return value


# ---------------------------------------------------------------------------------------------
# The week's rows as Arrow tables (the stores put them in the tables' column order)
# ---------------------------------------------------------------------------------------------


def week_tables(result: WeekResult):
    import pyarrow as pa

    n = len(result.user_ids)
    history = pa.table(
        {
            "as_of_date": pa.array([result.as_of_date] * n, pa.date32()),
            "user_id": pa.array(result.user_ids, pa.int64()),
            "segment_id": pa.array(result.segment_ids, pa.int32()),
            "segment_name": pa.array(result.segment_names(), pa.string()),
            "distance_to_centroid": pa.array(result.distances, pa.float64(), from_pandas=True),
        }
    )
    types = {
        "as_of_date": pa.date32(),
        "segment_id": pa.int32(),
        "segment_name": pa.string(),
        "is_buyer_segment": pa.bool_(),
        "customers": pa.int32(),
        "k": pa.int32(),
        "buyers": pa.int32(),
        "k_chosen_on": pa.date32(),
        "k_rechosen": pa.bool_(),
        "k_reason": pa.string(),
        "model_state": pa.string(),
        "is_new_segment": pa.bool_(),
    }
    for level in (1, 2, 3):
        types[f"customers_profit_level_{level}"] = pa.int32()

    def table(rows: list[dict]):
        names = list(rows[0])
        return pa.table({c: pa.array([r[c] for r in rows], types.get(c, pa.float64())) for c in names})

    return {HISTORY: history, PROFILES: table(result.profiles()), RUNS: table([result.run_row()])}


def arranged(table, columns: list[str], name: str):
    """`table` with the warehouse table's columns, in its order; a clear error when they differ."""
    have, want = set(table.column_names), set(columns)
    if have != want:
        raise SegmentStoreError(
            f"{name} has the columns {', '.join(columns) or '(none: no such table)'}; "
            "the segment step writes "
            f"{', '.join(table.column_names)}: run `dbt build` with this version of the project first"
        )
    return table.select(columns)


# ---------------------------------------------------------------------------------------------
# DuckDB
# ---------------------------------------------------------------------------------------------


class DuckDBStore:
    def __init__(self, con, schema: str) -> None:
        self.con = con
        self.schema = checked("schema", schema, SCHEMA)

    def _table(self, name: str) -> str:
        return f'"{self.schema}"."{name}"'

    def read_mart(self) -> tuple[dict, dt.date]:
        select = ", ".join(MART_COLUMNS)
        table = self.con.sql(f"select {select} from {self._table('customer_features')}").to_arrow_table()
        weeks = self.con.execute(
            f"select distinct feature_window_end from {self._table('customer_features')}"
        ).fetchall()
        return _columns(table), _one_week(weeks)

    def read_state(self, as_of_date: dt.date) -> ModelState | None:
        rows = self.con.execute(
            f"select model_state from {self._table(RUNS)} where as_of_date < ?"
            " order by as_of_date desc limit 1",
            [as_of_date],
        ).fetchall()
        return ModelState.from_json(rows[0][0]) if rows else None

    def read_profiles(self) -> list[dict]:
        cursor = self.con.execute(f"select * from {self._table(PROFILES)} order by as_of_date, segment_id")
        names = [d[0] for d in cursor.description]
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]

    def columns(self, name: str) -> list[str]:
        rows = self.con.execute(
            "select column_name from information_schema.columns where table_schema = ? and table_name = ?"
            " order by ordinal_position",
            [self.schema, name],
        ).fetchall()
        return [r[0] for r in rows]

    def replace_week(self, as_of_date: dt.date, tables: dict) -> None:
        arranged_tables = {name: arranged(t, self.columns(name), name) for name, t in tables.items()}
        self.con.execute("begin transaction")
        try:
            for name, table in arranged_tables.items():
                self.con.register("_segment_rows", table)
                self.con.execute(f"delete from {self._table(name)} where as_of_date = ?", [as_of_date])
                self.con.execute(f"insert into {self._table(name)} select * from _segment_rows")
                self.con.unregister("_segment_rows")
            self.con.execute("commit")
        except Exception:
            self.con.execute("rollback")
            raise


def duckdb_mart_schema(con) -> str:
    """The schema holding customer_features in the open database (dbt's target schema)."""
    rows = con.execute(
        "select table_schema from information_schema.tables"
        " where table_name = 'customer_features' and table_catalog = current_database() order by 1"
    ).fetchall()
    if not rows:
        raise SegmentStoreError("no customer_features table in this DuckDB file: run `dbt build` first")
    if len(rows) > 1:
        raise SegmentStoreError(
            f"customer_features is in several schemas ({', '.join(r[0] for r in rows)}); pass --schema"
        )
    return rows[0][0]


def _columns(table) -> dict:
    return {name: table.column(name).to_numpy(zero_copy_only=False) for name in table.column_names}


def _one_week(rows) -> dt.date:
    weeks = [r[0] for r in rows]
    if len(weeks) != 1 or weeks[0] is None:
        raise SegmentStoreError(f"customer_features should hold one feature_window_end, it holds {weeks}")
    return weeks[0]


# ---------------------------------------------------------------------------------------------
# Redshift, through S3
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class S3Location:
    """Where the weekly job's segment step exchanges Parquet files with Redshift."""

    bucket: str
    prefix: str
    iam_role_arn: str
    kms_key_arn: str

    @classmethod
    def from_env(cls, env: Mapping[str, str] = os.environ) -> S3Location:
        return cls(
            bucket=checked("SEGMENTS_BUCKET", env.get("SEGMENTS_BUCKET", ""), BUCKET),
            prefix=checked("SEGMENTS_PREFIX", env.get("SEGMENTS_PREFIX", ""), PREFIX),
            iam_role_arn=checked("SEGMENTS_IAM_ROLE_ARN", env.get("SEGMENTS_IAM_ROLE_ARN", ""), ROLE_ARN),
            kms_key_arn=checked("SEGMENTS_KMS_KEY_ARN", env.get("SEGMENTS_KMS_KEY_ARN", ""), KMS_KEY_ARN),
        )

    def key(self, as_of_date: dt.date, *parts: str) -> str:
        return "/".join([self.prefix, as_of_date.isoformat(), *parts])

    def uri(self, key: str) -> str:
        return f"s3://{self.bucket}/{key}"


class RedshiftStore:
    """A redshift_connector connection (dbt-redshift's own, from the dbt profile) and S3."""

    def __init__(self, connection, schema: str, location: S3Location, s3) -> None:
        self.connection = connection
        self.schema = checked("schema", schema, SCHEMA)
        self.location = location
        self.s3 = s3
        self.unloaded: list[str] = []

    def _table(self, name: str) -> str:
        return f'"{self.schema}"."{name}"'

    def _query(self, sql: str) -> list[tuple]:
        cursor = self.connection.cursor()
        try:
            cursor.execute(sql)
            return list(cursor.fetchall())
        finally:
            cursor.close()

    def _execute(self, sql: str) -> None:
        cursor = self.connection.cursor()
        try:
            cursor.execute(sql)
        finally:
            cursor.close()

    def _authorization(self) -> str:
        return f"iam_role '{self.location.iam_role_arn}'"

    def read_mart(self) -> tuple[dict, dt.date]:
        import pyarrow as pa
        import pyarrow.parquet as pq

        weeks = self._query(f"select distinct feature_window_end from {self._table('customer_features')}")
        as_of_date = _one_week(weeks)
        (count,) = self._query(f"select count(*) from {self._table('customer_features')}")[0]
        prefix = self.location.key(as_of_date, "mart", "part_")
        select = f"select {', '.join(MART_COLUMNS)} from {self._table('customer_features')}"
        self._execute(
            f"unload ('{_unload_text(select)}') to '{self.location.uri(prefix)}' {self._authorization()}"
            f" format as parquet manifest verbose allowoverwrite"
            f" kms_key_id '{self.location.kms_key_arn}' encrypted"
        )
        manifest_key = prefix + "manifest"
        manifest = json.loads(
            self.s3.get_object(Bucket=self.location.bucket, Key=manifest_key)["Body"].read()
        )
        parts = []
        for entry in manifest["entries"]:
            bucket, key = _split_uri(entry["url"])
            body = self.s3.get_object(Bucket=bucket, Key=key)["Body"].read()
            parts.append(pq.read_table(io.BytesIO(body)))
            self.unloaded.append(key)
        self.unloaded.append(manifest_key)
        table = pa.concat_tables(parts) if parts else None
        rows = 0 if table is None else table.num_rows
        if rows != count:
            raise SegmentStoreError(
                f"UNLOAD wrote {rows} rows of customer_features to {self.location.uri(prefix)}, "
                f"the table has {count}"
            )
        if table is None:
            raise SegmentStoreError("customer_features is empty")
        return _columns(table), as_of_date

    def read_state(self, as_of_date: dt.date) -> ModelState | None:
        rows = self._query(
            f"select model_state from {self._table(RUNS)} where as_of_date < '{as_of_date.isoformat()}'"
            " order by as_of_date desc limit 1"
        )
        return ModelState.from_json(rows[0][0]) if rows else None

    def read_profiles(self) -> list[dict]:
        cursor = self.connection.cursor()
        try:
            cursor.execute(f"select * from {self._table(PROFILES)} order by as_of_date, segment_id")
            names = [d[0] for d in cursor.description]
            return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]
        finally:
            cursor.close()

    def columns(self, name: str) -> list[str]:
        rows = self._query(
            "select column_name from information_schema.columns"
            f" where table_schema = '{self.schema}' and table_name = '{name}' order by ordinal_position"
        )
        return [r[0] for r in rows]

    def _put_parquet(self, as_of_date: dt.date, name: str, table) -> str:
        """The table as one Parquet file and a manifest naming it; returns the manifest's key."""
        import pyarrow.parquet as pq

        buffer = io.BytesIO()
        pq.write_table(table, buffer)
        body = buffer.getvalue()
        key = self.location.key(as_of_date, name, "part_0000.parquet")
        encryption = {"ServerSideEncryption": "aws:kms", "SSEKMSKeyId": self.location.kms_key_arn}
        self.s3.put_object(Bucket=self.location.bucket, Key=key, Body=body, **encryption)
        # A Parquet manifest needs each file's content_length (AWS, "Using a manifest to specify data files").
        manifest = {
            "entries": [
                {"url": self.location.uri(key), "mandatory": True, "meta": {"content_length": len(body)}}
            ]
        }
        manifest_key = self.location.key(as_of_date, name, "manifest")
        self.s3.put_object(
            Bucket=self.location.bucket, Key=manifest_key, Body=json.dumps(manifest).encode(), **encryption
        )
        return manifest_key

    def replace_week(self, as_of_date: dt.date, tables: dict) -> None:
        manifests = {}
        for name, table in tables.items():
            manifests[name] = self._put_parquet(as_of_date, name, arranged(table, self.columns(name), name))
        week = as_of_date.isoformat()
        autocommit = self.connection.autocommit
        self.connection.autocommit = False
        try:
            cursor = self.connection.cursor()
            for name, manifest_key in manifests.items():
                cursor.execute(f"delete from {self._table(name)} where as_of_date = '{week}'")
                cursor.execute(
                    f"copy {self._table(name)} from '{self.location.uri(manifest_key)}'"
                    f" {self._authorization()}"
                    " format as parquet manifest"
                )
            self.connection.commit()
        except Exception:
            self.connection.rollback()
            raise
        finally:
            self.connection.autocommit = autocommit
        (loaded,) = self._query(f"select count(*) from {self._table(HISTORY)} where as_of_date = '{week}'")[0]
        if loaded != tables[HISTORY].num_rows:
            raise SegmentStoreError(
                f"{HISTORY} holds {loaded} rows for {week}, the step wrote {tables[HISTORY].num_rows}"
            )

    def clean_up(self) -> None:
        """Delete the unloaded mart (customer rows): the week's tables now hold what is needed."""
        for start in range(0, len(self.unloaded), 1000):
            keys = [{"Key": key} for key in self.unloaded[start : start + 1000]]
            self.s3.delete_objects(Bucket=self.location.bucket, Delete={"Objects": keys, "Quiet": True})
        self.unloaded = []


def _unload_text(select: str) -> str:
    """The select as UNLOAD takes it: inside single quotes, its own quotes escaped (AWS, "UNLOAD")."""
    return select.replace("\\", "\\\\").replace("'", "\\'")


def _split_uri(uri: str) -> tuple[str, str]:
    match = re.fullmatch(r"s3://([^/]+)/(.+)", uri)
    if not match:
        raise SegmentStoreError(f"not an S3 URL in the UNLOAD manifest: {uri!r}")
    return match[1], match[2]


def redshift_connection(profiles_dir: str | Path, target: str = "redshift"):
    """(connection, schema): dbt-redshift's own connection from the project's dbt profile, so the
    step signs in exactly as `dbt build --target redshift` does (IAM in the weekly task)."""
    from dbt.adapters.factory import load_plugin
    from dbt.adapters.redshift.connections import get_connection_method
    from dbt.config.profile import Profile, read_profile
    from dbt.config.renderer import ProfileRenderer
    from dbt_common.context import set_invocation_context

    set_invocation_context(os.environ)
    load_plugin("redshift")
    raw = read_profile(str(profiles_dir))
    if "customer_mart" not in raw:
        raise SegmentStoreError(f"no customer_mart profile in {Path(profiles_dir) / 'profiles.yml'}")
    target_name, data = Profile.render_profile(
        raw["customer_mart"], "customer_mart", target, ProfileRenderer({})
    )
    credentials = Profile._credentials_from_profile(data, "customer_mart", target_name)
    if credentials.type != "redshift":
        raise SegmentStoreError(f"the dbt target {target!r} is not a Redshift target")
    return get_connection_method(credentials)(), credentials.schema


# ---------------------------------------------------------------------------------------------
# One week, end to end
# ---------------------------------------------------------------------------------------------


def run_week(
    store,
    charts_dir: str | Path | None,
    *,
    seed: int = 42,
    sample_size: int = 10_000,
    k_min: int | None = None,
    k_max: int | None = None,
    rechoose_k: bool = False,
) -> WeekResult:
    """Read the mart and last week's state, segment, replace the week, draw the two charts."""
    columns, as_of_date = store.read_mart()
    previous = store.read_state(as_of_date)
    bounds = {k: v for k, v in {"k_min": k_min, "k_max": k_max}.items() if v is not None}
    result = segment_week(
        columns, as_of_date, previous, seed=seed, sample_size=sample_size, rechoose_k=rechoose_k, **bounds
    )
    store.replace_week(as_of_date, week_tables(result))
    if charts_dir:
        plot_profile(result, Path(charts_dir) / PROFILE_CHART)
        plot_history(store.read_profiles(), Path(charts_dir) / HISTORY_CHART)
    return result
