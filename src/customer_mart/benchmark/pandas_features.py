"""customer_features in plain pandas, as a Python user would write it: read, clean, dedup, join.

    python -m customer_mart.benchmark.pandas_features RAW_DIR AS_OF_DATE OUT.parquet

Same rules as the dbt mart (doc blocks in models/marts/_marts__docs.md and
models/staging/thelook/_thelook__docs.md). Money is summed in whole micro-dollars, the
mart's numeric(18, 6), so that the cents come out exactly as the warehouse rounds them.
"""

from __future__ import annotations

import argparse
import datetime as dt
from pathlib import Path

import numpy as np
import pandas as pd

from customer_mart.benchmark.features_common import LEVEL_2_ABOVE_USD, LEVEL_3_FROM_USD, feature_window

STATUSES = {s.lower(): s for s in ("Complete", "Cancelled", "Returned", "Processing", "Shipped")}


def read(raw_dir: Path, table: str, columns: list[str]) -> pd.DataFrame:
    return pd.read_parquet(Path(raw_dir) / table, columns=columns, engine="pyarrow")


def clean_text(values: pd.Series) -> pd.Series:
    values = values.astype("string").str.strip()
    return values.mask(values.eq("").fillna(False))


def utc(values: pd.Series) -> pd.Series:
    values = pd.to_datetime(values, utc=True)
    return values.dt.tz_localize(None)


def valid(values: pd.Series, limit: float) -> pd.Series:
    values = values.astype("float64")
    return values.where(values.between(-limit, limit))


def latest(frame: pd.DataFrame, key: str, order: list[str], descending: tuple[str, ...] = ()) -> pd.DataFrame:
    """One row per non-NULL key: the first in `order` (NULLs last, as in the warehouse)."""
    frame = frame[frame[key].notna()]
    ascending = [column not in descending for column in order]
    ordered = frame.sort_values(order, ascending=ascending, na_position="last", kind="stable")
    return ordered.drop_duplicates(key, keep="first")


def micros(dollars: pd.Series) -> pd.Series:
    """Dollars to whole micro-dollars, rounded half away from zero like a cast to numeric(18, 6)."""
    scaled = dollars.to_numpy(dtype="float64", na_value=np.nan) * 1_000_000
    return pd.Series(np.sign(scaled) * np.floor(np.abs(scaled) + 0.5), index=dollars.index).astype("Int64")


