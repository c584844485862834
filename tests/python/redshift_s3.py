"""UNLOAD and COPY of Parquet files for the Redshift stand-in (redshift_stand_in.py): the two
statements run against the S3 that boto3 reaches (moto in the tests) and the stand-in's
PostgreSQL, by the rules of AWS's reference, each named where the code applies it:

- "UNLOAD" (Database Developer Guide, r_UNLOAD): the syntax and its options; an authorization is
  required; FORMAT AS PARQUET cannot be combined with the text options (DELIMITER, FIXEDWIDTH,
  ADDQUOTES, ESCAPE, NULL AS, HEADER, GZIP, BZIP2, ZSTD); KMS_KEY_ID needs ENCRYPTED; UNLOAD fails
  when it finds files it could overwrite unless ALLOWOVERWRITE or CLEANPATH is given; a LIMIT in
  the outer select is not allowed; files are named `<name-prefix><slice>_part_<part>` with the
  extension `.parquet` (PARALLEL OFF: `<name-prefix>000.parquet`), one or more per slice (the
  stand-in has two slices, so a reader must follow the manifest, not guess a name); MANIFEST
  writes `<name-prefix>manifest` (JSON `entries` of `url` and `meta.content_length`; VERBOSE adds
  each file's `record_count`, the `schema` and the totals). Files are encrypted with SSE-S3 unless
  ENCRYPTED asks for SSE-KMS ("Unloading encrypted data files": KMS_KEY_ID, or ENCRYPTED AUTO for
  the bucket's default key).
- "COPY from columnar data formats" (copy-usage_notes-copy-from-columnar): only the parameters that
  page lists are accepted; the file's columns fill the table's columns in order and their number
  must match; a load error fails the whole command. COPY from Parquet reads through Spectrum,
  which reads the physical type strictly (a column of another type fails the scan: see
  shared NOTES, "Spectrum reads Parquet strictly"). FROM is a key prefix (every object whose key
  begins with it) or, with MANIFEST, a manifest whose entries each need `meta.content_length`
  ("Using a manifest to specify data files").

What it leaves out: the other formats (CSV, JSON, ORC), PARTITION BY, MAXFILESIZE's splitting, and
IAM itself (the role in IAM_ROLE is checked for its form only; infra/iam.tf and its plan tests
hold what it may do).
"""

from __future__ import annotations

import io
import json
import re

import boto3

SLICES = 2


class RedshiftS3Error(Exception):
    """What Redshift would refuse or fail with; the stand-in raises it as a ProgrammingError."""


UNLOAD = re.compile(
    r"^\s*unload\s*\(\s*'(?P<query>(?:\\.|[^'\\])*)'\s*\)\s*to\s*'(?P<to>[^']*)'(?P<options>.*?);?\s*$",
    re.IGNORECASE | re.DOTALL,
)
COPY = re.compile(
    r"^\s*copy\s+(?P<table>(?:\"[^\"]+\"|\w+)(?:\s*\.\s*(?:\"[^\"]+\"|\w+)){0,2})\s*(?P<columns>\([^)]*\))?"
    r"\s+from\s+'(?P<source>s3://[^']*)'(?P<options>.*?);?\s*$",
    re.IGNORECASE | re.DOTALL,
)
TOKEN = re.compile(r"'(?:[^']|'')*'|\(|\)|,|[^\s'(),]+")
ROLE_ARN = re.compile(r"^arn:aws[a-z-]*:iam::\d{12}:role/[A-Za-z0-9+=,.@_/-]+$")

# PARQUET with any of these is refused ("UNLOAD", FORMAT AS PARQUET).
TEXT_ONLY = {"delimiter", "fixedwidth", "addquotes", "escape", "null", "header", "gzip", "bzip2", "zstd"}
# "COPY from columnar data formats": the parameters that page lists; the stand-in acts on
# IAM_ROLE, FORMAT and MANIFEST, and accepts the others as having no effect on these files.
COPY_COLUMNAR_PARAMETERS = {
    "iam_role",
    "format",
    "parquet",
    "manifest",
    "acceptinvchars",
    "fillrecord",
    "statupdate",
    "explicit_ids",
    "serializetojson",
}


