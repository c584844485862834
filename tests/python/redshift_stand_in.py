"""A test-only stand-in for Amazon Redshift: the real dbt-redshift adapter, with
`redshift_connector.connect` replaced by a connection that forwards every statement to a
PostgreSQL server, where Redshift's documented rules are emulated as listed below.

    python redshift_stand_in.py <dbt arguments>          dbt, as `dbt` would run it
    python redshift_stand_in.py --smoke <arguments>      `customer-mart smoke`, the same way
    python redshift_stand_in.py --segment <arguments>    `customer-mart segment`, the same way

reads two environment variables: STAND_IN_CONFIG, a JSON file written by `write_config` (the
server, the emulator's own superuser, the Glue catalog, where the bucket's objects are), and
STAND_IN_LOG, a file to which every statement the adapter sends is appended as one JSON line
({"node": the dbt node whose connection sent it, "sql": as sent, "error": the error or null}).

**Who connects.** The adapter's connection signs in as the user dbt's profile names (a role the
infra bootstrap created, not a superuser), so PostgreSQL's own privilege checks apply to every
statement: CREATE on the database for `create schema` (AWS, GRANT: "For databases, CREATE allows
users to create schemas within the database"), USAGE on a schema, ownership or a grant on a
relation. A separate superuser connection (`admin` in the config) plays what is not the user:
Redshift Spectrum reading S3 and the catalog views, and the admin's one-time setup (`StandIn.admin`).

**Spectrum** (AWS, "External tables for Redshift Spectrum", CREATE EXTERNAL SCHEMA, CREATE
EXTERNAL TABLE, GRANT):
- `create external schema [if not exists] s from data catalog database 'd' ...` creates schema `s`
  owned by its issuer (who needs CREATE on the database), recorded in `svv_external_schemas`, and
  one external table per table of Glue database `d` in the config's catalog (read by the tests from
  infra/'s offline plan, not from the Python contract): its columns with Spectrum's types
  (bigint, double precision, timestamp without zone, and varchar(65535) for a Glue `string`).
  An external table is owned by no user: access is USAGE on the external schema ("You can't GRANT
  or REVOKE permissions on an external table"), so each is granted SELECT to PUBLIC and PostgreSQL
  checks the schema's USAGE. A query that scans one also needs TEMP on the database ("To run a
  Redshift Spectrum query, you need ... permission to create temporary tables"), checked by a
  row-security policy at the scan, with the message of a missing privilege.
- The rows are the files under the table's S3 location, read **when a statement runs**: before each
  statement the listing is compared with what was read, and a table whose files changed is read
  again (Spectrum reads at query time; a new week's file shows in the next statement). The files
  read and the types are `customer_mart.spectrum`'s rules (subfolders read; names starting with
  `.`, `_` or `#`, or ending with `~`, skipped; a Parquet column whose physical type is not the
  Glue type refused). A refused file makes every scan of that table fail with Spectrum's message
  naming the file (`s3://...`) and the column, and no other table. No value is cast: INT64 is
  bigint, DOUBLE double precision, UTC-adjusted TIMESTAMP micros the same instant without zone.
  A text value over 65535 bytes fails the scan too (AWS documents both truncation and NULL for an
  external value longer than its column, so the rehearsal does not guess).
- The pseudo-columns `"$path"` (the object's `s3://bucket/prefix/<table>/<relative path>`) and
  `"$size"` (its bytes, bigint) can be selected by name from an external table, and `select *`
  leaves them out ("A SELECT * clause doesn't return the pseudocolumns"): each file is a child
  table of the external table, and a reference to a pseudo-column of an external table in scope
  (sqlglot's scopes) is rewritten to a function of the row's `tableoid`. A column so named in a
  CTE or a unit-test fixture is an ordinary column and is left alone.
- You can't create local tables in an external schema, nor write to an external table: refused.
- ASSUMEROLE (GRANT) governs COPY, UNLOAD, EXTERNAL FUNCTION and CREATE MODEL. PUBLIC holds it on
  every role by default (a cluster restricts it with `REVOKE ASSUMEROLE ON ALL FROM PUBLIC FOR ALL`);
  the infra bootstrap does not revoke it, so the stand-in does not check it. CREATE EXTERNAL
  SCHEMA and Spectrum queries do not consult it.

**varchar(n) counts bytes** (AWS, "Character types": "defined in terms of bytes, not characters";
"An attempt to store a longer string into a column of these types results in an error"; a CAST
to a shorter type truncates, "Examples with character types"). PostgreSQL counts characters.
After each statement that writes a table (INSERT, UPDATE, CREATE TABLE ... AS, MERGE), in the same
transaction, every varchar(n) value must fit in n bytes, or the statement fails with Redshift's
"value too long for type character varying(n)", naming the table, the column and the bytes. For
an INSERT that is Redshift's own outcome; for a CTAS whose CAST truncated by characters,
PostgreSQL kept more bytes than Redshift would have, so the rehearsal stops rather than differ.
A CHAR column takes single-byte characters only. Text a query types itself (`text`, expressions)
is not sized here: Redshift sizes it on its own.

**Catalog views and functions**, answered as the pages say for a regular user:
- `svv_relation_privileges`: superusers see every row; "Other users can only see identities they
  have access to or own" (the user itself, a group or role it is a member of, PUBLIC).
- `svv_external_schemas`: "regular users can see only metadata to which they have access" (the
  external schemas they have USAGE on); `svv_external_columns`: "regular users can see only their
  own data" (the same schemas), external_type in Glue's names.
- `information_schema.columns` leaves out external tables ("You can't view details for Amazon
  Redshift Spectrum tables using ... information_schema"); dbt reads them from svv_external_columns.
- `pg_get_late_binding_view_cols()`: empty. PostgreSQL's views always bind (`with no schema
  binding` is dropped), so information_schema lists their columns, as dbt then reads them.
- `getdate()`, `strtol(text, 16)`: functions in `public`.
- "By default, all users have CREATE and USAGE permission on the PUBLIC schema": granted.

**Layout only, dropped**: `diststyle`, `distkey(...)`, `[compound|interleaved] sortkey(...)`.
**Redshift-only syntax, dropped**: `PASSWORD DISABLE` of CREATE USER (the bootstrap's IAM-only user).

**UNLOAD and COPY** (`UNLOAD ... FORMAT AS PARQUET`, `COPY ... FROM 's3://...' FORMAT AS PARQUET`,
the segment step's) are run by redshift_s3.py against the S3 that boto3 reaches (moto in the
tests), by the rules of AWS's reference, on the user's own connection: UNLOAD's query needs SELECT
on what it reads, COPY needs INSERT on its table, and the rows a COPY wrote must fit their
varchar(n) in bytes, as after any other write. Other forms (CSV, JSON, a column list), EXTERNAL
TABLE, EXTERNAL FUNCTION and CREATE MODEL are refused as not emulated.

Column types reach dbt as PostgreSQL's type OIDs, which are Redshift's too, named by
redshift_connector's own table (`get_datatype_name`), as on a cluster.
"""

