"""An independent, plain-Python statement of the customer_features rules.

The tests compute every customer's features here, straight from the raw files, and compare them
with what dbt built. It is deliberately written row by row, as a person would check the rules by
hand from the doc blocks (models/staging/thelook/_thelook__docs.md, models/marts/_marts__docs.md),
and shares no code with the SQL: reading the files (CSV quirks included), cleaning every value,
keeping one row per repeated key, then the features.
"""

from __future__ import annotations

import csv
import datetime as dt
import math
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any

import pyarrow.dataset as ds

UTC = dt.UTC
EPOCH = dt.datetime(1970, 1, 1)
STATUSES = {s.lower(): s for s in ("Complete", "Cancelled", "Returned", "Processing", "Shipped")}
# In a raw CSV file, these fields are NULL (doc `thelook_source`), quoted or not.
CSV_NULLS = {"", "null", "NULL"}


# Reading: a table is the rows of every file in its folder.
def read_table(raw_dir: Path, table: str) -> list[dict[str, Any]]:
    folder = Path(raw_dir) / table
    parquet = sorted(folder.glob("*.parquet"))
    if parquet:
        return ds.dataset([str(p) for p in parquet], format="parquet").to_table().to_pylist()
    rows: list[dict[str, Any]] = []
    for path in sorted(folder.glob("*.csv")):
        with path.open(newline="", encoding="utf-8") as handle:
            reader = csv.reader(handle)
            header = next(reader, None) or []
            for fields in reader:
                if not fields:
                    continue
                # A row cut short keeps its leading fields; the others are NULL.
                fields += [""] * (len(header) - len(fields))
                rows.append(
                    {
                        name: None if value in CSV_NULLS else value
                        for name, value in zip(header, fields, strict=False)
                    }
                )
    return rows


# Cleaning one value (doc `staging_rules`).
def text(value: Any) -> str | None:
    if value is None:
        return None
    value = str(value).strip()
    return value or None


def number(value: Any) -> float | None:
    value = text(value)
    return None if value is None else float(value)


def integer(value: Any) -> int | None:
    value = text(value)
    return None if value is None else int(value)


def timestamp(value: Any) -> dt.datetime | None:
    """Naive UTC: a value with an offset is converted, one without is taken as UTC."""
    if value is None or isinstance(value, dt.datetime):
        return None if value is None else value.astimezone(UTC).replace(tzinfo=None)
    value = text(value)
    if value is None:
        return None
    parsed = dt.datetime.fromisoformat(value.replace(" UTC", "+00:00"))
    if parsed.tzinfo is not None:
        parsed = parsed.astimezone(UTC).replace(tzinfo=None)
    return parsed


def status(value: Any) -> str | None:
    value = text(value)
    if value is None:
        return None
    return STATUSES.get(value.lower().replace(" ", ""), value)


def coordinate(value: Any, limit: float) -> float | None:
    value = number(value)
    return value if value is not None and -limit <= value <= limit else None


def amount(value: Any) -> float | None:
    """An amount in dollars the mart can hold (numeric(12,2)): finite and under 10 billion in size;
    anything else (NaN, infinite, 1e15) is an input error, treated as unknown."""
    value = number(value)
    return value if value is not None and -1e10 < value < 1e10 else None


def price(value: Any) -> float | None:
    """A negative sale price, or one that is not an amount, is an input error, treated as unknown."""
    value = amount(value)
    return value if value is not None and value >= 0 else None


