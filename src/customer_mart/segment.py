"""Customer segments that stay the same from week to week, with names marketing can read.

One week's segmentation of the `customer_features` mart (`segment_week`), given last week's model
state; where the mart is read from and the segments written to is `segment_store.py`'s business
(DuckDB locally, Redshift through S3 in the weekly job).

The rules, each with its threshold (docs/analysts.md, "Customer segments", says the same):

1. **Non-buyers are one segment, by rule.** A customer with no purchased item in the feature window
   (`purchased_items_last_year = 0`) is in segment 0, "no purchase in the last year". Only buyers
   are clustered, so no clustered segment can be a slice of the non-buyers (split by age or
   distance alone, as k-means over everyone did: 4 of 8 segments, 67% of the customers).
2. **The buyers' features** (FEATURES): amount kept, items purchased and distance to the nearest
   center through log(1 + x) (heavily right-skewed: a few big buyers or far-away customers would
   otherwise take segments of their own), return rate and age as they are. A missing age or
   distance takes the buyers' median. Each is standardised (mean 0, standard deviation 1 over the
   buyers) so that none weighs more for its unit. The scaling is fitted when k is chosen and kept
   with it, so that centroids of different weeks are comparable.
3. **k is chosen once and kept.** On a first run (or when MODEL_VERSION changed), k-means (seeded,
   N_INIT starts) is fitted for each k from K_MIN to K_MAX; each is scored by the mean silhouette
   on a seeded sample of at most `sample_size` buyers; the smallest k within K_TOLERANCE of the
   best score wins (scores of neighbouring k often lie within 0.01: the smallest such k does not
   flip with noise). Every later week starts k-means from last week's centroids with that k.
   **k is chosen again when the data changed enough:** when this week's silhouette with the kept
   k falls more than RECHOOSE_SILHOUETTE_DROP below the silhouette measured when k was chosen.
   The run says so (`k_rechosen`, `k_reason`, printed and kept in customer_segment_runs).
4. **Segments are matched to last week's** by an optimal one-to-one assignment (Hungarian
   algorithm) on the distance between centroids in standardised units. A matched segment keeps
   its id and name; one whose centroid moved more than MAX_CENTROID_SHIFT from its match, or has
   no match, gets a new id (ids are never reused) and a new name.
5. **Names come from the centroid:** each feature's level against the buyers' distribution this
   week, in standard deviations from the buyers' mean (of the transformed feature): NAME_LEVEL or
   more below is "low", NAME_LEVEL or more above is "high", else the feature is not named. (Not
   percentiles: most buyers return nothing, so a share-of-buyers rule calls a return rate of 0.04
   "high".) The name lists the (at most NAME_WORDS) features furthest from the mean, in FEATURES
   order, e.g. "high spend, low returns, far from a center"; a segment with none is "typical
   buyers". A name already taken this week gets " (segment <id>)" appended. A segment keeps its
   name as long as it keeps its id.
6. **The same inputs give the same result:** seeded k-means on one OpenMP thread, seeded samples.
"""

from __future__ import annotations

import datetime as dt
import json
import textwrap
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

MODEL_VERSION = 2  # bump when a feature or rule changes: the next run chooses k afresh

NON_BUYER_SEGMENT_ID = 0
NON_BUYER_SEGMENT_NAME = "no purchase in the last year"


@dataclass(frozen=True)
class Feature:
    key: str
    column: str  # of customer_features
    transform: str  # "log1p" or "identity"
    fill: str  # how NULLs are filled: "median" (of the buyers) or "zero"
    words: tuple[str, str]  # the name's words for a low and a high level


FEATURES: tuple[Feature, ...] = (
    Feature("spend", "purchase_amount_last_year", "log1p", "zero", ("low spend", "high spend")),
    Feature("items", "purchased_items_last_year", "log1p", "zero", ("few items", "many items")),
    Feature("returns", "return_rate_last_year", "identity", "zero", ("low returns", "high returns")),
    Feature("distance", "nearest_dc_distance_km", "log1p", "median", ("near a center", "far from a center")),
    Feature("age", "age", "identity", "median", ("younger", "older")),
)
# What a week's segmentation reads from the mart.
MART_COLUMNS: tuple[str, ...] = (
    "user_id",
    "age",
    "nearest_dc_distance_km",
    "purchased_items_last_year",
    "return_rate_last_year",
    "purchase_amount_last_year",
    "profit_level",
)

