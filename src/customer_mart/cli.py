"""The `customer-mart` command line: one sub-command per job."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"{value} is not 1 or more")
    return value


def _non_negative_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"{value} is negative")
    return value


def _iso_date(text: str) -> str:
    import datetime as dt

    try:
        dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a real date written YYYY-MM-DD") from None
    if len(text) != 10:
        raise argparse.ArgumentTypeError(f"{text!r} is not written YYYY-MM-DD")
    return text


def _add_generate(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("generate", help="write a synthetic TheLook-shaped raw dataset")
    p.add_argument(
        "--users", type=_positive_int, required=True, help="number of registered users (1 or more)"
    )
    p.add_argument(
        "--seed", type=_non_negative_int, default=42, help="random seed (same seed and --now, same files)"
    )
    p.add_argument("--out", required=True, help="output folder; one sub-folder per table")
    p.add_argument("--format", choices=["parquet", "csv"], default="parquet")
    p.add_argument(
        "--now", type=_iso_date, default=None, help="the generator's 'now', YYYY-MM-DD (default: today, UTC)"
    )
    p.add_argument("--no-progress", action="store_true", help="hide the progress bar")

    def run(args: argparse.Namespace) -> int:
        from customer_mart.generate import generate

        try:
            generate(
                users=args.users,
                seed=args.seed,
                out=args.out,
                file_format=args.format,
                now=args.now,
                progress=not args.no_progress,
            )
        except OSError as error:
            print(f"customer-mart generate: cannot write {args.out}: {error}", file=sys.stderr)
            return 1
        return 0

    p.set_defaults(func=run)


def _add_corrupt(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "corrupt",
        help="copy a raw dataset with known, counted faults injected; print the manifest (JSON)",
    )
    p.add_argument("--raw-dir", required=True, help="a raw folder, Parquet or CSV (one sub-folder per table)")
    p.add_argument("--out", required=True, help="output folder; gets the corrupted tables and faults.json")
    p.add_argument("--seed", type=int, default=1, help="random seed (same seed and input, same output)")

    def run(args: argparse.Namespace) -> int:
        import json

        from customer_mart.faults import corrupt, summary

        manifest = corrupt(args.raw_dir, args.out, seed=args.seed)
        print(summary(manifest), file=sys.stderr)
        print(json.dumps(manifest, indent=2))
        return 0

    p.set_defaults(func=run)


def _add_summary(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("summary", help="print customers per profit level and per nearest center")
    p.add_argument(
        "--duckdb",
        default=os.environ.get("DUCKDB_PATH", "data/warehouse.duckdb"),
        help="the DuckDB file dbt built (default: $DUCKDB_PATH or data/warehouse.duckdb)",
    )

    def run(args: argparse.Namespace) -> int:
        from customer_mart.summary import summarize

        print(summarize(args.duckdb))
        return 0

    p.set_defaults(func=run)


def _add_upload(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "upload",
        help="put a raw folder's table files where the Glue tables expect them, as Parquet Spectrum reads",
        description="Every check runs before the first object is written or deleted, so a refused upload "
        "(exit 2) leaves every table as it was. CSV and BigQuery's .csv.gz exports are converted into "
        "Parquet of exactly the Glue types (x.csv.gz is sent as x.parquet); a value that does not convert "
        "exactly is refused, naming table, file, column and the value. A Parquet file Redshift Spectrum "
        "would refuse (an integer column stored as DOUBLE, a timestamp in nanoseconds, ...) is refused, "
        "naming table, file, column and both types, unless --convert-types.",
    )
    p.add_argument(
        "--raw-dir",
        required=True,
        help="the raw folder: <dir>/<table>/ holding *.parquet, *.csv or *.csv.gz files, at any depth",
    )
    p.add_argument("--bucket", required=True, help="the raw-data bucket (terraform output raw_bucket)")
    p.add_argument("--prefix", required=True, help="key prefix such as thelook/raw (output raw_prefix)")
    p.add_argument("--region", default=None, help="AWS region (default: the AWS SDK's, e.g. $AWS_REGION)")
    p.add_argument(
        "--delete-stale",
        action="store_true",
        help="delete objects Spectrum reads under each table's prefix that this upload did not write",
    )
    p.add_argument(
        "--convert-types",
        action="store_true",
        help="rewrite Parquet files Spectrum would refuse into the exact Glue types (a whole-valued "
        "DOUBLE as BIGINT, a timestamp in ms or ns as microseconds, ...); a value that would change is "
        "still refused",
    )
    p.add_argument(
        "--glue-database",
        default=None,
        help="first check that this Glue database's tables describe the upload (columns, location, Parquet)",
    )
    p.add_argument("--start-crawler", default=None, metavar="NAME", help="then start this Glue crawler")
    p.add_argument(
        "--timeout",
        type=_positive_int,
        default=60,
        help="seconds to wait for a connection and for each answer (default 60)",
    )
    p.add_argument(
        "--attempts", type=_positive_int, default=3, help="tries per request, the first included (default 3)"
    )
    p.add_argument("--endpoint-url", default=None, help="an S3-compatible endpoint instead of AWS's")

    def run(args: argparse.Namespace) -> int:
        from customer_mart.upload import run_upload

        return run_upload(
            raw_dir=args.raw_dir,
            bucket=args.bucket,
            prefix=args.prefix,
            region=args.region,
            delete_stale=args.delete_stale,
            convert_types=args.convert_types,
            glue_database=args.glue_database,
            crawler=args.start_crawler,
            timeout=args.timeout,
            attempts=args.attempts,
            endpoint_url=args.endpoint_url,
        )

    p.set_defaults(func=run)


def _add_load(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "load",
        help="load a raw folder into PostgreSQL tables for `dbt build --target postgres`",
        description="Connects with the libpq variables PGHOST, PGPORT, PGUSER, PGPASSWORD and PGDATABASE "
        "(defaults 127.0.0.1, 5432, postgres, none, postgres, as the dbt profile). On Redshift the raw "
        "files are read in S3 through Spectrum instead: see `customer-mart upload`.",
    )
    p.add_argument(
        "--target", choices=["postgres"], default="postgres", help="the warehouse (default: postgres)"
    )
    p.add_argument(
        "--raw-dir",
        required=True,
        help="the raw folder: <dir>/<table>/ holding *.parquet, *.csv or *.csv.gz files, at any depth",
    )
    p.add_argument(
        "--schema",
        default=None,
        help="schema of the raw tables (default: $RAW_SCHEMA or thelook_raw, as the dbt sources)",
    )
    p.add_argument(
        "--format",
        choices=["auto", "parquet", "csv"],
        default="auto",
        help="raw file format (default: whichever each table folder holds)",
    )
    p.add_argument(
        "--allow-empty",
        action="append",
        default=[],
        metavar="TABLE",
        help="load this table even with no rows (repeat for more tables); without it an empty table "
        "stops the load and keeps the previous tables",
    )

    def run(args: argparse.Namespace) -> int:
        from customer_mart.load import run_load

        return run_load(
            target=args.target,
            raw_dir=args.raw_dir,
            schema=args.schema,
            file_format=args.format,
            allow_empty=args.allow_empty,
        )

    p.set_defaults(func=run)


def _add_segment(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "segment",
        help="this week's customer segments: stable ids and names, written to customer_segment_history",
    )
    p.add_argument(
        "--target",
        choices=["duckdb", "redshift"],
        default="duckdb",
        help="duckdb (default): the mart in --duckdb; redshift: the dbt profile's redshift target, "
        "through S3 (SEGMENTS_BUCKET, SEGMENTS_PREFIX, SEGMENTS_IAM_ROLE_ARN, SEGMENTS_KMS_KEY_ARN)",
    )
    p.add_argument(
        "--duckdb",
        default=os.environ.get("DUCKDB_PATH", "data/warehouse.duckdb"),
        help="the DuckDB file dbt built (default: $DUCKDB_PATH or data/warehouse.duckdb)",
    )
    p.add_argument(
        "--profiles-dir",
        default=os.environ.get("DBT_PROFILES_DIR", "."),
        help="redshift: the folder of dbt's profiles.yml (default: $DBT_PROFILES_DIR or .)",
    )
    p.add_argument(
        "--charts-dir",
        default="target/segments",
        help="where to draw segments.png and segment_history.png ('' for none; default target/segments)",
    )
    p.add_argument("--seed", type=int, default=42, help="random seed (same inputs and seed, same segments)")
    p.add_argument(
        "--k-min", type=int, default=None, help="fewest buyer segments to try when k is chosen (3)"
    )
    p.add_argument("--k-max", type=int, default=None, help="most buyer segments to try when k is chosen (8)")
    p.add_argument(
        "--rechoose-k", action="store_true", help="choose k again this week, whatever the rule says"
    )
    p.add_argument(
        "--sample-size",
        type=int,
        default=10_000,
        help="buyers sampled (with the seed) for the silhouette (default 10000)",
    )
    p.add_argument("--schema", default=None, help="duckdb: schema of customer_features (default: found)")

    def run(args: argparse.Namespace) -> int:
        from customer_mart.segment import describe
        from customer_mart.segment_store import SegmentStoreError

        options = dict(
            seed=args.seed,
            sample_size=args.sample_size,
            k_min=args.k_min,
            k_max=args.k_max,
            rechoose_k=args.rechoose_k,
        )
        try:
            if args.target == "duckdb":
                result, where = _segment_duckdb(args, options)
            else:
                result, where = _segment_redshift(args, options)
        except SegmentStoreError as error:
            print(f"customer-mart segment: {error}", file=sys.stderr)
            return 2
        print(describe(result))
        print(f"\nwrote week {result.as_of_date} of customer_segment_history, _profiles and _runs to {where}")
        if args.charts_dir:
            print(f"charts: {args.charts_dir}/segments.png, {args.charts_dir}/segment_history.png")
        return 0

    def _segment_duckdb(args, options):
        import duckdb

        from customer_mart.segment_store import DuckDBStore, SegmentStoreError, duckdb_mart_schema, run_week

        if not Path(args.duckdb).exists():
            raise SegmentStoreError(f"no DuckDB file at {args.duckdb}: run `dbt build` first")
        with duckdb.connect(args.duckdb) as con:
            store = DuckDBStore(con, args.schema or duckdb_mart_schema(con))
            return run_week(store, args.charts_dir or None, **options), args.duckdb

    def _segment_redshift(args, options):
        import boto3

        from customer_mart.segment_store import RedshiftStore, S3Location, redshift_connection, run_week

        location = S3Location.from_env()
        connection, schema = redshift_connection(args.profiles_dir)
        try:
            store = RedshiftStore(connection, schema, location, boto3.client("s3"))
            result = run_week(store, args.charts_dir or None, **options)
            store.clean_up()
        finally:
            connection.close()
        return result, f"Redshift schema {schema} (through {location.uri(location.prefix)}/)"

    p.set_defaults(func=run)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="customer-mart", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    _add_generate(sub)
    _add_corrupt(sub)
    _add_summary(sub)
    _add_upload(sub)
    _add_segment(sub)
    _add_load(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