def handles(sql: str) -> bool:
    return bool(UNLOAD.match(sql) or COPY.match(sql))


def execute(cursor, sql: str, s3=None) -> None:
    """Run an UNLOAD or a COPY ... FROM 's3://...' on the stand-in's psycopg2 cursor."""
    s3 = s3 or boto3.client("s3")
    unload = UNLOAD.match(sql)
    if unload:
        _unload(cursor, s3, unload["query"], unload["to"], _tokens(unload["options"]))
    else:
        copy = COPY.match(sql)
        _copy(cursor, s3, copy["table"], copy["columns"], copy["source"], _tokens(copy["options"]))


def _tokens(text: str) -> list[str]:
    return TOKEN.findall(text)


def _literal(token: str, what: str) -> str:
    if not (token.startswith("'") and token.endswith("'")):
        raise RedshiftS3Error(f"{what} takes a quoted string, not {token}")
    return token[1:-1].replace("''", "'")


def _split(uri: str) -> tuple[str, str]:
    match = re.fullmatch(r"s3://([a-z0-9][a-z0-9.-]{1,61}[a-z0-9])/(.*)", uri)
    if not match:
        raise RedshiftS3Error(f"not an Amazon S3 path: {uri!r}")
    return match[1], match[2]


def _authorization(options: dict) -> None:
    role = options.get("iam_role")
    if role is None:
        raise RedshiftS3Error("an authorization is required: IAM_ROLE (the stand-in emulates IAM_ROLE only)")
    if role != "default" and not all(ROLE_ARN.fullmatch(r) for r in role.split(",")):
        raise RedshiftS3Error(f"IAM_ROLE is not a role ARN: {role!r}")


# ---------------------------------------------------------------------------------------------
# UNLOAD
# ---------------------------------------------------------------------------------------------


def _unload_options(tokens: list[str]) -> dict:
    options: dict = {}
    i = 0

    def take() -> str:
        nonlocal i
        if i >= len(tokens):
            raise RedshiftS3Error("UNLOAD: an option lacks its value")
        i += 1
        return tokens[i - 1]

    def peek() -> str:
        return tokens[i].lower() if i < len(tokens) else ""

    while i < len(tokens):
        word = take().lower()
        if word == "iam_role":
            value = take()
            options["iam_role"] = "default" if value.lower() == "default" else _literal(value, "IAM_ROLE")
        elif word in {"format", "csv", "parquet", "json"}:
            if word == "format":
                if peek() == "as":
                    take()
                word = take().lower()
            if word not in {"csv", "parquet", "json"}:
                raise RedshiftS3Error(f"UNLOAD: unknown FORMAT {word}")
            options["format"] = word
        elif word == "manifest":
            options["manifest"] = True
            if peek() == "verbose":
                take()
                options["verbose"] = True
        elif word == "encrypted":
            options["encrypted"] = True
            if peek() == "auto":
                take()
                options["encrypted_auto"] = True
        elif word == "kms_key_id":
            options["kms_key_id"] = _literal(take(), "KMS_KEY_ID")
        elif word in {"allowoverwrite", "cleanpath"}:
            options[word] = True
        elif word == "parallel":
            value = peek()
            if value in {"on", "true", "off", "false"}:
                take()
            options["parallel"] = value not in {"off", "false"}
        elif word in {"maxfilesize", "rowgroupsize"}:
            if peek() == "as":
                take()
            options[word] = take()
            if peek() in {"mb", "gb"}:
                take()
        elif word == "region":
            if peek() == "as":
                take()
            options["region"] = _literal(take(), "REGION")
        elif word == "extension":
            options["extension"] = _literal(take(), "EXTENSION")
        elif word == "partition":
            raise RedshiftS3Error("UNLOAD ... PARTITION BY is not emulated by the stand-in")
        elif word in TEXT_ONLY:
            options[word] = True
            if word in {"delimiter", "fixedwidth", "null"}:
                if peek() == "as":
                    take()
                take()
        elif word in {"credentials", "access_key_id", "secret_access_key", "session_token"}:
            raise RedshiftS3Error(f"UNLOAD: {word.upper()} is not emulated; the project uses IAM_ROLE")
        else:
            raise RedshiftS3Error(f"UNLOAD: {word.upper()} is not an UNLOAD option (AWS, UNLOAD)")
    return options