from __future__ import annotations

import io
import json
import os
import re
import sys
import threading
from pathlib import Path

import psycopg2
import psycopg2.extensions
import redshift_connector
import redshift_s3

# (pattern, replacement, why): applied in order, case-insensitively, to every statement.
REWRITES: list[tuple[str, str, str]] = [
    (
        r"\bpassword\s+disable\b",
        "",
        "CREATE USER ... PASSWORD DISABLE (an IAM-only user): PostgreSQL has no such clause, and a role "
        "without a password cannot sign in with one either",
    ),
    (r"\bwith\s+no\s+schema\s+binding\b", "", "late-binding views: PostgreSQL views always bind"),
    (r"\bdiststyle\s+(?:all|even|auto|key)\b", "", "data distribution: layout only"),
    (r"\bdistkey\s*\(\s*[^)]*\)", "", "data distribution: layout only"),
    (r"\b(?:compound\s+|interleaved\s+)?sortkey\s*\(\s*[^)]*\)", "", "sort order on disk: layout only"),
    (r"\bpg_catalog\.svv_external_columns\b", "public.svv_external_columns", "Redshift's view, emulated"),
    (
        r"\binformation_schema\s*\.\s*\"?columns\"?",
        "public.stand_in_information_schema_columns",
        "information_schema leaves out external tables on Redshift",
    ),
]

EXTERNAL_SCHEMA = re.compile(
    r"^\s*create\s+external\s+schema\s+(?P<if_not_exists>if\s+not\s+exists\s+)?(?P<schema>\"[^\"]+\"|\w+)\s+"
    r"from\s+data\s+catalog\s+database\s+'(?P<database>[^']+)'(?P<rest>.*)$",
    re.IGNORECASE | re.DOTALL,
)
NOT_EMULATED = re.compile(
    r"^\s*(?P<what>copy|unload|create\s+(?:or\s+replace\s+)?external\s+(?:table|function)|create\s+model"
    r"|create\s+external\s+schema)\b",
    re.IGNORECASE,
)
NAME = r'(?:"(?:[^"]|"")+"|[a-z_][\w$]*)(?:\s*\.\s*(?:"(?:[^"]|"")+"|[a-z_][\w$]*)){0,2}'
WRITES = re.compile(
    r"\b(?:insert\s+into|update|merge\s+into"
    r"|create\s+(?:(?:local\s+)?(?:temporary|temp)\s+)?table(?:\s+if\s+not\s+exists)?)\s+(?P<name>"
    + NAME
    + r")",
    re.IGNORECASE,
)
PSEUDO_COLUMN = re.compile(r'"\$(?:path|size)"', re.IGNORECASE)