K_MIN, K_MAX = 3, 8
K_TOLERANCE = 0.02
RECHOOSE_SILHOUETTE_DROP = 0.05
MAX_CENTROID_SHIFT = 0.75
NAME_LEVEL = 0.5
NAME_WORDS = 3
N_INIT = 10
PROFIT_LEVELS = (1, 2, 3)


@dataclass
class Segment:
    id: int
    name: str
    centroid: np.ndarray  # standardised units of the state's scaling (empty for non-buyers)
    customers: int = 0
    is_new: bool = False
    shift: float | None = None  # centroid distance from last week's match, standardised units


@dataclass
class ModelState:
    """What one week hands the next: kept in customer_segment_runs.model_state as JSON."""

    k: int
    k_chosen_on: dt.date
    silhouette_at_choice: float
    mean: np.ndarray
    scale: np.ndarray
    fill: dict[str, float]
    segments: list[Segment]
    next_id: int
    seed: int
    version: int = MODEL_VERSION

    def to_json(self) -> str:
        return json.dumps(
            {
                "version": self.version,
                "k": self.k,
                "k_chosen_on": self.k_chosen_on.isoformat(),
                "silhouette_at_choice": round(self.silhouette_at_choice, 6),
                "features": [f.key for f in FEATURES],
                "mean": [round(float(v), 9) for v in self.mean],
                "scale": [round(float(v), 9) for v in self.scale],
                "fill": {k: round(float(v), 9) for k, v in sorted(self.fill.items())},
                "segments": [
                    {"id": s.id, "name": s.name, "centroid": [round(float(v), 9) for v in s.centroid]}
                    for s in self.segments
                ],
                "next_id": self.next_id,
                "seed": self.seed,
            },
            sort_keys=True,
        )

    @classmethod
    def from_json(cls, text: str) -> ModelState:
        data = json.loads(text)
        return cls(
            version=int(data.get("version", 0)),
            k=int(data["k"]),
            k_chosen_on=dt.date.fromisoformat(data["k_chosen_on"]),
            silhouette_at_choice=float(data["silhouette_at_choice"]),
            mean=np.array(data["mean"], dtype=float),
            scale=np.array(data["scale"], dtype=float),
            fill={k: float(v) for k, v in data["fill"].items()},
            segments=[
                Segment(id=int(s["id"]), name=s["name"], centroid=np.array(s["centroid"], dtype=float))
                for s in data["segments"]
            ],
            next_id=int(data["next_id"]),
            seed=int(data["seed"]),
        )


