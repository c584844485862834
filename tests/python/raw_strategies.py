"""Hypothesis strategies for small raw TheLook datasets, written as CSV text, that walk the staging
and feature rules' whole input space: repeated and corrected ids with ties, NULLs in every column
(written empty, `null` or `NULL`, quoted or not), statuses in any spelling, timestamps on the
feature window's edges with and without a UTC offset, leap days, coordinates at the poles, on the
antimeridian and out of range, equal distances to two centers, and purchase amounts at the cent
around each profit threshold.

Only the columns the mart reads are drawn; the others are NULL.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import shutil
from dataclasses import dataclass
from pathlib import Path

from hypothesis import strategies as st

from customer_mart.schema import COLUMNS

# as_of_date: leap days and their neighbours, so the window starts on Feb 28, Feb 29 or Mar 1,
# and the 29th, 30th and 31st of ordinary months (only Feb 29 moves the window's start).
AS_OF_DATES = [
    dt.date(2024, 2, 29),
    dt.date(2024, 3, 1),
    dt.date(2025, 3, 1),
    dt.date(2025, 2, 28),
    dt.date(2024, 2, 28),
    dt.date(2023, 12, 31),
    dt.date(2025, 3, 29),
    dt.date(2024, 4, 30),
    dt.date(2025, 1, 31),
]
OFFSETS = ["+00:00", "+01:00", "-05:00", "+05:30", "+14:00", "-12:00", "+02"]
NULLS = ["", "null", "NULL"]

USER_IDS = [1, 2, 3, 4, 5]
STATUS_SPELLINGS = [
    "Complete", "complete", " COMPLETE ", "Com plete", "Cancelled", "CANCELLED", " cancelled",
    "Can celled", "Returned", "returned ", "RETURNED", "Re turned", "Processing", "shipped",
    "Lost in transit", "  ",
]  # fmt: skip
# Prices whose sums land on, or a cent either side of, $50 and $150; 25.005 and 24.995 round to
# the cent; 0.1 and 0.2 carry float noise; a negative price is unknown.
PRICES = [
    "50", "49.99", "50.01", "0.01", "100", "99.99", "100.01", "149.99", "150", "150.01",
    "0.1", "0.2", "25.005", "24.995", "75.005", "0", "-5",
]  # fmt: skip
# Customers and centers on the equator and meridians (mirror images give exactly equal distances),
# at the poles, on the antimeridian (180 and -180 are the same meridian) and out of range.
LATITUDES = ["0", "10", "-10", "90", "-90", "45.5", "90.0001", "-91", "1e1"]
LONGITUDES = ["0", "10", "-10", "90", "-90", "180", "-180", "179.5", "-179.5", "180.5", "-181"]
CENTER_NAMES = ["A", "B", " C ", "a", ""]
COUNTRIES = ["France", " France ", "United States", "   ", 'Côte "d" Ivoire, X']
SOURCES = ["Email", " Email ", "email", "Adwords", "Facebook", "YouTube", "Organic", " "]


@dataclass
class RawCase:
    """One generated dataset: as_of_date and, per table, rows of raw CSV text (None = NULL)."""

    as_of: dt.date
    tables: dict[str, list[dict[str, str | None]]]
    quote_all: dict[str, bool]
    null_spelling: dict[str, str]
    cut_short: dict[str, int]

    def write(self, raw_dir: Path) -> None:
        """Write every table (header-only when empty) as `<raw_dir>/<table>/<table>-000000000000.csv`."""
        for table, columns in COLUMNS.items():
            names = [name for name, _ in columns]
            folder = raw_dir / table
            if folder.exists():
                shutil.rmtree(folder)
            folder.mkdir(parents=True)
            buffer = io.StringIO()
            quoting = csv.QUOTE_ALL if self.quote_all.get(table) else csv.QUOTE_MINIMAL
            writer = csv.writer(buffer, quoting=quoting, lineterminator="\n")
            writer.writerow(names)
            null = self.null_spelling.get(table, "")
            rows = self.tables.get(table, [])
            for number, row in enumerate(rows, start=1):
                values = [null if row.get(name) is None else row[name] for name in names]
                if number == len(rows) and self.cut_short.get(table):
                    # A truncated last line: its leading fields, no newline.
                    line = io.StringIO()
                    csv.writer(line, quoting=quoting, lineterminator="").writerow(
                        values[: self.cut_short[table]]
                    )
                    buffer.write(line.getvalue())
                else:
                    writer.writerow(values)
            (folder / f"{table}-000000000000.csv").write_text(buffer.getvalue())

    def __repr__(self) -> str:
        lines = [f"RawCase(as_of={self.as_of}, quote_all={self.quote_all}, nulls={self.null_spelling}, "]
        lines.append(f"  cut_short={self.cut_short},")
        for table, rows in self.tables.items():
            lines.append(f"  {table}:")
            lines += [f"    {row}" for row in rows]
        return "\n".join(lines) + ")"


def window_instants(as_of: dt.date) -> list[dt.datetime]:
    """UTC instants on and around the feature window's edges and the leap days near them."""
    day = 28 if (as_of.month, as_of.day) == (2, 29) else as_of.day
    start = dt.datetime.combine(as_of.replace(year=as_of.year - 1, day=day), dt.time())
    end = dt.datetime.combine(as_of, dt.time())
    tick, second = dt.timedelta(microseconds=1), dt.timedelta(seconds=1)
    instants = [
        start - second, start - tick, start, start + tick,
        end - second, end - tick, end, end + second,
        start + dt.timedelta(days=100, hours=12), end - dt.timedelta(days=1),
        start - dt.timedelta(days=1), end + dt.timedelta(days=1), dt.datetime(2001, 1, 1),
    ]  # fmt: skip
    for year in (as_of.year - 1, as_of.year):
        instants += [dt.datetime(year, 2, 28, 23, 59, 59), dt.datetime(year, 3, 1)]
        if year % 4 == 0:
            instants += [dt.datetime(year, 2, 29), dt.datetime(year, 2, 29, 23, 59, 59, 999999)]
    return instants