# Glue (Hive) column types -> the external table's column type in the stand-in (Spectrum's).
GLUE_TO_POSTGRES = {
    "bigint": "bigint",
    "double": "double precision",
    "timestamp": "timestamp",
    "string": "varchar(65535)",
}
VARCHAR_MAX_BYTES = 65535

SETUP = """
create schema if not exists stand_in;
grant usage on schema stand_in to public;
create schema if not exists stand_in_spectrum;

create table if not exists stand_in.external_schemas (
    schemaname name primary key,
    databasename varchar(128) not null,
    esoptions varchar(4000) not null
);
create table if not exists stand_in.external_tables (
    schemaname name not null,
    tablename name not null,
    location varchar(1024) not null,
    folder text not null,
    columns text not null,
    files_read text,
    error text,
    primary key (schemaname, tablename)
);
create table if not exists stand_in.external_files (
    child oid primary key,
    path varchar(65535) not null,
    size bigint not null
);
grant select on stand_in.external_schemas, stand_in.external_tables, stand_in.external_files to public;

-- The pseudo-columns of a row, from the child table (one per file) that holds it.
create or replace function stand_in."$path"(child oid) returns varchar(65535)
    language sql stable as $$ select path from stand_in.external_files where external_files.child = $1 $$;
create or replace function stand_in."$size"(child oid) returns bigint
    language sql stable as $$ select size from stand_in.external_files where external_files.child = $1 $$;

-- The row-security policy of every external table: a scan needs TEMP on the database, and fails
-- with Spectrum's error while a file of the table cannot be read.
create or replace function stand_in.spectrum_scan(schema_name text, table_name text) returns boolean
    language plpgsql stable as $$
    declare
        problem text;
    begin
        if not has_database_privilege(current_database(), 'TEMP') then
            raise exception 'permission denied for database %', current_database()
                using errcode = '42501',
                detail = 'A Redshift Spectrum query needs the privilege to create temporary tables in the '
                    || 'database (AWS, "External tables for Redshift Spectrum"; GRANT TEMP ON DATABASE).';
        end if;
        select error into problem from stand_in.external_tables
            where schemaname = schema_name and tablename = table_name;
        if problem is not null then
            raise exception '%', problem using errcode = 'XX000';
        end if;
        return true;
    end $$;

-- After a statement writes a table: every varchar(n) value fits in n bytes (Redshift counts bytes),
-- and a CHAR value holds single-byte characters only.
create or replace function stand_in.check_varchar_bytes(target regclass) returns void
    language plpgsql as $$
    declare
        col record;
        names text[] := '{}';
        sizes int[] := '{}';
        kinds text[] := '{}';
        counts text[] := '{}';
        maxima text[] := '{}';
        found bigint[];
        longest bigint[];
    begin
        for col in
            select attname, atttypmod - 4 as size, format_type(atttypid, null) as kind
            from pg_attribute
            where attrelid = target and attnum > 0 and not attisdropped and atttypmod > 4
                and atttypid in ('varchar'::regtype, 'bpchar'::regtype)
            order by attnum
        loop
            names := names || col.attname::text;
            sizes := sizes || col.size;
            kinds := kinds || col.kind;
            counts := counts || format(
                'count(*) filter (where octet_length(%1$I) > %2$s%3$s)', col.attname, col.size,
                case when col.kind = 'character'
                    then format(' or octet_length(%1$I) <> char_length(%1$I)', col.attname) else '' end);
            maxima := maxima || format('max(octet_length(%I))', col.attname);
        end loop;
        if cardinality(names) = 0 then
            return;
        end if;
        execute format('select array[%s]::bigint[], array[%s]::bigint[] from %s',
            array_to_string(counts, ', '), array_to_string(maxima, ', '), target)
        into found, longest;
        for i in 1 .. cardinality(names) loop
            if found[i] > 0 then
                raise exception 'value too long for type %(%)',
                    kinds[i], sizes[i]
                    using errcode = '22001',
                    detail = format(
                        'Column %s of %s holds %s value(s) over %s bytes (the longest is %s bytes): Redshift '
                        'counts a %s''s length in bytes of UTF-8, not characters, and an INSERT of a longer '
                        'value fails (AWS, "Character types")%s.',
                        names[i], target, found[i], sizes[i], longest[i], kinds[i],
                        case when kinds[i] = 'character' then '; a CHAR takes single-byte characters only'
                            else '' end);
            end if;
        end loop;
    end $$;

create or replace function public.getdate() returns timestamp
    language sql stable as $$ select localtimestamp $$;

-- Redshift's strtol(text, base), for the base 16 the events fingerprint uses (up to 15 hex digits).
create or replace function public.strtol(value text, base integer) returns bigint
    language sql immutable as $$
        select case when base = 16 then ('x' || lpad(value, 16, '0'))::bit(64)::bigint end
    $$;

create or replace function public.pg_get_late_binding_view_cols() returns setof record
    language sql stable as $$
        select null::name, null::name, null::name, null::varchar, null::int where false
    $$;

create or replace view public.svv_external_schemas as
    select
        namespaces.oid::int as esoid,
        1 as eskind,
        schemas.schemaname,
        namespaces.nspowner::int as esowner,
        schemas.databasename,
        schemas.esoptions
    from stand_in.external_schemas as schemas
    inner join pg_namespace as namespaces on namespaces.nspname = schemas.schemaname
    where (select rolsuper from pg_roles where rolname = current_user)
        or has_schema_privilege(namespaces.oid, 'USAGE');

create or replace view public.svv_external_columns as
    select
        current_database()::text as redshift_database_name,
        tables.schemaname::text as schemaname,
        tables.tablename::text as tablename,
        columns.value ->> 0 as columnname,
        columns.value ->> 1 as external_type,
        columns.ordinality::int as columnnum,
        0 as part_key,
        'true'::text as is_nullable
    from stand_in.external_tables as tables
    cross join lateral
        jsonb_array_elements(tables.columns::jsonb) with ordinality as columns (value, ordinality)
    where (select rolsuper from pg_roles where rolname = current_user)
        or has_schema_privilege(tables.schemaname, 'USAGE');

create or replace view public.stand_in_information_schema_columns as
    select * from information_schema.columns
    where table_schema::name not in (select schemaname from stand_in.external_schemas);

create or replace view public.svv_relation_privileges as
    select
        namespaces.nspname::text as namespace_name,
        classes.relname::text as relation_name,
        upper(privileges.privilege_type)::text as privilege_type,
        privileges.grantee::int as identity_id,
        coalesce(roles.rolname::text, 'public') as identity_name,
        case
            when privileges.grantee = 0 then 'public'
            when roles.rolcanlogin then 'user'
            else 'group'
        end as identity_type,
        privileges.is_grantable as admin_option
    from pg_class as classes
    inner join pg_namespace as namespaces on classes.relnamespace = namespaces.oid
    cross join lateral aclexplode(classes.relacl) as privileges
    left join pg_roles as roles on privileges.grantee = roles.oid
    where classes.relkind in ('r', 'v', 'm', 'p')
        and upper(privileges.privilege_type) in ('INSERT', 'SELECT', 'UPDATE', 'DELETE', 'REFERENCES')
        and case
            when (select rolsuper from pg_roles where rolname = current_user) then true
            when privileges.grantee = 0 then true
            else pg_has_role(current_user, privileges.grantee, 'MEMBER')
        end;

grant select on public.svv_external_schemas, public.svv_external_columns,
    public.stand_in_information_schema_columns, public.svv_relation_privileges to public;
grant create on schema public to public;
"""


