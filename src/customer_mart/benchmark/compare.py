"""Compare customer_features tables built by different implementations, column by column.

The tolerances are those of tests/python/test_end_to_end.py or tighter: integers, text, dates
and cents exact; the distance within one rounding step at the metre; the return rate to 1e-12.
"""

from __future__ import annotations

from decimal import Decimal

import numpy as np
import pandas as pd

from customer_mart.benchmark.features_common import COLUMNS

MONEY = ("purchase_amount_last_year", "gross_profit_last_year")
TOLERANCES = {"nearest_dc_distance_km": 1e-3 + 1e-9, "return_rate_last_year": 1e-12}


def cents(values: pd.Series) -> pd.Series:
    """Dollars (Decimal, float or numeric) to whole cents; NULL stays NULL."""

    def one(value):
        if value is None or (isinstance(value, float) and np.isnan(value)) or value is pd.NA:
            return pd.NA
        if isinstance(value, Decimal):
            return int((value * 100).to_integral_value())
        return round(float(value) * 100)

    return values.astype(object).map(one).astype("Int64")


def canonical(frame: pd.DataFrame) -> pd.DataFrame:
    """The 16 columns in order, one dtype per kind, sorted by user id."""
    missing = [c for c in COLUMNS if c not in frame.columns]
    if missing:
        raise ValueError(f"columns missing: {missing}")
    out = pd.DataFrame(index=range(len(frame)))
    frame = frame.reset_index(drop=True)
    for column in COLUMNS:
        values = frame[column]
        if column in MONEY:
            out[column] = cents(values)
        elif column in TOLERANCES:
            out[column] = pd.to_numeric(values, errors="raise").astype("float64")
        elif column.startswith("feature_window"):
            out[column] = pd.to_datetime(values).dt.date
        elif column in ("country", "state", "nearest_dc_name", "most_traffic_source"):
            out[column] = values.astype("string")
        else:
            out[column] = pd.to_numeric(values).astype("Int64")
    return out.sort_values("user_id").reset_index(drop=True)


def differences(left: pd.DataFrame, right: pd.DataFrame) -> list[str]:
    """What differs between two implementations' features; empty when they agree."""
    left, right = canonical(left), canonical(right)
    problems = []
    if left["user_id"].duplicated().any() or right["user_id"].duplicated().any():
        problems.append("a user_id is repeated")
    only_left = set(left["user_id"]) - set(right["user_id"])
    only_right = set(right["user_id"]) - set(left["user_id"])
    if only_left or only_right:
        problems.append(
            f"users only on the left: {sorted(only_left)[:5]} ({len(only_left)}), "
            f"only on the right: {sorted(only_right)[:5]} ({len(only_right)})"
        )
        return problems
    for column in COLUMNS[1:]:
        a, b = left[column], right[column]
        both_null = a.isna() & b.isna()
        if column in TOLERANCES:
            same = both_null | (a.sub(b).abs() <= TOLERANCES[column]).fillna(False)
        else:
            same = both_null | (a == b).fillna(False).astype(bool)
        if not same.all():
            bad = left.loc[~same, "user_id"].head(5).tolist()
            examples = [(u, a[left["user_id"] == u].iloc[0], b[right["user_id"] == u].iloc[0]) for u in bad]
            problems.append(f"{column}: {int((~same).sum())} rows differ, e.g. {examples}")
    return problems