@dataclass
class WeekResult:
    """One week's segments: per customer, per segment, and the run."""

    as_of_date: dt.date
    user_ids: np.ndarray
    segment_ids: np.ndarray  # int32, NON_BUYER_SEGMENT_ID for non-buyers
    distances: np.ndarray  # to the segment's centroid, standardised units; NaN for non-buyers
    segments: list[Segment]  # the buyers' segments, by id
    state: ModelState
    k_rechosen: bool
    k_reason: str
    silhouette: float
    silhouettes: dict[int, float]  # every k tried, when k was chosen this week
    mart: dict[str, np.ndarray]
    messages: list[str] = field(default_factory=list)

    @property
    def k(self) -> int:
        return self.state.k

    def names(self) -> dict[int, str]:
        return {NON_BUYER_SEGMENT_ID: NON_BUYER_SEGMENT_NAME, **{s.id: s.name for s in self.segments}}

    def segment_names(self) -> list[str]:
        names = self.names()
        return [names[int(i)] for i in self.segment_ids]

    def profiles(self) -> list[dict]:
        """One row per segment (non-buyers first): size, profit-level mix, mean features."""
        rows = []
        total = len(self.user_ids)
        by_id = {s.id: s for s in self.segments}
        for segment_id, name in sorted(self.names().items()):
            members = self.segment_ids == segment_id
            segment = by_id.get(segment_id)
            levels = self.mart["profit_level"][members]

            def mean(column: str, members: np.ndarray = members) -> float | None:
                values = self.mart[column][members]
                values = values[~np.isnan(values)]
                return float(values.mean()) if len(values) else None

            rows.append(
                {
                    "as_of_date": self.as_of_date,
                    "segment_id": segment_id,
                    "segment_name": name,
                    "is_buyer_segment": segment_id != NON_BUYER_SEGMENT_ID,
                    "customers": int(members.sum()),
                    "share_of_customers": float(members.sum() / total) if total else 0.0,
                    **{
                        f"customers_profit_level_{level}": int((levels == level).sum())
                        for level in PROFIT_LEVELS
                    },
                    "avg_purchase_amount": mean("purchase_amount_last_year"),
                    "avg_purchased_items": mean("purchased_items_last_year"),
                    "avg_return_rate": mean("return_rate_last_year"),
                    "avg_distance_km": mean("nearest_dc_distance_km"),
                    "avg_age": mean("age"),
                    "is_new_segment": bool(segment.is_new) if segment else False,
                    "centroid_shift": None
                    if segment is None or segment.shift is None
                    else float(segment.shift),
                }
            )
        return rows

    def run_row(self) -> dict:
        buyers = int((self.segment_ids != NON_BUYER_SEGMENT_ID).sum())
        return {
            "as_of_date": self.as_of_date,
            "customers": len(self.user_ids),
            "buyers": buyers,
            "k": self.k,
            "k_chosen_on": self.state.k_chosen_on,
            "k_rechosen": self.k_rechosen,
            "k_reason": self.k_reason,
            "silhouette": float(self.silhouette),
            "model_state": self.state.to_json(),
        }


def _as_float(values) -> np.ndarray:
    return np.ma.filled(np.ma.asarray(values, dtype=float), np.nan)


def prepare_mart(columns: dict) -> dict[str, np.ndarray]:
    """The mart's columns as arrays sorted by user_id (floats with NaN for NULL), checked."""
    missing = [c for c in MART_COLUMNS if c not in columns]
    if missing:
        raise ValueError(f"customer_features lacks the column(s) {', '.join(missing)}")
    user_ids = np.asarray(columns["user_id"], dtype=np.int64)
    order = np.argsort(user_ids, kind="stable")
    mart = {"user_id": user_ids[order]}
    for column in MART_COLUMNS[1:]:
        mart[column] = _as_float(columns[column])[order]
    if len(np.unique(mart["user_id"])) != len(mart["user_id"]):
        raise ValueError("customer_features has a user_id more than once")
    if np.isnan(mart["purchased_items_last_year"]).any():
        raise ValueError("customer_features has a NULL purchased_items_last_year")
    return mart


def _raw_matrix(mart: dict[str, np.ndarray], rows: np.ndarray, fill: dict[str, float]) -> np.ndarray:
    """The buyers' features after the fill and the transforms, before scaling."""
    columns = []
    for feature in FEATURES:
        values = mart[feature.column][rows]
        values = np.where(np.isnan(values), fill[feature.column], values)
        if feature.transform == "log1p":
            values = np.log1p(np.clip(values, 0, None))
        columns.append(values)
    return np.column_stack(columns)


def _fill_values(mart: dict[str, np.ndarray], rows: np.ndarray) -> dict[str, float]:
    fill = {}
    for feature in FEATURES:
        values = mart[feature.column][rows]
        known = values[~np.isnan(values)]
        fill[feature.column] = float(np.median(known)) if feature.fill == "median" and len(known) else 0.0
    return fill


def _kmeans(x: np.ndarray, k: int, seed: int, init: np.ndarray | None = None):
    from sklearn.cluster import KMeans
    from threadpoolctl import threadpool_limits

    # One OpenMP thread: the same result on any machine, and much faster on a busy one than
    # threads spinning for a turn (measured: 7x on 100,000 customers, 2 busy cores).
    with threadpool_limits(limits=1, user_api="openmp"):
        if init is None:
            return KMeans(n_clusters=k, n_init=N_INIT, random_state=seed).fit(x)
        return KMeans(n_clusters=k, init=init, n_init=1, random_state=seed).fit(x)