class StandInError(redshift_connector.ProgrammingError):
    """A statement the stand-in refuses, or an error it raises as Redshift would."""


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _unquote(name: str) -> str:
    return name[1:-1].replace('""', '"') if name.startswith('"') else name.lower()


def masked(sql: str, strings: bool = True) -> str:
    """The statement with comments and (unless `strings` is false) the insides of string literals
    blanked, the same length, so that patterns match code only."""
    out = list(sql)
    i, n = 0, len(sql)
    while i < n:
        if sql.startswith("--", i):
            j = sql.find("\n", i)
            j = n if j == -1 else j
        elif sql.startswith("/*", i):
            j = sql.find("*/", i + 2)
            j = n if j == -1 else j + 2
        elif sql[i] == "'":
            j = i + 1
            while j < n:
                if sql[j] == "'" and sql.startswith("''", j):
                    j += 2
                    continue
                if sql[j] == "'":
                    break
                j += 1
            j = min(j + 1, n)
            if strings:
                out[i + 1 : j - 1] = " " * max(0, j - i - 2)
            i = j
            continue
        elif sql.startswith("$$", i):
            j = sql.find("$$", i + 2)
            j = n if j == -1 else j + 2
        else:
            i += 1
            continue
        out[i:j] = " " * (j - i)
        i = j
    return "".join(out)


def glue_catalog(plan: dict) -> dict:
    """The Glue catalog an offline `terraform plan` JSON (infra/check.sh plan) will create:
    {database: {table: {"location": "s3://...", "columns": [[name, type], ...]}}}."""
    catalog: dict[str, dict] = {}
    for resource in plan["planned_values"]["root_module"]["resources"]:
        values = resource.get("values", {})
        if resource["type"] == "aws_glue_catalog_database":
            catalog.setdefault(values["name"], {})
        elif resource["type"] == "aws_glue_catalog_table":
            (descriptor,) = values["storage_descriptor"]
            catalog.setdefault(values["database_name"], {})[values["name"]] = {
                "location": descriptor["location"],
                "columns": [[column["name"], column["type"]] for column in descriptor["columns"]],
            }
    return catalog


def write_config(
    path: Path,
    *,
    host: str,
    port: int,
    database: str,
    admin: str,
    catalog: dict,
    s3: dict[str, str],
) -> Path:
    """The stand-in's configuration: the server, its superuser (the emulator's own connection),
    the Glue catalog, and which local folder holds the objects under each S3 prefix."""
    path.write_text(
        json.dumps(
            {"host": host, "port": port, "database": database, "admin": admin, "catalog": catalog, "s3": s3},
            indent=2,
        )
    )
    return path