@st.composite
def timestamp_text(draw: st.DrawFn, instants: list[dt.datetime]) -> str | None:
    """An instant written as an export might: with or without a UTC offset, `T` or a space,
    BigQuery's ` UTC` suffix, a bare date at midnight; or NULL."""
    if draw(st.integers(0, 9)) == 0:
        return None
    instant = draw(st.sampled_from(instants))
    style = draw(st.sampled_from(["naive", "T", "offset", "utc", "date"]))
    if style == "offset":
        offset = draw(st.sampled_from(OFFSETS))
        sign = -1 if offset[0] == "-" else 1
        hours, _, minutes = offset[1:].partition(":")
        delta = sign * dt.timedelta(hours=int(hours), minutes=int(minutes or 0))
        local = instant + delta
        return local.isoformat(sep=" ") + offset
    if style == "date" and instant.time() == dt.time():
        return instant.date().isoformat()
    written = instant.isoformat(sep="T" if style == "T" else " ")
    return written + " UTC" if style == "utc" else written


def maybe(values: list[str]) -> st.SearchStrategy[str | None]:
    """One of `values`, or NULL now and then."""
    return st.one_of(st.none(), st.sampled_from(values)) if values else st.none()


def rows(draw: st.DrawFn, row: st.SearchStrategy[dict], max_size: int) -> list[dict]:
    """Rows, then now and then an exact copy of one of them (a row repeated by the export)."""
    drawn = draw(st.lists(row, max_size=max_size))
    if drawn and draw(st.booleans()):
        drawn.append(dict(drawn[draw(st.integers(0, len(drawn) - 1))]))
    return drawn


@st.composite
def raw_cases(draw: st.DrawFn) -> RawCase:
    as_of = draw(st.sampled_from(AS_OF_DATES))
    when = timestamp_text(window_instants(as_of))
    user_ref = maybe([str(u) for u in [*USER_IDS, 99]])

    users = rows(
        draw,
        st.fixed_dictionaries(
            {
                "id": st.sampled_from([str(u) for u in USER_IDS] + [None]),
                "age": maybe(["0", "30", "31", "120"]),
                "country": maybe(COUNTRIES),
                "state": maybe(["Ohio", " Ohio", "", "Texas"]),
                "latitude": maybe(LATITUDES),
                "longitude": maybe(LONGITUDES),
                "email": maybe(["a@x", "b@x"]),
                "created_at": when,
            }
        ),
        8,
    )
    centers = rows(
        draw,
        st.fixed_dictionaries(
            {
                "id": st.sampled_from(["1", "2", "3", None]),
                "name": maybe(CENTER_NAMES),
                "latitude": maybe(LATITUDES),
                "longitude": maybe(LONGITUDES),
            }
        ),
        4,
    )
    inventory = rows(
        draw,
        st.fixed_dictionaries(
            {
                "id": st.sampled_from(["1", "2", "3", "4", None]),
                "product_id": maybe(["1", "2"]),
                "cost": maybe(["10", "0", "60.5", "100.001", "-1"]),
                "created_at": when,
                "sold_at": when,
            }
        ),
        6,
    )
    items = rows(
        draw,
        st.fixed_dictionaries(
            {
                "id": st.sampled_from([str(i) for i in range(1, 9)] + [None]),
                "user_id": user_ref,
                "inventory_item_id": maybe(["1", "2", "3", "4", "9"]),
                "status": maybe(STATUS_SPELLINGS),
                "sale_price": maybe(PRICES),
                "created_at": when,
            }
        ),
        10,
    )
    events = rows(
        draw,
        st.fixed_dictionaries(
            {
                "id": st.sampled_from([str(i) for i in range(1, 11)] + [None]),
                "user_id": user_ref,
                "session_id": maybe(["s1", "s2"]),
                "sequence_number": maybe(["1", "2"]),
                "traffic_source": maybe(SOURCES),
                "created_at": when,
            }
        ),
        14,
    )
    tables = {
        "users": users,
        "distribution_centers": centers,
        "inventory_items": inventory,
        "order_items": items,
        "events": events,
    }
    names = sorted(tables)
    quote_all = {t: draw(st.booleans()) for t in names}
    null_spelling = {t: draw(st.sampled_from(NULLS)) for t in names}
    cut_short = {}
    for table in ("users", "events"):
        if tables[table] and draw(st.integers(0, 4)) == 0:
            # Cut the last line after one of its columns (always after the id).
            cut_short[table] = draw(st.integers(1, len(COLUMNS[table]) - 1))
    return RawCase(as_of, tables, quote_all, null_spelling, cut_short)