# Memory for the silhouette's pairwise distances, in MB: scikit-learn's default (1024) holds all
# 10,000 x 10,000 distances of the sample at once (800 MB), more than the weekly task can spare.
SILHOUETTE_WORKING_MEMORY_MB = 64


def _silhouette(x: np.ndarray, labels: np.ndarray, seed: int, sample_size: int) -> float:
    from sklearn import config_context
    from sklearn.metrics import silhouette_score

    if len(np.unique(labels)) < 2:
        return -1.0
    with config_context(working_memory=SILHOUETTE_WORKING_MEMORY_MB):
        return float(
            silhouette_score(
                x, labels, sample_size=min(sample_size, len(x)), random_state=seed, metric="euclidean"
            )
        )


def choose_k(x: np.ndarray, seed: int, sample_size: int, k_min: int = K_MIN, k_max: int = K_MAX):
    """(k, silhouettes by k, the chosen model): the smallest k within K_TOLERANCE of the best."""
    distinct = len(np.unique(x, axis=0))
    k_max = min(k_max, distinct - 1, len(x) - 1)
    if k_max < k_min:
        raise ValueError(
            f"{len(x)} buyers with {distinct} distinct feature vectors: too few for {k_min} segments"
        )
    silhouettes, models = {}, {}
    for k in range(k_min, k_max + 1):
        models[k] = _kmeans(x, k, seed)
        silhouettes[k] = round(_silhouette(x, models[k].labels_, seed, sample_size), 12)
    best = max(silhouettes.values())
    k = min(k for k, score in silhouettes.items() if score >= best - K_TOLERANCE)
    return k, silhouettes, models[k]


def segment_name(x: np.ndarray, centroid: np.ndarray) -> str:
    """The name rule (module docstring, rule 5) for one centroid against the buyers `x`."""
    mean, spread = x.mean(axis=0), x.std(axis=0)
    z = (centroid - mean) / np.where(spread > 0, spread, 1.0)
    named = [
        (abs(float(z[j])), j, feature.words[0] if z[j] < 0 else feature.words[1])
        for j, feature in enumerate(FEATURES)
        if abs(z[j]) >= NAME_LEVEL
    ]
    kept = sorted(sorted(named, key=lambda t: (-t[0], t[1]))[:NAME_WORDS], key=lambda t: t[1])
    return ", ".join(word for _, _, word in kept) or "typical buyers"


def match_segments(new: np.ndarray, previous: np.ndarray) -> dict[int, tuple[int, float]]:
    """Optimal one-to-one assignment of new centroids to previous ones: {new row: (previous row,
    distance)} for every pair the assignment makes (the caller applies MAX_CENTROID_SHIFT)."""
    from scipy.optimize import linear_sum_assignment

    if len(new) == 0 or len(previous) == 0:
        return {}
    cost = np.linalg.norm(new[:, None, :] - previous[None, :, :], axis=2)
    rows, columns = linear_sum_assignment(cost)
    return {int(r): (int(c), float(cost[r, c])) for r, c in zip(rows, columns, strict=True)}