# Keeping one row per key (doc `staging_rules`): the first row in an order of its columns.
def latest(value: dt.datetime | None) -> tuple:
    """Sort key: latest first, unknown last."""
    return (value is None, 0 if value is None else -((value - EPOCH) // dt.timedelta(microseconds=1)))


def smallest(value: Any) -> tuple:
    """Sort key: smallest first (text by code point), unknown last."""
    return (value is None, 0 if value is None else value)


def keep_one(rows: Iterable[dict[str, Any]], key: str, order: Callable[[dict], tuple]) -> dict[Any, dict]:
    """Rows whose `key` is NULL are dropped; of a repeated key, the first row in `order` is kept."""
    kept: dict[Any, dict] = {}
    for row in rows:
        if row[key] is None:
            continue
        if row[key] not in kept or order(row) < order(kept[row[key]]):
            kept[row[key]] = row
    return kept


def users(raw_dir: Path) -> dict[int, dict[str, Any]]:
    rows = [
        {
            "id": integer(r["id"]),
            "created_at": timestamp(r["created_at"]),
            "age": integer(r["age"]),
            "country": text(r["country"]),
            "state": text(r["state"]),
            "latitude": coordinate(r["latitude"], 90),
            "longitude": coordinate(r["longitude"], 180),
            "email": text(r["email"]),
        }
        for r in read_table(raw_dir, "users")
    ]
    columns = ("age", "country", "state", "latitude", "longitude", "email")
    return keep_one(rows, "id", lambda r: (latest(r["created_at"]), *(smallest(r[c]) for c in columns)))


def distribution_centers(raw_dir: Path) -> dict[int, dict[str, Any]]:
    rows = [
        {
            "id": integer(r["id"]),
            "name": text(r["name"]),
            "latitude": coordinate(r["latitude"], 90),
            "longitude": coordinate(r["longitude"], 180),
        }
        for r in read_table(raw_dir, "distribution_centers")
    ]
    return keep_one(rows, "id", lambda r: tuple(smallest(r[c]) for c in ("name", "latitude", "longitude")))


def inventory_items(raw_dir: Path) -> dict[int, dict[str, Any]]:
    rows = [
        {
            "id": integer(r["id"]),
            "cost": amount(r["cost"]),
            "product_id": integer(r["product_id"]),
            "created_at": timestamp(r["created_at"]),
            "sold_at": timestamp(r["sold_at"]),
        }
        for r in read_table(raw_dir, "inventory_items")
    ]
    return keep_one(
        rows,
        "id",
        lambda r: (
            latest(r["created_at"]),
            latest(r["sold_at"]),
            smallest(r["cost"]),
            smallest(r["product_id"]),
        ),
    )


def order_items(raw_dir: Path) -> dict[int, dict[str, Any]]:
    rows = [
        {
            "id": integer(r["id"]),
            "user_id": integer(r["user_id"]),
            "status": status(r["status"]),
            "sale_price": price(r["sale_price"]),
            "inventory_item_id": integer(r["inventory_item_id"]),
            "created_at": timestamp(r["created_at"]),
        }
        for r in read_table(raw_dir, "order_items")
    ]
    columns = ("user_id", "status", "sale_price", "inventory_item_id")
    return keep_one(rows, "id", lambda r: (latest(r["created_at"]), *(smallest(r[c]) for c in columns)))


def events(raw_dir: Path) -> dict[int, dict[str, Any]]:
    rows = [
        {
            "id": integer(r["id"]),
            "user_id": integer(r["user_id"]),
            "traffic_source": text(r["traffic_source"]),
            "session_id": text(r["session_id"]),
            "sequence_number": integer(r["sequence_number"]),
            "created_at": timestamp(r["created_at"]),
        }
        for r in read_table(raw_dir, "events")
    ]
    columns = ("user_id", "traffic_source", "session_id", "sequence_number")
    return keep_one(rows, "id", lambda r: (latest(r["created_at"]), *(smallest(r[c]) for c in columns)))


# The features (doc blocks of models/marts/_marts__docs.md).
def haversine_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    inner = (
        math.sin(math.radians(lat2 - lat1) / 2) ** 2
        + math.cos(math.radians(lat1))
        * math.cos(math.radians(lat2))
        * math.sin(math.radians(lon2 - lon1) / 2) ** 2
    )
    return 2 * 6371.0 * math.asin(math.sqrt(min(1.0, inner)))


def feature_window(as_of: dt.date) -> tuple[dt.date, dt.date]:
    day = 28 if (as_of.month, as_of.day) == (2, 29) else as_of.day
    return as_of.replace(year=as_of.year - 1, day=day), as_of


def cents(amount: Decimal) -> Decimal:
    return amount.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def exact(value: float) -> Decimal:
    """A double as the exact decimal the SQL sums (6 places)."""
    return Decimal(repr(value)).quantize(Decimal("0.000001"), rounding=ROUND_HALF_UP)


def compute(raw_dir: Path, as_of: dt.date, low: int = 50, high: int = 150) -> dict[int, dict[str, Any]]:
    """Every in-scope customer's features, keyed by user id."""
    start, end = feature_window(as_of)
    start_ts = dt.datetime.combine(start, dt.time())
    end_ts = dt.datetime.combine(end, dt.time())

    def in_window(moment: dt.datetime | None) -> bool:
        return moment is not None and start_ts <= moment < end_ts

    population = {
        uid: u for uid, u in users(raw_dir).items() if u["created_at"] is None or u["created_at"] < end_ts
    }
    centers = [
        (dc_id, dc["name"], dc["latitude"], dc["longitude"])
        for dc_id, dc in distribution_centers(raw_dir).items()
        if dc["latitude"] is not None and dc["longitude"] is not None
    ]
    costs = {item_id: item["cost"] for item_id, item in inventory_items(raw_dir).items()}

    purchased: Counter[int] = Counter()
    returned: Counter[int] = Counter()
    amount: defaultdict[int, Decimal] = defaultdict(Decimal)
    profit: dict[int, Decimal] = {}
    for item in order_items(raw_dir).values():
        user_id = item["user_id"]
        if user_id is None or not in_window(item["created_at"]) or item["status"] == "Cancelled":
            continue
        purchased[user_id] += 1
        if item["status"] == "Returned":
            returned[user_id] += 1
            continue
        if item["sale_price"] is None:
            continue
        amount[user_id] += exact(item["sale_price"])
        cost = costs.get(item["inventory_item_id"])
        if cost is not None:
            profit[user_id] = profit.get(user_id, Decimal(0)) + exact(item["sale_price"]) - exact(cost)

    sources: defaultdict[int, Counter[str]] = defaultdict(Counter)
    for event in events(raw_dir).values():
        user_id, source = event["user_id"], event["traffic_source"]
        if user_id is not None and source is not None and in_window(event["created_at"]):
            sources[user_id][source] += 1

    features: dict[int, dict[str, Any]] = {}
    for user_id, user in population.items():
        nearest = (None, None, None)
        if user["latitude"] is not None and user["longitude"] is not None and centers:
            dist, dc_id, dc_name = min(
                (haversine_km(user["latitude"], user["longitude"], lat, lon), dc_id, name)
                for dc_id, name, lat, lon in centers
            )
            nearest = (dc_id, dc_name, dist)
        bought = purchased[user_id]
        total = cents(amount[user_id])
        total_cents = int(total * 100)
        level = 1 if total_cents <= low * 100 else 2 if total_cents < high * 100 else 3
        counts = sources.get(user_id)
        favourite = min(counts.items(), key=lambda kv: (-kv[1], kv[0]))[0] if counts else None
        features[user_id] = {
            "user_id": user_id,
            "age": user["age"],
            "country": user["country"],
            "state": user["state"],
            "nearest_dc_id": nearest[0],
            "nearest_dc_name": nearest[1],
            "nearest_dc_distance_km": nearest[2],
            "purchased_items_last_year": bought,
            "returned_items_last_year": returned[user_id],
            "return_rate_last_year": returned[user_id] / bought if bought else None,
            "purchase_amount_last_year": total,
            "profit_level": level,
            "gross_profit_last_year": cents(profit[user_id]) if user_id in profit else None,
            "most_traffic_source": favourite,
            "feature_window_start": start,
            "feature_window_end": end,
        }
    return features


FLOAT_TOLERANCE = {"nearest_dc_distance_km": 0.0005, "return_rate_last_year": 1e-12}


def differences(
    built: dict[int, dict[str, Any]],
    expected: dict[int, dict[str, Any]],
    user_ids: Iterable[int] | None = None,
) -> list[tuple]:
    """(user, column, built, expected) for every difference between a built mart (rows by user id)
    and `compute`'s features, over `user_ids` (default: everyone in either). A user in one and
    not the other is a difference of the column `user_id`. Floats are equal to the metre or to
    1e-12; other values must be equal and of the same type (Decimal amounts, dates, ints)."""
    found = []
    for user_id in sorted(set(built) | set(expected) if user_ids is None else user_ids):
        have, want = built.get(user_id), expected.get(user_id)
        if have is None or want is None:
            if have is not want:
                found.append((user_id, "user_id", have and user_id, want and user_id))
            continue
        for column, value in want.items():
            got = have[column]
            if column in FLOAT_TOLERANCE and value is not None and got is not None:
                same = math.isclose(got, value, abs_tol=FLOAT_TOLERANCE[column])
            else:
                same = got == value and type(got) is type(value)
            if not same:
                found.append((user_id, column, got, value))
    return found
