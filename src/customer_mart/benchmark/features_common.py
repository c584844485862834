"""What the three implementations share: the feature window, the thresholds, the columns."""

from __future__ import annotations

import datetime as dt

COLUMNS = (
    "user_id",
    "age",
    "country",
    "state",
    "nearest_dc_id",
    "nearest_dc_name",
    "nearest_dc_distance_km",
    "purchased_items_last_year",
    "returned_items_last_year",
    "return_rate_last_year",
    "purchase_amount_last_year",
    "profit_level",
    "gross_profit_last_year",
    "most_traffic_source",
    "feature_window_start",
    "feature_window_end",
)

LEVEL_2_ABOVE_USD = 50
LEVEL_3_FROM_USD = 150


def feature_window(as_of: dt.date) -> tuple[dt.date, dt.date]:
    """[as_of minus one calendar year, as_of); February 29 starts on February 28."""
    day = 28 if (as_of.month, as_of.day) == (2, 29) else as_of.day
    return as_of.replace(year=as_of.year - 1, day=day), as_of