def segment_week(
    columns: dict,
    as_of_date: dt.date,
    previous: ModelState | None,
    *,
    seed: int = 42,
    sample_size: int = 10_000,
    k_min: int = K_MIN,
    k_max: int = K_MAX,
    rechoose_k: bool = False,
) -> WeekResult:
    """One week's segments of the mart `columns` (name -> values), following `previous`."""
    if k_min < 2 or k_max < k_min:
        raise ValueError(f"need 2 <= k_min <= k_max, got k_min={k_min}, k_max={k_max}")
    mart = prepare_mart(columns)
    buyers = mart["purchased_items_last_year"] > 0
    buyer_rows = np.flatnonzero(buyers)
    messages: list[str] = []

    reason = ""
    if previous is None:
        reason = "first run: no earlier week in customer_segment_runs"
    elif previous.version != MODEL_VERSION:
        reason = f"the model changed (version {previous.version} -> {MODEL_VERSION})"
    elif rechoose_k:
        reason = "asked for (--rechoose-k)"

    silhouettes: dict[int, float] = {}
    if not reason:
        assert previous is not None
        fill, mean, scale = previous.fill, previous.mean, previous.scale
        x = (_raw_matrix(mart, buyer_rows, fill) - mean) / scale
        init = np.array([s.centroid for s in previous.segments])
        if len(np.unique(x, axis=0)) <= previous.k:
            raise ValueError(f"{len(x)} buyers: too few for the kept {previous.k} segments")
        model = _kmeans(x, previous.k, seed, init=init)
        silhouette = _silhouette(x, model.labels_, seed, sample_size)
        drop = previous.silhouette_at_choice - silhouette
        if drop > RECHOOSE_SILHOUETTE_DROP:
            reason = (
                f"the data changed: silhouette {silhouette:.3f} with the kept k={previous.k} is "
                f"{drop:.3f} below the {previous.silhouette_at_choice:.3f} measured when it was chosen "
                f"on {previous.k_chosen_on} (threshold {RECHOOSE_SILHOUETTE_DROP})"
            )
        else:
            k, k_chosen_on, silhouette_at_choice = (
                previous.k,
                previous.k_chosen_on,
                previous.silhouette_at_choice,
            )
    if reason:
        fill = _fill_values(mart, buyer_rows)
        raw = _raw_matrix(mart, buyer_rows, fill)
        mean = raw.mean(axis=0)
        scale = raw.std(axis=0)
        scale = np.where(scale > 0, scale, 1.0)
        x = (raw - mean) / scale
        k, silhouettes, model = choose_k(x, seed, sample_size, k_min, k_max)
        silhouette = silhouette_at_choice = silhouettes[k]
        k_chosen_on = as_of_date
        scores = ", ".join(f"k={n}: {s:.3f}" for n, s in sorted(silhouettes.items()))
        messages.append(f"k chosen: {k} ({reason}; silhouettes {scores})")

    centroids = model.cluster_centers_
    # Last week's centroids in this week's standardised units (the scaling changes only with k).
    if previous is not None and previous.segments:
        old = np.array([s.centroid for s in previous.segments]) * previous.scale + previous.mean
        old = (old - mean) / scale
    else:
        old = np.empty((0, len(FEATURES)))
    matches = match_segments(centroids, old)

    next_id = previous.next_id if previous is not None else NON_BUYER_SEGMENT_ID + 1
    # New segments are numbered in a fixed order (by centroid amount, then the other features)
    # so that the same inputs always give the same ids.
    order = sorted(range(len(centroids)), key=lambda c: tuple(centroids[c]))
    segments_by_row: dict[int, Segment] = {}
    for row in order:
        match = matches.get(row)
        if match is not None and match[1] <= MAX_CENTROID_SHIFT:
            kept = previous.segments[match[0]]
            segments_by_row[row] = Segment(kept.id, kept.name, centroids[row], shift=match[1])
        else:
            name = segment_name(x, centroids[row])
            segments_by_row[row] = Segment(next_id, name, centroids[row], is_new=True)
            if match is not None:
                messages.append(
                    f"segment {previous.segments[match[0]].id} ({previous.segments[match[0]].name}) moved "
                    f"{match[1]:.2f} > {MAX_CENTROID_SHIFT}: its customers form new segment {next_id}"
                )
            next_id += 1
    taken: set[str] = set()
    for row in sorted(segments_by_row, key=lambda r: segments_by_row[r].id):
        segment = segments_by_row[row]
        if segment.is_new and segment.name in taken:
            segment.name = f"{segment.name} (segment {segment.id})"
        taken.add(segment.name)

    labels = model.labels_
    segment_ids = np.full(len(mart["user_id"]), NON_BUYER_SEGMENT_ID, dtype=np.int32)
    segment_ids[buyer_rows] = [segments_by_row[int(label)].id for label in labels]
    distances = np.full(len(mart["user_id"]), np.nan)
    distances[buyer_rows] = np.linalg.norm(x - centroids[labels], axis=1)
    segments = sorted(segments_by_row.values(), key=lambda s: s.id)
    for segment in segments:
        segment.customers = int((segment_ids == segment.id).sum())

    state = ModelState(
        k=k,
        k_chosen_on=k_chosen_on,
        silhouette_at_choice=float(silhouette_at_choice),
        mean=mean,
        scale=scale,
        fill=fill,
        segments=[Segment(s.id, s.name, s.centroid) for s in segments],
        next_id=next_id,
        seed=seed,
    )
    return WeekResult(
        as_of_date=as_of_date,
        user_ids=mart["user_id"],
        segment_ids=segment_ids,
        distances=distances,
        segments=segments,
        state=state,
        k_rechosen=bool(reason),
        k_reason=reason or f"kept k={k}, chosen on {k_chosen_on}",
        silhouette=float(silhouette),
        silhouettes=silhouettes,
        mart=mart,
        messages=messages,
    )