class StandIn:
    """One process's emulator: the configuration, the superuser connection, the Spectrum reader."""

    def __init__(self, config: dict) -> None:
        self.config = config
        self._admin = None
        self._lock = threading.RLock()

    @classmethod
    def from_file(cls, path: str | Path) -> StandIn:
        return cls(json.loads(Path(path).read_text()))

    # --- connections ---------------------------------------------------------------------------
    def postgres(self, user: str, database: str | None = None):
        connection = psycopg2.connect(
            host=self.config["host"],
            port=self.config["port"],
            user=user,
            dbname=database or self.config["database"],
            options="-c timezone=UTC",
        )
        return connection

    @property
    def admin_connection(self):
        if self._admin is None or self._admin.closed:
            self._admin = self.postgres(self.config["admin"])
            with self._admin.cursor() as cursor:
                # A reload waits for no one for long: a transaction still reading the old files holds them.
                cursor.execute("set lock_timeout = '20s'")
            self._admin.commit()
        return self._admin

    def install(self) -> None:
        """The emulated catalog and functions, created once per database by the emulator's superuser."""
        with self._lock, self.admin_connection.cursor() as cursor:
            cursor.execute(SETUP)
        self.admin_connection.commit()

    def admin(self, sql: str) -> None:
        """Run statements as the admin (the superuser), through the same emulation as the adapter's
        (the infra bootstrap's SQL, for one)."""
        connection = StandInConnection(self, self.admin_connection, self.config["admin"], log_path=None)
        try:
            with connection.cursor() as cursor:
                cursor.execute(sql)
            self.admin_connection.commit()
        except Exception:
            self.admin_connection.rollback()
            raise

    # --- Spectrum ------------------------------------------------------------------------------
    def external_schemas(self) -> set[str]:
        with self._lock, self.admin_connection.cursor() as cursor:
            cursor.execute("select schemaname from stand_in.external_schemas")
            found = {row[0] for row in cursor.fetchall()}
            self.admin_connection.commit()
        return found

    def create_external_schema(self, match: re.Match, issuer: str) -> None:
        """CREATE EXTERNAL SCHEMA by `issuer`: the schema, owned by the issuer, and its tables."""
        schema = _unquote(match["schema"])
        database = match["database"]
        tables = self.config["catalog"].get(database)
        connection = self.admin_connection
        with self._lock, connection.cursor() as cursor:
            try:
                cursor.execute(
                    "select has_database_privilege(%s, current_database(), 'CREATE'), current_database()",
                    (issuer,),
                )
                allowed, current = cursor.fetchone()
                if not allowed:
                    raise StandInError(f"permission denied for database {current}")
                cursor.execute("select 1 from pg_namespace where nspname = %s", (schema,))
                if cursor.fetchone():
                    if match["if_not_exists"]:
                        connection.rollback()
                        return
                    raise StandInError(f'schema "{schema}" already exists')
                if tables is None:
                    raise StandInError(
                        f"database {database!r} does not exist in the Glue Data Catalog (stand-in catalog: "
                        f"{', '.join(sorted(self.config['catalog'])) or 'empty'})"
                    )
                options = {}
                for key in ("region", "iam_role"):
                    found = re.search(rf"\b{key}\s+'([^']*)'", match["rest"], re.IGNORECASE)
                    if found:
                        options[key.upper()] = found.group(1)
                cursor.execute(f"create schema {_quote(schema)} authorization {_quote(issuer)}")
                cursor.execute(
                    "insert into stand_in.external_schemas values (%s, %s, %s)",
                    (schema, database, json.dumps(options)),
                )
                for table, glue in tables.items():
                    self._create_external_table(cursor, schema, table, glue)
                connection.commit()
            except Exception:
                connection.rollback()
                raise

    def _create_external_table(self, cursor, schema: str, table: str, glue: dict) -> None:
        columns = []
        for name, glue_type in glue["columns"]:
            if glue_type not in GLUE_TO_POSTGRES:
                raise StandInError(
                    f"Glue table {table}: column {name} is {glue_type}; the stand-in emulates only "
                    f"{', '.join(GLUE_TO_POSTGRES)}"
                )
            columns.append(f"{_quote(name)} {GLUE_TO_POSTGRES[glue_type]}")
        relation = f"{_quote(schema)}.{_quote(table)}"
        cursor.execute(f"create table {relation} ({', '.join(columns)})")
        cursor.execute(f"alter table {relation} enable row level security")
        cursor.execute(
            f"create policy spectrum_scan on {relation} for select"
            f" using (stand_in.spectrum_scan({_literal(schema)}, {_literal(table)}))"
        )
        cursor.execute(f"grant select on {relation} to public")
        # An empty child table, always there: with children, PostgreSQL checks the policy once when
        # the scan starts (a One-Time Filter), not per row, so an empty table's scan is checked too.
        cursor.execute(
            f"create table stand_in_spectrum.{_quote(f'{schema}.{table}$scan')} () inherits ({relation})"
        )
        cursor.execute(
            "insert into stand_in.external_tables (schemaname, tablename, location, folder, columns)"
            " values (%s, %s, %s, %s, %s)",
            (
                schema,
                table,
                glue["location"],
                str(self.folder_of(glue["location"])),
                json.dumps(glue["columns"]),
            ),
        )

    def folder_of(self, location: str) -> Path:
        """The local folder holding the objects under an S3 location."""
        for prefix, folder in self.config["s3"].items():
            if location.startswith(prefix):
                return Path(folder) / location[len(prefix) :]
        raise StandInError(f"no local folder stands for {location} (stand-in config 's3')")

    def read_external_tables(self) -> None:
        """Spectrum reads at query time: every external table whose files changed since they were
        read is read again, before the statement runs."""
        from customer_mart import spectrum

        with self._lock:
            connection = self.admin_connection
            with connection.cursor() as cursor:
                cursor.execute(
                    "select schemaname, tablename, location, folder, columns, files_read"
                    " from stand_in.external_tables order by 1, 2"
                )
                tables = cursor.fetchall()
            connection.commit()
            for schema, table, location, folder, columns, files_read in tables:
                folder = Path(folder)
                listing = []
                if folder.is_dir():
                    for path in spectrum.files_read(folder):
                        stat = path.stat()
                        listing.append([path.relative_to(folder).as_posix(), stat.st_size, stat.st_mtime_ns])
                if json.dumps(listing) != files_read:
                    self._read_table(schema, table, location, folder, json.loads(columns), listing)

    def _read_table(self, schema, table, location, folder, columns, listing) -> None:
        from customer_mart import spectrum

        relation = f"{_quote(schema)}.{_quote(table)}"
        connection = self.admin_connection
        error = None
        tables = []
        for relative, size, _mtime in listing:
            url = location + relative
            try:
                rows = spectrum.read_parquet_file(folder / relative, columns, name=url)
                _check_text_widths(rows, columns, url)
            except spectrum.SpectrumError as problem:
                error = str(problem)
                break
            tables.append((url, size, rows))
        try:
            with connection.cursor() as cursor:
                cursor.execute(
                    "select files.child, files.child::regclass::text from pg_inherits as links"
                    " inner join stand_in.external_files as files on files.child = links.inhrelid"
                    " where links.inhparent = %s::regclass",
                    (relation,),
                )
                for child, name in cursor.fetchall():
                    cursor.execute("delete from stand_in.external_files where child = %s", (child,))
                    cursor.execute(f"drop table {name}")
                if error is None:
                    for number, (url, size, rows) in enumerate(tables, start=1):
                        child = f"stand_in_spectrum.{_quote(f'{schema}.{table}${number}')}"
                        cursor.execute(f"create table {child} () inherits ({relation})")
                        _copy_rows(cursor, child, rows)
                        cursor.execute(
                            "insert into stand_in.external_files values (%s::regclass::oid, %s, %s)",
                            (child, url, size),
                        )
                cursor.execute(
                    "update stand_in.external_tables set files_read = %s, error = %s"
                    " where schemaname = %s and tablename = %s",
                    (json.dumps(listing), error, schema, table),
                )
            connection.commit()
        except Exception:
            connection.rollback()
            raise


