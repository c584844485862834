"""Corrupt a raw TheLook dataset in known, counted ways.

`corrupt(raw_dir, out, seed)` copies every table of an existing raw folder (Parquet or CSV, in the
`<table>/<table>-*.parquet|csv` layout) to `out` with faults injected, and returns a manifest: for
each fault kind, how many raw rows it corrupted, the dbt checks that report it (with the number of
rows each must count), and the users it touched. Each kind gets its own users and rows, so every
count is attributable; users touched by no fault must come out of the mart exactly as from the
clean data.

CSV-only faults (quoted numbers, the literal `null`, timestamps with an offset, a truncated last
line) are injected only when the input is CSV: Parquet columns are typed and cannot hold them.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from customer_mart.schema import TABLES

UTC = dt.UTC
# Far enough ahead to stay in the future for as long as the project lives.
FUTURE = dt.datetime(2100, 1, 1, tzinfo=UTC)
# Picked users signed up at least this long before the newest user, so they belong to the
# population of any as_of_date the tests use, before and after corruption.
USER_AGE = dt.timedelta(days=400)
# Picked order items and events happened at least this long before the newest one, clear of the
# timestamps in the future that real exports already carry.
ROW_AGE = dt.timedelta(days=30)
STATUSES = ("Complete", "Cancelled", "Returned", "Processing", "Shipped")


@dataclass
class Fault:
    """One kind of corruption, as injected."""

    table: str
    description: str
    rows: int
    # dbt test name -> how many more rows it returns because of this fault
    reported_by: dict[str, int]
    user_ids: list[int] = field(default_factory=list)
    # False when the staging rules must undo the fault: the users' features stay as they were.
    changes_features: bool = True
    # True when the fault takes the users out of the mart's population (sign-up in the future).
    leaves_population: bool = False
    # True when only CSV can hold the fault (see CSV_ONLY).
    csv_only: bool = False


class _Literal(str):
    """A CSV cell written exactly as is, without quotes (such as the word null)."""


class _Quoted(str):
    """A CSV cell written in double quotes even though it needs none (such as a number)."""


@dataclass
class _Table:
    name: str
    base: pa.Table
    removed: set[int] = field(default_factory=set)
    appended: list[dict[str, Any]] = field(default_factory=list)
    cut_last_row_after: str | None = None

    def row(self, index: int) -> dict[str, Any]:
        return self.base.slice(index, 1).to_pylist()[0]

    def replace(self, index: int, row: dict[str, Any]) -> None:
        self.removed.add(index)
        self.appended.append(row)


class _Dataset:
    """The raw tables being corrupted, and how to read and write their values."""

    def __init__(self, raw_dir: Path, rng: np.random.Generator) -> None:
        self.rng = rng
        self.text = not any(any((raw_dir / t).glob("*.parquet")) for t in TABLES)
        self.tables = {name: _Table(name, _read_table(raw_dir / name, self.text)) for name in TABLES}
        self.taken_users: set[int] = set()
        self.taken_rows: dict[str, set[int]] = {name: set() for name in TABLES}
        self._index()

    # Values: typed (Parquet) or text (CSV).
    def integer(self, value: Any) -> int | None:
        if value is None or str(value).strip() == "":
            return None
        return int(str(value).strip())

    def number(self, value: Any) -> float | None:
        if value is None or str(value).strip() == "":
            return None
        return float(value)

    def timestamp(self, value: Any) -> dt.datetime | None:
        if value is None:
            return None
        if isinstance(value, dt.datetime):
            return value if value.tzinfo else value.replace(tzinfo=UTC)
        text = str(value).strip()
        if not text:
            return None
        parsed = dt.datetime.fromisoformat(text.replace(" UTC", "+00:00"))
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)

    def put_integer(self, value: int | None) -> Any:
        return value if not self.text or value is None else str(value)

    def put_number(self, value: float | None) -> Any:
        return value if not self.text or value is None else repr(value)

    def put_timestamp(self, value: dt.datetime | None) -> Any:
        if value is None or not self.text:
            return value
        text = value.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S")
        return text + (f".{value.microsecond:06d}" if value.microsecond else "")

    # Which users and rows may be picked: a unique key and no anomaly of their own, so that a copy
    # or an edit adds exactly the rows the manifest says to every check. Found with DuckDB over the
    # Arrow tables, which keeps this fast on 100,000 users.
    def _eligible(self, name: str, condition: str, age: dt.timedelta) -> list[tuple[int, int]]:
        """(row index, user id) of the rows of `name` that are clean and older than `age`."""
        import duckdb

        table = self.tables[name].base
        rows = table.append_column("_row", pa.array(np.arange(table.num_rows, dtype=np.int64)))
        owner = "id" if name == "users" else "user_id"
        created = "try_cast(created_at as timestamptz)"
        sql = f"""
            with unique_keys as (
                select try_cast(id as bigint) as id from rows group by 1 having count(*) = 1
            )
            select _row, cast({owner} as bigint)
            from rows
            where
                try_cast(id as bigint) in (select id from unique_keys)
                and {created} < (select max({created}) from rows) - to_seconds({age.total_seconds()})
                and try_cast({owner} as bigint) is not null
                and {condition}
            order by _row
        """
        with duckdb.connect() as con:
            con.execute("set TimeZone = 'UTC'")
            con.register("rows", rows)
            return [(int(i), int(u)) for i, u in con.execute(sql).fetchall()]

    def _index(self) -> None:
        ids = pc.cast(self.tables["users"].base.column("id"), pa.int64())
        self.max_user_id = pc.max(ids).as_py()
        located = """
            try_cast(latitude as double) between -90 and 90
            and try_cast(longitude as double) between -180 and 180
        """
        self.user_row = {user: row for row, user in self._eligible("users", located, USER_AGE)}
        statuses = ", ".join(f"'{s}'" for s in STATUSES)
        conditions = {
            "order_items": f"status in ({statuses}) and try_cast(sale_price as double) >= 0",
            "events": "traffic_source is not null",
        }
        self.rows_of_user: dict[str, dict[int, list[int]]] = {}
        for name, condition in conditions.items():
            by_user: dict[int, list[int]] = {}
            for row, user in self._eligible(name, condition, ROW_AGE):
                by_user.setdefault(user, []).append(row)
            self.rows_of_user[name] = by_user

    def pick_users(self, count: int, having: str | None = None) -> list[int]:
        """`count` users no other fault has touched (with rows in table `having`, if given)."""
        pool = sorted(
            u
            for u in self.user_row
            if u not in self.taken_users and (having is None or self.rows_of_user[having].get(u))
        )
        chosen = sorted(int(u) for u in self.rng.choice(pool, size=count, replace=False))
        self.taken_users.update(chosen)
        return chosen

    def pick_row(self, table: str, user_id: int) -> int:
        """One row of `table` belonging to `user_id`, not yet picked."""
        rows = [r for r in self.rows_of_user[table][user_id] if r not in self.taken_rows[table]]
        index = int(self.rng.choice(rows))
        self.taken_rows[table].add(index)
        return index

    def next_ids(self, table: str, count: int) -> list[int]:
        ids = pc.cast(self.tables[table].base.column("id"), pa.int64())
        start = pc.max(ids).as_py() + 1 + len(self.tables[table].appended)
        return list(range(start, start + count))


def _read_table(folder: Path, text: bool) -> pa.Table:
    if not text:
        parts = [pq.read_table(p) for p in sorted(folder.glob("*.parquet"))]
        return pa.concat_tables(parts, promote_options="default")
    parts = []
    for path in sorted(folder.glob("*.csv")):
        with path.open(newline="") as handle:
            header = next(csv.reader(handle))
        options = pacsv.ConvertOptions(
            column_types=dict.fromkeys(header, pa.string()),
            strings_can_be_null=True,
            null_values=[""],
        )
        parts.append(pacsv.read_csv(path, convert_options=options))
    return pa.concat_tables(parts, promote_options="default")


# The faults. Each takes the dataset and a row count, corrupts it and says what it did.
FaultMaker = Callable[[_Dataset, int], Fault]


def _copy_rows(table: str, check: str, description: str) -> FaultMaker:
    def make(data: _Dataset, count: int) -> Fault:
        having = None if table == "users" else table
        users = data.pick_users(count, having=having)
        for user_id in users:
            index = data.user_row[user_id] if table == "users" else data.pick_row(table, user_id)
            data.tables[table].appended.append(data.tables[table].row(index))
        return Fault(table, description, count, {check: count}, users, changes_features=False)

    return make


def _edit_rows(
    table: str,
    check: str | None,
    description: str,
    edit: Callable[[_Dataset, dict[str, Any], int], dict[str, Any]],
    *,
    append: bool = False,
    changes_features: bool = True,
    leaves_population: bool = False,
) -> FaultMaker:
    """Each picked user's row (users) or one of their rows (other tables) is edited in place, or
    an edited copy is added (`append`)."""

    def make(data: _Dataset, count: int) -> Fault:
        having = None if table == "users" else table
        users = data.pick_users(count, having=having)
        for number, user_id in enumerate(users):
            index = data.user_row[user_id] if table == "users" else data.pick_row(table, user_id)
            edited = edit(data, data.tables[table].row(index), number)
            if append:
                data.tables[table].appended.append(edited)
            else:
                data.tables[table].replace(index, edited)
        return Fault(
            table,
            description,
            count,
            {check: count} if check else {},
            users,
            changes_features=changes_features,
            leaves_population=leaves_population,
        )

    return make


def _rows_for_unknown_users(table: str, check: str, description: str) -> FaultMaker:
    def make(data: _Dataset, count: int) -> Fault:
        donors = data.pick_users(count, having=table)
        new_ids = data.next_ids(table, count)
        for number, (donor, new_id) in enumerate(zip(donors, new_ids, strict=True)):
            row = dict(data.tables[table].row(data.pick_row(table, donor)))
            row["id"] = data.put_integer(new_id)
            row["user_id"] = data.put_integer(data.max_user_id + 1000 + number)
            data.tables[table].appended.append(row)
        # The donors' own rows are unchanged; the new rows belong to nobody in the mart.
        return Fault(table, description, count, {check: count}, [], changes_features=False)

    return make


def _later(data: _Dataset, row: dict[str, Any], minutes: int = 60) -> Any:
    return data.put_timestamp(data.timestamp(row["created_at"]) + dt.timedelta(minutes=minutes))


def _conflicting_user(data: _Dataset, row: dict[str, Any], number: int) -> dict[str, Any]:
    age = data.integer(row["age"])
    return row | {"age": data.put_integer((age or 30) + 1), "created_at": _later(data, row)}


def _conflicting_item(data: _Dataset, row: dict[str, Any], number: int) -> dict[str, Any]:
    price = data.number(row["sale_price"]) or 0.0
    return row | {"sale_price": data.put_number(price + 10.0), "created_at": _later(data, row)}


def _conflicting_event(data: _Dataset, row: dict[str, Any], number: int) -> dict[str, Any]:
    source = "Organic" if row["traffic_source"] != "Organic" else "Email"
    return row | {"traffic_source": source, "created_at": _later(data, row, minutes=1)}


def _null_coordinates(data: _Dataset, row: dict[str, Any], number: int) -> dict[str, Any]:
    # Both missing, or only one: either way the customer has no position.
    return row | ({"latitude": None, "longitude": None} if number % 2 == 0 else {"longitude": None})


def _out_of_range_coordinates(data: _Dataset, row: dict[str, Any], number: int) -> dict[str, Any]:
    values = [{"latitude": 91.5}, {"longitude": -180.25}, {"latitude": -450.0, "longitude": 540.0}]
    return row | {k: data.put_number(v) for k, v in values[number % len(values)].items()}


def _future(data: _Dataset, row: dict[str, Any], number: int) -> dict[str, Any]:
    return row | {"created_at": data.put_timestamp(FUTURE + dt.timedelta(days=number, hours=number))}


def _respelled_status(data: _Dataset, row: dict[str, Any], number: int) -> dict[str, Any]:
    status = str(row["status"]).strip()
    spellings = [status.upper(), f"  {status.lower()} ", status[:2] + " " + status[2:].lower()]
    return row | {"status": spellings[number % len(spellings)]}


def _unknown_status(data: _Dataset, row: dict[str, Any], number: int) -> dict[str, Any]:
    return row | {"status": ["Lost in transit", "on hold", "REFUNDED"][number % 3]}


def _negative_price(data: _Dataset, row: dict[str, Any], number: int) -> dict[str, Any]:
    return row | {"sale_price": data.put_number(-abs(data.number(row["sale_price"]) or 1.0))}


# Amounts no mart column can hold, each as a float (Parquet) and as an export writes it (CSV).
_IMPOSSIBLE_AMOUNTS = [
    (float("inf"), "Infinity"),
    (float("-inf"), "-Infinity"),
    (float("nan"), "NaN"),
    (1e15, "1e15"),
    (-2.5e10, "-25000000000"),
]


def _impossible_amount(data: _Dataset, number: int) -> Any:
    value, spelled = _IMPOSSIBLE_AMOUNTS[number % len(_IMPOSSIBLE_AMOUNTS)]
    return spelled if data.text else value


def _impossible_price(data: _Dataset, row: dict[str, Any], number: int) -> dict[str, Any]:
    return row | {"sale_price": _impossible_amount(data, number)}


def _impossible_costs(data: _Dataset, count: int) -> Fault:
    """The cost of the stock unit sold in one order item of each picked user: an amount no mart
    column can hold. Only stock units sold once, and listed once, so that no other user's
    gross profit moves."""
    items = data.tables["order_items"].base
    sold: dict[int | None, int] = {}
    for value in items.column("inventory_item_id").to_pylist():
        sold[data.integer(value)] = sold.get(data.integer(value), 0) + 1
    stock: dict[int | None, list[int]] = {}
    for index, value in enumerate(data.tables["inventory_items"].base.column("id").to_pylist()):
        stock.setdefault(data.integer(value), []).append(index)
    users: list[int] = []
    while len(users) < count:
        (user_id,) = data.pick_users(1, having="order_items")
        unit = data.integer(
            data.tables["order_items"].row(data.pick_row("order_items", user_id))["inventory_item_id"]
        )
        if unit is None or sold.get(unit) != 1 or len(stock.get(unit, [])) != 1:
            continue
        index = stock[unit][0]
        row = data.tables["inventory_items"].row(index)
        data.tables["inventory_items"].replace(index, row | {"cost": _impossible_amount(data, len(users))})
        users.append(user_id)
    return Fault(
        "inventory_items",
        "a stock unit's cost not an amount (infinite, NaN, 1e15 or beyond -10 billion)",
        count,
        {"warn_inventory_items_with_out_of_range_cost": count},
        sorted(users),
    )


def _with_offset(data: _Dataset, row: dict[str, Any], number: int) -> dict[str, Any]:
    """The same instant, written in another time zone: staging must land on the same UTC time."""
    hours, minutes = [(2, 0), (-5, 0), (5, 30), (9, 0)][number % 4]
    offset = dt.timedelta(hours=hours, minutes=minutes if hours >= 0 else -minutes)
    local = data.timestamp(row["created_at"]).astimezone(dt.timezone(offset))
    return row | {"created_at": local.isoformat(sep=" ")}


def _quoted_numbers(data: _Dataset, row: dict[str, Any], number: int) -> dict[str, Any]:
    return row | {c: _Quoted(row[c]) for c in ("id", "age", "latitude", "longitude") if row[c] is not None}


def _null_literal(data: _Dataset, row: dict[str, Any], number: int) -> dict[str, Any]:
    return row | {"created_at": _Literal(["null", "NULL"][number % 2])}


def _set(**values: Any) -> Callable[[_Dataset, dict[str, Any], int], dict[str, Any]]:
    return lambda data, row, number: row | values


def _truncated_last_line(data: _Dataset, count: int) -> Fault:
    """The users file ends in the middle of a row, after its `country` field."""
    (user_id,) = data.pick_users(1)
    users = data.tables["users"]
    index = data.user_row[user_id]
    users.replace(index, users.row(index))
    users.cut_last_row_after = "country"
    checks = {
        "warn_users_rows_cut_short": 1,
        "warn_users_without_coordinates": 1,
        "warn_users_without_created_at": 1,
    }
    description = "the users file's last line is cut after the country field"
    return Fault("users", description, 1, checks, [user_id])


FAULTS: dict[str, FaultMaker] = {
    "users.duplicate_rows": _copy_rows("users", "warn_users_duplicate_rows", "a user's row repeated exactly"),
    "users.conflicting_records": _edit_rows(
        "users",
        "warn_users_conflicting_records",
        "a user id repeated with another age and a later created_at",
        _conflicting_user,
        append=True,
    ),
    "users.null_id": _edit_rows(
        "users",
        "warn_users_with_null_id",
        "a copy of a user's row without its id",
        _set(id=None),
        append=True,
        changes_features=False,
    ),
    "users.null_coordinates": _edit_rows(
        "users", "warn_users_without_coordinates", "latitude and/or longitude missing", _null_coordinates
    ),
    "users.out_of_range_coordinates": _edit_rows(
        "users",
        "warn_users_with_out_of_range_coordinates",
        "latitude outside [-90, 90] or longitude outside [-180, 180]",
        _out_of_range_coordinates,
    ),
    "users.null_created_at": _edit_rows(
        "users",
        "warn_users_without_created_at",
        "sign-up time missing",
        _set(created_at=None),
        changes_features=False,
    ),
    "users.future_created_at": _edit_rows(
        "users",
        "warn_users_created_in_the_future",
        "sign-up time in the future",
        _future,
        leaves_population=True,
    ),
    "order_items.duplicate_rows": _copy_rows(
        "order_items", "warn_order_items_duplicate_rows", "an order item's row repeated exactly"
    ),
    "order_items.conflicting_records": _edit_rows(
        "order_items",
        "warn_order_items_conflicting_records",
        "an order item id repeated with another price and a later created_at",
        _conflicting_item,
        append=True,
    ),
    "order_items.status_in_other_spelling": _edit_rows(
        "order_items",
        "warn_order_items_with_status_in_other_spelling",
        "status in other letter case or with spaces",
        _respelled_status,
        changes_features=False,
    ),
    "order_items.unknown_status": _edit_rows(
        "order_items",
        "warn_order_items_with_unknown_status",
        "status none of Complete, Cancelled, Returned, Processing, Shipped",
        _unknown_status,
    ),
    "order_items.null_user_id": _edit_rows(
        "order_items", "warn_order_items_without_user", "user id missing", _set(user_id=None)
    ),
    "order_items.unknown_user": _rows_for_unknown_users(
        "order_items", "warn_order_items_for_unknown_users", "order items of users that do not exist"
    ),
    "order_items.null_sale_price": _edit_rows(
        "order_items", "warn_order_items_without_sale_price", "sale price missing", _set(sale_price=None)
    ),
    "order_items.negative_sale_price": _edit_rows(
        "order_items", "warn_order_items_with_negative_sale_price", "sale price below zero", _negative_price
    ),
    "order_items.impossible_sale_price": _edit_rows(
        "order_items",
        "warn_order_items_with_out_of_range_sale_price",
        "sale price not an amount: infinite, NaN, 1e15 or beyond -10 billion",
        _impossible_price,
    ),
    "inventory_items.impossible_cost": _impossible_costs,
    "order_items.future_created_at": _edit_rows(
        "order_items", "warn_order_items_created_in_the_future", "order time in the future", _future
    ),
    "events.duplicate_rows": _copy_rows(
        "events", "warn_events_duplicate_rows", "an event's row repeated exactly"
    ),
    "events.conflicting_records": _edit_rows(
        "events",
        "warn_events_conflicting_records",
        "an event id repeated with another traffic source and a later created_at",
        _conflicting_event,
        append=True,
    ),
    "events.unknown_user": _rows_for_unknown_users(
        "events", "warn_events_for_unknown_users", "events of users that do not exist"
    ),
    "events.null_created_at": _edit_rows(
        "events", "warn_events_without_created_at", "event time missing", _set(created_at=None)
    ),
    "events.future_created_at": _edit_rows(
        "events", "warn_events_created_in_the_future", "event time in the future", _future
    ),
    "order_items.created_at_in_other_time_zones": _edit_rows(
        "order_items",
        "warn_order_items_created_at_in_other_time_zones",
        "order time written with a UTC offset (the same instant), among times without one",
        _with_offset,
        changes_features=False,
    ),
    "users.quoted_numbers": _edit_rows(
        "users",
        None,
        "id, age and coordinates in double quotes: valid CSV, read as numbers, no warning",
        _quoted_numbers,
        changes_features=False,
    ),
    "order_items.null_literal_created_at": _edit_rows(
        "order_items",
        "warn_order_items_without_created_at",
        "order time written as the word null or NULL",
        _null_literal,
    ),
    # Last: it moves a row to the end of the users file.
    "users.truncated_last_line": _truncated_last_line,
}
# Faults only a CSV file can hold: Parquet columns are typed.
CSV_ONLY = {
    "order_items.created_at_in_other_time_zones",
    "users.quoted_numbers",
    "order_items.null_literal_created_at",
    "users.truncated_last_line",
}


def corrupt(raw_dir: str | Path, out: str | Path, seed: int = 1) -> dict[str, Any]:
    """Write a corrupted copy of `raw_dir` to `out` and return the manifest (also `out/faults.json`)."""
    raw_dir, out = Path(raw_dir), Path(out)
    rng = np.random.default_rng(seed)
    data = _Dataset(raw_dir, rng)
    faults: dict[str, Fault] = {}
    for kind, make in FAULTS.items():
        if kind in CSV_ONLY and not data.text:
            continue
        faults[kind] = make(data, int(rng.integers(2, 6)))
        faults[kind].csv_only = kind in CSV_ONLY
    for table in data.tables.values():
        _write_table(table, out / table.name, data.text)
    touched = sorted({u for f in faults.values() if f.changes_features for u in f.user_ids})
    manifest = {
        "source": str(raw_dir),
        "format": "csv" if data.text else "parquet",
        "seed": seed,
        "faults": {kind: asdict(fault) for kind, fault in faults.items()},
        "touched_user_ids": touched,
        "expected_warnings": _expected_warnings(faults.values()),
    }
    (out / "faults.json").write_text(json.dumps(manifest, indent=2) + "\n")
    return manifest


def _expected_warnings(faults: Iterable[Fault]) -> dict[str, int]:
    totals: dict[str, int] = {}
    for fault in faults:
        for check, rows in fault.reported_by.items():
            totals[check] = totals.get(check, 0) + rows
    return dict(sorted(totals.items()))


def _write_table(table: _Table, folder: Path, text: bool) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    keep = np.ones(table.base.num_rows, dtype=bool)
    keep[sorted(table.removed)] = False
    base = table.base.filter(pa.array(keep))
    if not text:
        extra = pa.Table.from_pylist(table.appended, schema=table.base.schema)
        pq.write_table(pa.concat_tables([base, extra]), folder / f"{table.name}-000000000000.parquet")
        return
    names = table.base.schema.names
    with (folder / f"{table.name}-000000000000.csv").open("w", newline="") as handle:
        handle.write(",".join(names) + "\n")
        for batch in base.to_batches(max_chunksize=50_000):
            columns = [batch.column(i).to_pylist() for i in range(len(names))]
            handle.writelines(_csv_line(values) + "\n" for values in zip(*columns, strict=True))
        for number, row in enumerate(table.appended, start=1):
            values = [row.get(name) for name in names]
            if number == len(table.appended) and table.cut_last_row_after:
                # No newline either: the file simply stops.
                handle.write(_csv_line(values[: names.index(table.cut_last_row_after) + 1]))
            else:
                handle.write(_csv_line(values) + "\n")


def _csv_line(values: Iterable[Any]) -> str:
    return ",".join(_csv_cell(v) for v in values)


def _csv_cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, _Literal):
        return str(value)
    text = str(value)
    if isinstance(value, _Quoted) or text != text.strip() or any(c in text for c in ',"\r\n'):
        return '"' + text.replace('"', '""') + '"'
    return text


def summary(manifest: dict[str, Any]) -> str:
    """The manifest as a table people read: fault, rows, the checks that report it."""
    out = io.StringIO()
    for kind, fault in manifest["faults"].items():
        checks = ", ".join(f"{c} +{n}" for c, n in fault["reported_by"].items()) or "(no warning)"
        out.write(f"{kind:45} {fault['rows']:3}  {checks}\n")
    return out.getvalue()
