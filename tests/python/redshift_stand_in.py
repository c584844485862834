"""A test-only stand-in for Redshift: the real dbt-redshift adapter, with `redshift_connector.connect`
replaced by a connection that forwards every statement to a PostgreSQL server.

    python redshift_stand_in.py <dbt arguments>

reads two environment variables: STAND_IN_POSTGRES (JSON: host, port, user, dbname) and
STAND_IN_LOG (a file; every statement the adapter sends is appended to it as one JSON line:
{"node": the dbt node whose connection sent it, "sql": as sent, "error": PostgreSQL's error or null}).

What only Redshift has is rewritten before it reaches PostgreSQL, by REWRITES below (each with why),
or answered by objects that `install_shims` creates once in the database, as an admin would:

- `diststyle ...`, `distkey(...)`, `[compound|interleaved] sortkey(...)`: physical layout, no effect
  on results; dropped.
- `with no schema binding` (late-binding views): PostgreSQL views always bind; dropped.
- `create external schema ... from data catalog ...` (Spectrum over Glue): a plain schema, which
  the rehearsal has filled beforehand with the raw tables typed as the Glue tables declare them;
  the Glue database it names is recorded in `svv_external_schemas`, as Redshift does.
- `pg_catalog.svv_external_columns`: Redshift's catalog of external columns; read from a shim view
  in `public` (empty: the raw tables are plain tables here, found through information_schema).
- `getdate()`, `strtol(text, 16)`, `pg_get_late_binding_view_cols()`, `svv_external_schemas`,
  `svv_relation_privileges`: shims in `public` that answer from PostgreSQL's own catalog (the
  late-binding view columns come back empty: PostgreSQL's views are bound, and information_schema
  lists their columns).

`UNLOAD` and `COPY ... FROM 's3://...'` of Parquet files are run by redshift_s3.py against S3 (moto
in the tests), by the rules of AWS's reference.

Column types reach dbt as PostgreSQL's type OIDs, which are Redshift's too, named by
redshift_connector's own table (`get_datatype_name`), as on a cluster.
"""

from __future__ import annotations

import json
import os
import re
import sys
import threading
from pathlib import Path

import psycopg2
import redshift_connector
import redshift_s3

# (pattern, replacement, why): applied in order, case-insensitively, to every statement.
REWRITES: list[tuple[str, str, str]] = [
    (r"\bwith\s+no\s+schema\s+binding\b", "", "late-binding views: PostgreSQL views always bind"),
    (r"\bdiststyle\s+(?:all|even|auto|key)\b", "", "data distribution: layout only"),
    (r"\bdistkey\s*\(\s*[^)]*\)", "", "data distribution: layout only"),
    (r"\b(?:compound\s+|interleaved\s+)?sortkey\s*\(\s*[^)]*\)", "", "sort order on disk: layout only"),
    (r"\bpg_catalog\.svv_external_columns\b", "public.svv_external_columns", "a shim of Redshift's view"),
]

EXTERNAL_SCHEMA = re.compile(
    r"\bcreate\s+external\s+schema\s+(?:if\s+not\s+exists\s+)?(?P<schema>\w+)\s+"
    r"from\s+data\s+catalog\s+database\s+'(?P<database>[^']+)'",
    re.IGNORECASE | re.DOTALL,
)

SHIMS = """
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

create table if not exists public.stand_in_external_schemas (
    schemaname name primary key,
    databasename varchar(128) not null
);

create or replace view public.svv_external_schemas as
    select schemaname, databasename from public.stand_in_external_schemas;

create or replace view public.svv_external_columns as
    select
        null::name as schemaname, null::name as tablename, null::name as columnname,
        null::varchar as external_type, null::int as columnnum
    where false;

create or replace view public.svv_relation_privileges as
    select
        namespaces.nspname::varchar as namespace_name,
        classes.relname::varchar as relation_name,
        roles.rolname::varchar as identity_name,
        case when roles.rolcanlogin then 'user' else 'group' end as identity_type,
        lower(privileges.privilege_type)::varchar as privilege_type
    from pg_class as classes
    inner join pg_namespace as namespaces on classes.relnamespace = namespaces.oid
    cross join lateral aclexplode(classes.relacl) as privileges
    inner join pg_roles as roles on privileges.grantee = roles.oid;
"""


def install_shims(connection) -> None:
    """Create the Redshift-only functions and views the adapter reads (an admin's one-time step)."""
    with connection.cursor() as cursor:
        cursor.execute(SHIMS)
    connection.commit()


def rewrite(sql: str) -> str:
    """The statement as PostgreSQL runs it."""
    match = EXTERNAL_SCHEMA.search(sql)
    if match:
        schema, database = match["schema"].lower(), match["database"]
        return (
            f"create schema if not exists {schema};"
            " insert into public.stand_in_external_schemas (schemaname, databasename)"
            f" values ('{schema}', '{database}') on conflict (schemaname) do nothing"
        )
    for pattern, replacement, _why in REWRITES:
        sql = re.sub(pattern, replacement, sql, flags=re.IGNORECASE)
    return sql


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
            # UNLOAD and COPY ... FROM 's3://...' (Parquet) run against S3 in redshift_s3.py.
            if redshift_s3.handles(operation):
                redshift_s3.execute(self._cursor, operation)
            else:
                self._cursor.execute(rewrite(operation), args)
        except (psycopg2.Error, redshift_s3.RedshiftS3Error) as exc:
            error = str(exc).strip()
            raise redshift_connector.ProgrammingError(error) from exc
        finally:
            self._connection.log(operation, error)
        return self

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

    def __init__(self, postgres, log_path: Path) -> None:
        self.postgres = postgres
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
        line = json.dumps({"node": current_node(), "sql": sql, "error": error})
        with self._lock, self.log_path.open("a") as out:
            out.write(line + "\n")


def read_log(path: Path) -> list[dict]:
    """The statements a stand-in run sent, in order."""
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def main(argv: list[str]) -> int:
    from dbt.adapters.redshift import connections
    from dbt.cli.main import dbtRunner

    postgres = json.loads(os.environ["STAND_IN_POSTGRES"])
    log_path = Path(os.environ["STAND_IN_LOG"])

    def connect(**kwargs) -> StandInConnection:
        return StandInConnection(psycopg2.connect(**postgres, options="-c timezone=UTC"), log_path)

    original_add_query = connections.RedshiftConnectionManager.add_query

    def add_query(self, sql, *args, **kwargs):
        connection = self.get_if_exists()
        _current.node = connection.name if connection is not None else None
        return original_add_query(self, sql, *args, **kwargs)

    connections.RedshiftConnectionManager.add_query = add_query
    connections.redshift_connector.connect = connect
    result = dbtRunner().invoke(argv)
    return 0 if result.success else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