ARROW_TYPES = {
    16: "bool",
    20: "int64",
    21: "int16",
    23: "int32",
    700: "float32",
    701: "float64",
    25: "string",
    1042: "string",
    1043: "string",
    1082: "date32",
}


def _arrow_schema(description):
    import pyarrow as pa

    fields = []
    for column in description:
        code = column.type_code
        if code == 1700:
            if column.precision is None or column.scale is None:
                raise RedshiftS3Error(f"column {column.name}: numeric without precision and scale")
            kind = pa.decimal128(column.precision, column.scale)
        elif code == 1114:
            kind = pa.timestamp("us")
        elif code == 1184:
            kind = pa.timestamp("us", tz="UTC")
        elif code in ARROW_TYPES:
            kind = getattr(pa, ARROW_TYPES[code])()
        else:
            raise RedshiftS3Error(f"column {column.name}: type oid {code} is not emulated for Parquet")
        fields.append(pa.field(column.name, kind))
    return pa.schema(fields)


def _unload(cursor, s3, query: str, to: str, tokens: list[str]) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    options = _unload_options(tokens)
    _authorization(options)
    if options.get("format") != "parquet":
        raise RedshiftS3Error("the stand-in emulates UNLOAD ... FORMAT AS PARQUET only")
    clashing = sorted(TEXT_ONLY & set(options))
    if clashing:
        raise RedshiftS3Error(f"UNLOAD: FORMAT AS PARQUET cannot be used with {', '.join(clashing).upper()}")
    if "kms_key_id" in options and not options.get("encrypted"):
        raise RedshiftS3Error("UNLOAD: KMS_KEY_ID needs ENCRYPTED")
    if options.get("allowoverwrite") and options.get("cleanpath"):
        raise RedshiftS3Error("UNLOAD: ALLOWOVERWRITE and CLEANPATH cannot be used together")
    query = query.replace("\\'", "'").replace("\\\\", "\\")
    if re.search(r"\blimit\s+\d+\s*$", query, re.IGNORECASE):
        raise RedshiftS3Error("UNLOAD: a LIMIT in the outer select is not allowed")
    bucket, prefix = _split(to)

    existing = _keys(s3, bucket, prefix)
    if existing and options.get("cleanpath"):
        for start in range(0, len(existing), 1000):
            s3.delete_objects(
                Bucket=bucket, Delete={"Objects": [{"Key": k} for k in existing[start : start + 1000]]}
            )
    elif existing and not options.get("allowoverwrite"):
        raise RedshiftS3Error(
            f"UNLOAD: files already exist at s3://{bucket}/{prefix} (give ALLOWOVERWRITE or CLEANPATH)"
        )

    cursor.execute(query)
    schema = _arrow_schema(cursor.description)
    rows = cursor.fetchall()
    columns = list(zip(*rows, strict=True)) if rows else [[] for _ in schema]
    table = pa.table(
        [pa.array(list(values), f.type) for values, f in zip(columns, schema, strict=True)], schema=schema
    )

    if options.get("encrypted_auto"):
        encryption = {}
    elif options.get("encrypted") and "kms_key_id" in options:
        encryption = {"ServerSideEncryption": "aws:kms", "SSEKMSKeyId": options["kms_key_id"]}
    else:
        encryption = {"ServerSideEncryption": "AES256"}
    extension = "." + options.get("extension", "parquet").lstrip(".")
    parallel = options.get("parallel", True)
    slices = SLICES if parallel else 1
    entries = []
    for number in range(slices):
        part = table.slice(number * -(-table.num_rows // slices), -(-table.num_rows // slices))
        if part.num_rows == 0 and number > 0:
            continue
        name = f"{number:04d}_part_00{extension}" if parallel else f"000{extension}"
        buffer = io.BytesIO()
        pq.write_table(part, buffer)
        body = buffer.getvalue()
        s3.put_object(Bucket=bucket, Key=prefix + name, Body=body, **encryption)
        meta = {"content_length": len(body)}
        if options.get("verbose"):
            meta["record_count"] = part.num_rows
        entries.append({"url": f"s3://{bucket}/{prefix}{name}", "meta": meta})
    if options.get("manifest"):
        manifest: dict = {"entries": entries}
        if options.get("verbose"):
            manifest["schema"] = {
                "elements": [{"name": f.name, "type": {"base": str(f.type)}} for f in schema]
            }
            manifest["meta"] = {
                "content_length": sum(e["meta"]["content_length"] for e in entries),
                "record_count": table.num_rows,
            }
            manifest["author"] = {"name": "Amazon Redshift", "version": "1.0.0"}
        s3.put_object(
            Bucket=bucket, Key=prefix + "manifest", Body=json.dumps(manifest).encode(), **encryption
        )


def _keys(s3, bucket: str, prefix: str) -> list[str]:
    keys = []
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
        keys += [item["Key"] for item in page.get("Contents", [])]
    return keys


# ---------------------------------------------------------------------------------------------
# COPY ... FROM 's3://...' FORMAT AS PARQUET
# ---------------------------------------------------------------------------------------------


def _copy_options(tokens: list[str]) -> dict:
    options: dict = {}
    i = 0
    while i < len(tokens):
        word = tokens[i].lower()
        i += 1
        if word not in COPY_COLUMNAR_PARAMETERS:
            raise RedshiftS3Error(
                f"COPY: {word.upper()} is not a parameter COPY accepts for Parquet files"
                " (AWS, COPY from columnar data formats)"
            )
        if word == "iam_role":
            value = tokens[i]
            i += 1
            options["iam_role"] = "default" if value.lower() == "default" else _literal(value, "IAM_ROLE")
        elif word in {"format", "parquet"}:
            if word == "format":
                if i < len(tokens) and tokens[i].lower() == "as":
                    i += 1
                word = tokens[i].lower() if i < len(tokens) else ""
                i += 1
            if word != "parquet":
                raise RedshiftS3Error(
                    f"the stand-in emulates COPY ... FORMAT AS PARQUET only, not {word.upper()}"
                )
            options["format"] = "parquet"
        elif word == "manifest":
            options["manifest"] = True
        elif word == "acceptinvchars":
            if i < len(tokens) and tokens[i].lower() == "as":
                i += 1
            if i < len(tokens) and tokens[i].startswith("'"):
                i += 1
        elif word == "statupdate" and i < len(tokens) and tokens[i].lower() in {"on", "off", "true", "false"}:
            i += 1
    return options


def _table_columns(cursor, table: str) -> list[tuple[str, str]]:
    cursor.execute(
        "select attname, format_type(atttypid, atttypmod) from pg_attribute"
        " where attrelid = %s::regclass and attnum > 0 and not attisdropped order by attnum",
        (table,),
    )
    return cursor.fetchall()


def _compatible(column_type: str, arrow_type) -> bool:
    """The Parquet type Spectrum reads into a column of this type (strictly, see the docstring)."""
    import pyarrow as pa

    kind = column_type.lower()
    if kind == "bigint":
        return pa.types.is_int64(arrow_type)
    if kind == "integer":
        return pa.types.is_int32(arrow_type)
    if kind == "smallint":
        return pa.types.is_int16(arrow_type)
    if kind == "double precision":
        return pa.types.is_float64(arrow_type)
    if kind == "real":
        return pa.types.is_float32(arrow_type)
    if kind == "boolean":
        return pa.types.is_boolean(arrow_type)
    if kind == "date":
        return pa.types.is_date32(arrow_type)
    if kind.startswith("timestamp"):
        return pa.types.is_timestamp(arrow_type)
    if kind.startswith(("character varying", "text", "character")):
        return pa.types.is_string(arrow_type) or pa.types.is_large_string(arrow_type)
    numeric = re.fullmatch(r"numeric\((\d+),(\d+)\)", kind)
    if numeric:
        return (
            pa.types.is_decimal(arrow_type)
            and arrow_type.scale == int(numeric[2])
            and arrow_type.precision <= int(numeric[1])
        )
    return False


def _copy(cursor, s3, table: str, columns: str | None, source: str, tokens: list[str]) -> None:
    import pyarrow.csv as pacsv
    import pyarrow.parquet as pq

    options = _copy_options(tokens)
    _authorization(options)
    if options.get("format") != "parquet":
        raise RedshiftS3Error("the stand-in emulates COPY ... FORMAT AS PARQUET only")
    if columns:
        raise RedshiftS3Error("COPY from Parquet fills the table's columns in order: no column list")
    bucket, key = _split(source)
    if options.get("manifest"):
        manifest = json.loads(_get(s3, bucket, key, f"the manifest {source}"))
        files = []
        for entry in manifest.get("entries", []):
            if "content_length" not in entry.get("meta", {}):
                raise RedshiftS3Error(
                    f"manifest {source}: a Parquet entry needs meta.content_length: {entry}"
                )
            entry_bucket, entry_key = _split(entry["url"])
            try:
                size = s3.head_object(Bucket=entry_bucket, Key=entry_key)["ContentLength"]
            except s3.exceptions.ClientError:
                if entry.get("mandatory"):
                    raise RedshiftS3Error(
                        f"manifest {source}: mandatory file {entry['url']} not found"
                    ) from None
                continue
            if size != entry["meta"]["content_length"]:
                raise RedshiftS3Error(
                    f"{entry['url']}: content_length {entry['meta']['content_length']} != {size}"
                )
            files.append((entry_bucket, entry_key))
    else:
        files = [(bucket, k) for k in _keys(s3, bucket, key)]
        if not files:
            raise RedshiftS3Error(f"The specified S3 prefix '{key}' does not exist")

    target = _table_columns(cursor, table)
    for file_bucket, file_key in files:
        body = _get(s3, file_bucket, file_key, f"s3://{file_bucket}/{file_key}")
        data = pq.read_table(io.BytesIO(body))
        if data.num_columns != len(target):
            raise RedshiftS3Error(
                f"s3://{file_bucket}/{file_key} has {data.num_columns} columns, {table} has {len(target)}:"
                " the numbers must match (AWS, COPY from columnar data formats)"
            )
        for field, (name, column_type) in zip(data.schema, target, strict=True):
            if not _compatible(column_type, field.type):
                raise RedshiftS3Error(
                    f"incompatible Parquet schema for column '{name}': file column '{field.name}' is "
                    f"{field.type}, the column is {column_type} (s3://{file_bucket}/{file_key})"
                )
        if data.num_rows == 0:
            continue
        text = io.BytesIO()
        pacsv.write_csv(data, text, write_options=pacsv.WriteOptions(include_header=False))
        text.seek(0)
        cursor.copy_expert(f"copy {table} from stdin with (format csv)", text)


def _get(s3, bucket: str, key: str, what: str) -> bytes:
    try:
        return s3.get_object(Bucket=bucket, Key=key)["Body"].read()
    except s3.exceptions.NoSuchKey:
        raise RedshiftS3Error(f"{what} does not exist") from None