def _literal(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def _check_text_widths(rows, columns, url: str) -> None:
    """A Glue `string` reaches Redshift as at most VARCHAR(65535) bytes: a longer value fails the scan."""
    import pyarrow.compute as pc

    from customer_mart.spectrum import SpectrumError

    for name, glue_type in columns:
        if glue_type != "string":
            continue
        lengths = pc.binary_length(rows.column(name))
        longest = pc.max(lengths).as_py()
        if longest is not None and longest > VARCHAR_MAX_BYTES:
            raise SpectrumError(
                f"File '{url}': column '{name}' holds a value of {longest} bytes, longer than the "
                f"{VARCHAR_MAX_BYTES} bytes of Redshift's widest VARCHAR"
            )


def _copy_rows(cursor, relation: str, rows) -> None:
    """The rows as stored, into the child table: COPY of pyarrow's CSV (shortest round-trip floats,
    strings quoted, NULL unquoted and empty). A UTC-adjusted timestamp keeps its instant and loses
    its zone label, as Spectrum presents TIMESTAMP (without zone)."""
    import pyarrow as pa
    import pyarrow.csv

    for index, field in enumerate(rows.schema):
        if pa.types.is_timestamp(field.type) and field.type.tz is not None:
            rows = rows.set_column(
                index,
                pa.field(field.name, pa.timestamp(field.type.unit)),
                rows.column(index).cast(pa.timestamp(field.type.unit)),
            )
    buffer = io.BytesIO()
    pyarrow.csv.write_csv(rows, buffer, pyarrow.csv.WriteOptions(include_header=False))
    buffer.seek(0)
    names = ", ".join(_quote(name) for name in rows.column_names)
    cursor.copy_expert(f"copy {relation} ({names}) from stdin with (format csv)", buffer)


def rewrite_pseudo_columns(sql: str, external_schemas: set[str]) -> str:
    """`"$path"` and `"$size"` of an external table in scope, as functions of the row's child table;
    any other column of those names (a CTE's, a fixture's) left alone."""
    if not PSEUDO_COLUMN.search(masked(sql)):
        return sql
    import sqlglot
    from sqlglot import exp
    from sqlglot.optimizer.scope import traverse_scope

    try:
        trees = [tree for tree in sqlglot.parse(sql, read="redshift") if tree is not None]
    except sqlglot.errors.ParseError as error:
        raise StandInError(
            f"the stand-in cannot find the table of a pseudo-column: {str(error).splitlines()[0]}"
        ) from None
    replacements: list[tuple[int, int, str]] = []
    for tree in trees:
        for scope in traverse_scope(tree):
            external = {
                name: source
                for name, source in scope.sources.items()
                if isinstance(source, exp.Table) and source.db.lower() in external_schemas
            }
            for column in scope.columns:
                if not (column.this.quoted and column.name.lower() in {"$path", "$size"}):
                    continue
                if column.table:
                    if column.table not in external:
                        continue
                    alias = column.table
                elif len(external) == 1:
                    alias = next(iter(external))
                elif external:
                    raise StandInError(f'column reference "{column.name}" is ambiguous')
                else:
                    continue
                parts = [part for part in column.parts if part.meta.get("start") is not None]
                start = min(part.meta["start"] for part in parts)
                end = column.this.meta["end"] + 1
                qualifier = exp.to_identifier(alias).sql("postgres")
                replacements.append((start, end, f'stand_in."{column.name.lower()}"({qualifier}.tableoid)'))
    for start, end, text in sorted(set(replacements), reverse=True):
        sql = sql[:start] + text + sql[end:]
    return sql


def rewrite(sql: str) -> str:
    """The statement as PostgreSQL runs it (after the pseudo-columns)."""
    for pattern, replacement, _why in REWRITES:
        sql = re.sub(pattern, replacement, sql, flags=re.IGNORECASE)
    return sql


def written_tables(sql: str) -> list[str]:
    """The tables a statement writes, as written in it (INSERT, UPDATE, MERGE, CREATE TABLE)."""
    return [match["name"] for match in WRITES.finditer(masked(sql))]


_current = threading.local()


def current_node() -> str:
    return getattr(_current, "node", None) or "connection"


class StandInCursor:
    """The part of redshift_connector's cursor that dbt-redshift uses."""

    def __init__(self, connection: StandInConnection) -> None:
        self._connection = connection
        self._cursor = connection.postgres.cursor()

    @property
    def description(self):
        if self._cursor.description is None:
            return None
        return [
            (column.name, column.type_code, None, None, None, None, None)
            for column in self._cursor.description
        ]

    @property
    def rowcount(self) -> int:
        return self._cursor.rowcount

    def execute(self, operation: str, args=None, *more, **kwargs):
        error = None
        try:
            self._execute(operation, args)
        except (
            psycopg2.Error,
            StandInError,
            redshift_s3.RedshiftS3Error,
            redshift_connector.ProgrammingError,
        ) as exc:
            error = (exc.pgerror or str(exc)) if isinstance(exc, psycopg2.Error) else str(exc)
            error = error.strip()
            if isinstance(exc, redshift_connector.ProgrammingError):
                raise
            raise redshift_connector.ProgrammingError(error) from exc
        finally:
            self._connection.log(operation, error)
        return self

    def _execute(self, operation: str, args) -> None:
        stand_in, postgres = self._connection.stand_in, self._connection.postgres
        code = masked(operation)
        external = EXTERNAL_SCHEMA.match(masked(operation, strings=False))
        if external:
            stand_in.create_external_schema(external, self._connection.user)
            self._cursor.execute("do $$ begin end $$")
            return
        # UNLOAD and COPY ... FROM 's3://...' of Parquet files: redshift_s3.py, on the user's own
        # connection (UNLOAD's query needs SELECT, COPY needs INSERT on its table).
        s3_statement = redshift_s3.handles(operation)
        refused = None if s3_statement else NOT_EMULATED.match(code)
        if refused:
            raise StandInError(
                f"{' '.join(refused['what'].split()).upper()}: not emulated by the Redshift stand-in "
                "(not a form the project runs)"
            )
        external_schemas = stand_in.external_schemas()
        if external_schemas:
            stand_in.read_external_tables()
        if s3_statement:
            copy = redshift_s3.COPY.match(operation)
            targets = [copy["table"]] if copy else []
        else:
            sql = rewrite(rewrite_pseudo_columns(operation, external_schemas))
            targets = written_tables(operation)
        self._refuse_external_writes(targets, external_schemas)
        began = False
        if (
            targets
            and postgres.autocommit
            and (postgres.info.transaction_status == psycopg2.extensions.TRANSACTION_STATUS_IDLE)
        ):
            self._cursor.execute("begin")
            began = True
        try:
            if s3_statement:
                redshift_s3.execute(self._cursor, operation)
            else:
                self._cursor.execute(sql, args)
            if targets:
                self._check_written(targets)
            if began:
                self._cursor.execute("commit")
        except Exception:
            if began:
                postgres.rollback() if not postgres.autocommit else self._rollback()
            raise

    def _rollback(self) -> None:
        with self._connection.postgres.cursor() as cursor:
            cursor.execute("rollback")

    @staticmethod
    def _parts(name: str) -> list[str]:
        """A table name as written (`"db"."schema"."t"`, `schema.t`, `t`) as [schema, table] or [table]."""
        parts = [_unquote(part) for part in re.findall(r'"(?:[^"]|"")+"|[^.\s]+', name)]
        return parts[1:] if len(parts) == 3 else parts

    def _refuse_external_writes(self, targets: list[str], external_schemas: set[str]) -> None:
        for name in targets:
            parts = self._parts(name)
            if len(parts) == 2 and parts[0] in external_schemas:
                raise StandInError(
                    f"{'.'.join(parts)}: you can't create local tables in an external schema or write to "
                    "an external table (AWS, CREATE EXTERNAL SCHEMA)"
                )

    def _check_written(self, targets: list[str]) -> None:
        with self._connection.postgres.cursor() as cursor:
            for name in targets:
                cursor.execute("select to_regclass(%s)", (".".join(_quote(p) for p in self._parts(name)),))
                relation = cursor.fetchone()[0]
                if relation is not None:
                    cursor.execute("select stand_in.check_varchar_bytes(%s::regclass)", (relation,))

    def fetchone(self):
        return self._cursor.fetchone()

    def fetchall(self):
        return self._cursor.fetchall()

    def fetchmany(self, size=None):
        return self._cursor.fetchmany(size) if size is not None else self._cursor.fetchmany()

    def close(self) -> None:
        self._cursor.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        self.close()


class StandInConnection:
    """The part of redshift_connector's connection that dbt-redshift uses, over psycopg2."""

    _lock = threading.Lock()

    def __init__(self, stand_in: StandIn, postgres, user: str, log_path: Path | None) -> None:
        self.stand_in = stand_in
        self.postgres = postgres
        self.user = user
        self.log_path = log_path

    @property
    def autocommit(self) -> bool:
        return self.postgres.autocommit

    @autocommit.setter
    def autocommit(self, value: bool) -> None:
        self.postgres.autocommit = value

    def cursor(self) -> StandInCursor:
        return StandInCursor(self)

    def commit(self) -> None:
        self.postgres.commit()

    def rollback(self) -> None:
        self.postgres.rollback()

    def close(self) -> None:
        self.postgres.close()

    def log(self, sql: str, error: str | None) -> None:
        if self.log_path is None:
            return
        line = json.dumps({"node": current_node(), "sql": sql, "error": error})
        with self._lock, self.log_path.open("a") as out:
            out.write(line + "\n")


def read_log(path: Path) -> list[dict]:
    """The statements a stand-in run sent, in order."""
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def install_adapter_shims(stand_in: StandIn, log_path: Path) -> None:
    """Replace redshift_connector.connect (as dbt-redshift imported it) with the stand-in's, and
    record which dbt node each statement comes from."""
    from dbt.adapters.redshift import connections

    def connect(**kwargs) -> StandInConnection:
        user = kwargs.get("user") or kwargs.get("db_user")
        if not user:
            raise redshift_connector.InterfaceError("the stand-in needs the profile's user")
        return StandInConnection(stand_in, stand_in.postgres(user, kwargs.get("database")), user, log_path)

    original_add_query = connections.RedshiftConnectionManager.add_query

    def add_query(self, sql, *args, **kwargs):
        connection = self.get_if_exists()
        _current.node = connection.name if connection is not None else None
        return original_add_query(self, sql, *args, **kwargs)

    connections.RedshiftConnectionManager.add_query = add_query
    connections.redshift_connector.connect = connect


def main(argv: list[str]) -> int:
    stand_in = StandIn.from_file(os.environ["STAND_IN_CONFIG"])
    install_adapter_shims(stand_in, Path(os.environ["STAND_IN_LOG"]))
    if argv[:1] == ["--smoke"]:
        from customer_mart.smoke import main as smoke

        return smoke(argv[1:])
    if argv[:1] == ["--segment"]:
        from customer_mart.cli import main as customer_mart

        return customer_mart(["segment", *argv[1:]])
    from dbt.cli.main import dbtRunner

    result = dbtRunner().invoke(argv)
    return 0 if result.success else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