def to_cents(amount_micros: pd.Series) -> pd.Series:
    """Micro-dollars to cents, half away from zero, like round(x, 2) on a numeric."""
    sign = np.sign(amount_micros)
    return sign * ((amount_micros.abs() + 5_000) // 10_000)


def haversine_km(lat1, lon1, lat2, lon2):
    inner = (
        np.sin(np.radians(lat2 - lat1) / 2) ** 2
        + np.cos(np.radians(lat1)) * np.cos(np.radians(lat2)) * np.sin(np.radians(lon2 - lon1) / 2) ** 2
    )
    return 2 * 6371.0 * np.arcsin(np.sqrt(np.minimum(1.0, inner)))


def customers_in_scope(raw_dir: Path, end: dt.datetime) -> pd.DataFrame:
    users = read(
        raw_dir,
        "users",
        ["id", "age", "country", "state", "latitude", "longitude", "email", "created_at"],
    )
    users = users.assign(
        user_id=users["id"].astype("Int64"),
        age=users["age"].astype("Int32"),
        country=clean_text(users["country"]),
        state=clean_text(users["state"]),
        latitude=valid(users["latitude"], 90),
        longitude=valid(users["longitude"], 180),
        email=clean_text(users["email"]),
        created_at=utc(users["created_at"]),
    )
    users = latest(
        users,
        "user_id",
        ["created_at", "age", "country", "state", "latitude", "longitude", "email"],
        descending=("created_at",),
    )
    in_scope = users["created_at"].isna() | (users["created_at"] < end)
    return users.loc[in_scope, ["user_id", "age", "country", "state", "latitude", "longitude"]]


def nearest_centers(raw_dir: Path, customers: pd.DataFrame) -> pd.DataFrame:
    centers = read(raw_dir, "distribution_centers", ["id", "name", "latitude", "longitude"])
    centers = centers.assign(
        dc_id=centers["id"].astype("Int64"),
        dc_name=clean_text(centers["name"]),
        latitude=valid(centers["latitude"], 90),
        longitude=valid(centers["longitude"], 180),
    )
    centers = latest(centers, "dc_id", ["dc_name", "latitude", "longitude"])
    centers = centers.dropna(subset=["latitude", "longitude"]).sort_values("dc_id")
    located = customers.dropna(subset=["latitude", "longitude"])
    result = pd.DataFrame({"user_id": located["user_id"].to_numpy()})
    if centers.empty or located.empty:
        return result.assign(nearest_dc_id=pd.NA, nearest_dc_name=pd.NA, nearest_dc_distance_km=np.nan)
    distances = haversine_km(
        located["latitude"].to_numpy()[:, None],
        located["longitude"].to_numpy()[:, None],
        centers["latitude"].to_numpy()[None, :],
        centers["longitude"].to_numpy()[None, :],
    )
    # argmin takes the first of equal distances, and the centers are sorted by id.
    best = distances.argmin(axis=1)
    nearest = distances[np.arange(len(best)), best]
    return result.assign(
        nearest_dc_id=centers["dc_id"].to_numpy()[best],
        nearest_dc_name=centers["dc_name"].to_numpy()[best],
        nearest_dc_distance_km=np.round(nearest, 3),
    )


def purchases(raw_dir: Path, start: dt.datetime, end: dt.datetime) -> pd.DataFrame:
    items = read(
        raw_dir,
        "order_items",
        ["id", "user_id", "inventory_item_id", "status", "sale_price", "created_at"],
    )
    status_key = items["status"].astype("string").str.strip().str.lower().str.replace(" ", "")
    items = items.assign(
        order_item_id=items["id"].astype("Int64"),
        user_id=items["user_id"].astype("Int64"),
        inventory_item_id=items["inventory_item_id"].astype("Int64"),
        status=status_key.map(STATUSES).fillna(clean_text(items["status"])),
        sale_price=items["sale_price"].where(items["sale_price"] >= 0),
        created_at=utc(items["created_at"]),
    )
    items = latest(
        items,
        "order_item_id",
        ["created_at", "user_id", "status", "sale_price", "inventory_item_id"],
        descending=("created_at",),
    )
    items = items[
        items["user_id"].notna()
        & (items["created_at"] >= start)
        & (items["created_at"] < end)
        & (items["status"].fillna("") != "Cancelled")
    ]

    stock = read(raw_dir, "inventory_items", ["id", "product_id", "cost", "created_at", "sold_at"])
    stock = stock.assign(
        inventory_item_id=stock["id"].astype("Int64"),
        created_at=utc(stock["created_at"]),
        sold_at=utc(stock["sold_at"]),
    )
    stock = latest(
        stock,
        "inventory_item_id",
        ["created_at", "sold_at", "cost", "product_id"],
        descending=("created_at", "sold_at"),
    )
    items = items.merge(stock[["inventory_item_id", "cost"]], on="inventory_item_id", how="left")

    kept = items["status"] != "Returned"
    price = micros(items["sale_price"])
    items = items.assign(
        is_returned=~kept,
        kept_price=price.where(kept),
        kept_profit=(price - micros(items["cost"])).where(kept),
    )
    totals = items.groupby("user_id").agg(
        purchased=("user_id", "size"),
        returned=("is_returned", "sum"),
        amount=("kept_price", "sum"),
        profit=("kept_profit", "sum"),
        profit_known=("kept_profit", "count"),
    )
    totals["profit"] = totals["profit"].where(totals["profit_known"] > 0)
    return totals.drop(columns="profit_known").reset_index()


def traffic_sources(raw_dir: Path, start: dt.datetime, end: dt.datetime) -> pd.DataFrame:
    events = read(raw_dir, "events", ["id", "user_id", "traffic_source", "created_at"])
    events = events.assign(
        event_id=events["id"].astype("Int64"),
        user_id=events["user_id"].astype("Int64"),
        traffic_source=clean_text(events["traffic_source"]),
        created_at=utc(events["created_at"]),
    )
    events = latest(
        events, "event_id", ["created_at", "user_id", "traffic_source"], descending=("created_at",)
    )
    events = events[
        events["user_id"].notna()
        & events["traffic_source"].notna()
        & (events["created_at"] >= start)
        & (events["created_at"] < end)
    ]
    counts = events.groupby(["user_id", "traffic_source"]).size().rename("events").reset_index()
    counts = counts.sort_values(["user_id", "events", "traffic_source"], ascending=[True, False, True])
    favourite = counts.drop_duplicates("user_id", keep="first")
    return favourite[["user_id", "traffic_source"]].rename(columns={"traffic_source": "most_traffic_source"})


def compute(raw_dir: str | Path, as_of: dt.date) -> pd.DataFrame:
    """Every in-scope customer's features, one row per user; amounts in dollars, exact to the cent."""
    start_day, end_day = feature_window(as_of)
    start, end = (dt.datetime.combine(day, dt.time()) for day in (start_day, end_day))
    raw_dir = Path(raw_dir)

    customers = customers_in_scope(raw_dir, end)
    features = (
        customers[["user_id", "age", "country", "state"]]
        .merge(nearest_centers(raw_dir, customers), on="user_id", how="left")
        .merge(purchases(raw_dir, start, end), on="user_id", how="left")
        .merge(traffic_sources(raw_dir, start, end), on="user_id", how="left")
    )

    purchased = features.pop("purchased").fillna(0).astype("int32")
    returned = features.pop("returned").fillna(0).astype("int32")
    amount_cents = to_cents(features.pop("amount").fillna(0).astype("int64"))
    profit_cents = to_cents(features.pop("profit").astype("Int64"))
    level = np.where(
        amount_cents <= LEVEL_2_ABOVE_USD * 100, 1, np.where(amount_cents < LEVEL_3_FROM_USD * 100, 2, 3)
    )
    features["purchased_items_last_year"] = purchased
    features["returned_items_last_year"] = returned
    features["return_rate_last_year"] = (returned / purchased.where(purchased > 0)).astype("float64")
    features["purchase_amount_last_year"] = amount_cents / 100
    features["profit_level"] = level.astype("int32")
    features["gross_profit_last_year"] = (profit_cents / 100).astype("float64")
    features["most_traffic_source"] = features.pop("most_traffic_source")
    features["feature_window_start"] = start_day
    features["feature_window_end"] = end_day
    return features


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    parser.add_argument("raw_dir")
    parser.add_argument("as_of", type=dt.date.fromisoformat)
    parser.add_argument("out", help="a Parquet file to write the features to")
    args = parser.parse_args()
    compute(args.raw_dir, args.as_of).to_parquet(args.out, index=False)


if __name__ == "__main__":
    main()
