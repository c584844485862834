"""An independent, plain-Python statement of the customer_features rules.

The end-to-end tests compute every customer's features here, straight from the raw files,
and compare them with what dbt built. It is deliberately written row by row, as a person
would check the rules by hand, and shares no code with the SQL.
"""

from __future__ import annotations

import datetime as dt
import math
from collections import Counter, defaultdict
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any

import pyarrow.csv as pacsv
import pyarrow.dataset as ds

UTC = dt.UTC
STATUSES = {s.lower(): s for s in ("Complete", "Cancelled", "Returned", "Processing", "Shipped")}


def read_table(raw_dir: Path, table: str) -> list[dict[str, Any]]:
    folder = Path(raw_dir) / table
    parquet = sorted(folder.glob("*.parquet"))
    if parquet:
        return ds.dataset([str(p) for p in parquet], format="parquet").to_table().to_pylist()
    rows: list[dict[str, Any]] = []
    for path in sorted(folder.glob("*.csv")):
        opts = pacsv.ConvertOptions(strings_can_be_null=True, quoted_strings_can_be_null=False)
        header = path.open().readline().strip().split(",")
        opts.column_types = dict.fromkeys(header, "string")
        rows.extend(pacsv.read_csv(path, convert_options=opts).to_pylist())
    return rows


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


def compute(raw_dir: Path, as_of: dt.date, low: int = 50, high: int = 150) -> dict[int, dict[str, Any]]:
    """Every in-scope customer's features, keyed by user id."""
    start, end = feature_window(as_of)
    start_ts = dt.datetime.combine(start, dt.time())
    end_ts = dt.datetime.combine(end, dt.time())

    users: dict[int, dict[str, Any]] = {}
    for row in read_table(raw_dir, "users"):
        user_id = integer(row["id"])
        if user_id is None:
            continue
        record = {
            "created_at": timestamp(row["created_at"]),
            "age": integer(row["age"]),
            "country": text(row["country"]),
            "state": text(row["state"]),
            "latitude": coordinate(row["latitude"], 90),
            "longitude": coordinate(row["longitude"], 180),
        }
        kept = users.get(user_id)
        newer = kept is None or (
            record["created_at"] is not None
            and (kept["created_at"] is None or record["created_at"] > kept["created_at"])
        )
        if newer:
            users[user_id] = record
    population = {uid: u for uid, u in users.items() if u["created_at"] is None or u["created_at"] < end_ts}

    centers = []
    for row in read_table(raw_dir, "distribution_centers"):
        lat, lon = coordinate(row["latitude"], 90), coordinate(row["longitude"], 180)
        if integer(row["id"]) is not None and lat is not None and lon is not None:
            centers.append((integer(row["id"]), text(row["name"]), lat, lon))

    costs = {integer(r["id"]): number(r["cost"]) for r in read_table(raw_dir, "inventory_items")}

    items: dict[int, dict[str, Any]] = {}
    for row in read_table(raw_dir, "order_items"):
        item_id = integer(row["id"])
        if item_id is not None:
            items[item_id] = row
    purchased: Counter[int] = Counter()
    returned: Counter[int] = Counter()
    amount: defaultdict[int, Decimal] = defaultdict(Decimal)
    profit: dict[int, Decimal] = {}
    for row in items.values():
        user_id, created = integer(row["user_id"]), timestamp(row["created_at"])
        if user_id is None or created is None or not start_ts <= created < end_ts:
            continue
        item_status = status(row["status"])
        if item_status == "Cancelled":
            continue
        purchased[user_id] += 1
        if item_status == "Returned":
            returned[user_id] += 1
            continue
        price = number(row["sale_price"])
        if price is None or price < 0:
            continue
        exact_price = Decimal(repr(price)).quantize(Decimal("0.000001"))
        amount[user_id] += exact_price
        cost = costs.get(integer(row["inventory_item_id"]))
        if cost is not None:
            exact_cost = Decimal(repr(cost)).quantize(Decimal("0.000001"))
            profit[user_id] = profit.get(user_id, Decimal(0)) + exact_price - exact_cost

    sources: defaultdict[int, Counter[str]] = defaultdict(Counter)
    for row in read_table(raw_dir, "events"):
        user_id, created, source = (
            integer(row["user_id"]),
            timestamp(row["created_at"]),
            text(row["traffic_source"]),
        )
        if user_id is None or source is None or created is None:
            continue
        if start_ts <= created < end_ts:
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