def describe(result: WeekResult) -> str:
    """A text profile of the week's segments, printed by the CLI."""
    lines = [
        f"{len(result.user_ids):,} customers, week of {result.as_of_date}: k={result.k} buyer segments "
        f"and the non-buyers (silhouette {result.silhouette:.3f}; {result.k_reason})",
        *result.messages,
        "",
        f"{'id':>3}  {'customers':>9}  {'spend $':>9}  {'items':>6}  {'returns':>7}  {'km':>7}  "
        f"{'age':>5}  name",
    ]
    for row in result.profiles():

        def show(value, fmt):
            return format(value, fmt) if value is not None else "-"

        lines.append(
            f"{row['segment_id']:>3}  {row['customers']:>9,}  {show(row['avg_purchase_amount'], '9,.2f')}  "
            f"{show(row['avg_purchased_items'], '6.2f')}  {show(row['avg_return_rate'], '7.2f')}  "
            f"{show(row['avg_distance_km'], '7,.0f')}  {show(row['avg_age'], '5.1f')}  {row['segment_name']}"
            + ("  (new)" if row["is_new_segment"] else "")
        )
    return "\n".join(lines)


# ---------------------------------------------------------------------------------------------
# Charts
# ---------------------------------------------------------------------------------------------

PROFILE_CHART = "segments.png"
HISTORY_CHART = "segment_history.png"
_LEVEL_COLOURS = {1: "#c9d6e8", 2: "#7a9cc6", 3: "#2f5d8c"}


def _pyplot():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def plot_profile(result: WeekResult, path: str | Path) -> Path:
    """This week's segments: size and profit-level mix, and each segment's mean features."""
    plt = _pyplot()
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    rows = result.profiles()
    labels = [textwrap.fill(f"{r['segment_id']}: {r['segment_name']}", 34) for r in rows]
    columns = [
        ("amount kept ($)", "avg_purchase_amount"),
        ("items", "avg_purchased_items"),
        ("return rate", "avg_return_rate"),
        ("km to center", "avg_distance_km"),
        ("age", "avg_age"),
    ]
    values = np.array([[np.nan if r[c] is None else r[c] for _, c in columns] for r in rows], dtype=float)
    buyers = values[1:] if len(values) > 1 else values
    centre = np.nanmean(buyers, axis=0)
    spread = np.nanstd(buyers, axis=0)
    z = np.nan_to_num((values - centre) / np.where(spread > 0, spread, 1.0))

    fig = plt.figure(figsize=(13, 0.6 * len(rows) + 2.8), dpi=110)
    grid = fig.add_gridspec(1, 2, width_ratios=[1.6, 2.4], wspace=0.05)
    ax = fig.add_subplot(grid[0])
    y = np.arange(len(rows))
    left = np.zeros(len(rows))
    for level in PROFIT_LEVELS:
        counts = np.array([r[f"customers_profit_level_{level}"] for r in rows])
        ax.barh(y, counts, left=left, color=_LEVEL_COLOURS[level], label=f"profit level {level}")
        left += counts
    total = sum(r["customers"] for r in rows)
    for i, r in enumerate(rows):
        ax.text(
            left[i], i, f" {r['customers']:,} ({100 * r['customers'] / total:.0f}%)", va="center", fontsize=8
        )
    ax.set_yticks(y, labels, fontsize=8)
    ax.invert_yaxis()
    ax.set_xlim(0, left.max() * 1.45)
    ax.legend(fontsize=7, loc="lower right")
    ax.set_title("customers per segment, by profit level", fontsize=10)

    ax = fig.add_subplot(grid[1])
    limit = max(1.0, float(np.abs(z).max()))
    ax.imshow(z, cmap="RdBu_r", vmin=-limit, vmax=limit, aspect="auto")
    ax.set_xticks(range(len(columns)), [name for name, _ in columns], fontsize=8)
    ax.set_yticks(y, [])
    for i in range(len(rows)):
        for j in range(len(columns)):
            value = values[i, j]
            text = "-" if np.isnan(value) else f"{value:,.0f}" if abs(value) >= 100 else f"{value:.2f}"
            ax.text(
                j,
                i,
                text,
                ha="center",
                va="center",
                fontsize=8,
                color="white" if abs(z[i, j]) > 1.5 else "black",
            )
    ax.set_title("mean per segment (colour: standard deviations from the buyer segments' mean)", fontsize=10)
    fig.suptitle(
        f"customer_segments, week of {result.as_of_date}: {total:,} customers, k = {result.k} buyer segments "
        f"(chosen on {result.state.k_chosen_on}), silhouette {result.silhouette:.3f}, "
        f"seed {result.state.seed}",
        fontsize=11,
    )
    fig.subplots_adjust(left=0.2, right=0.99, top=0.86, bottom=0.1)
    fig.savefig(path, metadata={"Software": None})
    plt.close(fig)
    return path


def plot_history(profiles: list[dict], path: str | Path) -> Path:
    """Week by week: each segment's size, and the share of customers at each profit level."""
    plt = _pyplot()
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    weeks = sorted({r["as_of_date"] for r in profiles})
    names: dict[int, str] = {}
    for r in sorted(profiles, key=lambda r: r["as_of_date"]):
        names[int(r["segment_id"])] = r["segment_name"]
    index = {week: i for i, week in enumerate(weeks)}

    fig, (sizes, mix) = plt.subplots(1, 2, figsize=(13, 4.6), dpi=110, gridspec_kw={"width_ratios": [2.2, 1]})
    colours = plt.get_cmap("tab10")
    for n, segment_id in enumerate(sorted(names)):
        points = sorted(
            (index[r["as_of_date"]], r["customers"]) for r in profiles if r["segment_id"] == segment_id
        )
        xs, ys = zip(*points, strict=True)
        sizes.plot(
            xs,
            ys,
            marker="o",
            color=colours(n % 10),
            label=textwrap.shorten(f"{segment_id}: {names[segment_id]}", 46),
        )
    sizes.set_xticks(range(len(weeks)), [str(w) for w in weeks], rotation=30, fontsize=8)
    sizes.set_ylabel("customers")
    sizes.set_ylim(bottom=0)
    sizes.grid(alpha=0.3)
    sizes.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.0, 1.0))
    sizes.set_title("customers per segment, week by week", fontsize=10)

    bottom = np.zeros(len(weeks))
    totals = np.array(
        [sum(r["customers"] for r in profiles if r["as_of_date"] == w) for w in weeks], dtype=float
    )
    for level in PROFIT_LEVELS:
        counts = np.array(
            [
                sum(r[f"customers_profit_level_{level}"] for r in profiles if r["as_of_date"] == w)
                for w in weeks
            ],
            dtype=float,
        )
        share = counts / np.where(totals > 0, totals, 1)
        mix.bar(range(len(weeks)), share, bottom=bottom, color=_LEVEL_COLOURS[level], label=f"level {level}")
        bottom += share
    mix.set_xticks(range(len(weeks)), [str(w) for w in weeks], rotation=30, fontsize=8)
    mix.set_ylim(0, 1)
    mix.set_title("share of customers per profit level", fontsize=10)
    mix.legend(fontsize=7, loc="lower right")
    fig.suptitle(f"customer_segment_profiles: {len(weeks)} week(s)", fontsize=11)
    fig.subplots_adjust(left=0.06, right=0.98, top=0.86, bottom=0.2, wspace=0.6)
    fig.savefig(path, metadata={"Software": None})
    plt.close(fig)
    return path
