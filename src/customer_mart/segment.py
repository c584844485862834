"""Customer segments: k-means clustering of the `customer_features` mart.

Reads `customer_features` from the DuckDB database dbt built, clusters the customers with
scikit-learn's k-means, writes the table `customer_segments` (user_id, segment,
distance_to_centroid) back to the same schema, and draws a PNG that profiles the segments.

Features, and why these:

| feature                      | from the mart               | transform            |
|------------------------------|-----------------------------|----------------------|
| age                          | age                         | as is                |
| distance to nearest center   | nearest_dc_distance_km      | log(1 + km)          |
| items purchased              | purchased_items_last_year   | log(1 + items)       |
| amount kept                  | purchase_amount_last_year   | log(1 + dollars)     |
| return rate                  | return_rate_last_year       | as is; 0 when NULL   |

- They describe who the customer is (age), how well the network serves them (distance) and how
  they buy (volume, value, returns): what marketing acts on.
- Counts, amounts and distances are heavily right-skewed (most customers bought nothing in the
  window, a few bought a lot); log(1 + x) keeps a handful of big buyers or far-away customers
  from taking clusters of their own.
- Every feature is then standardised (mean 0, standard deviation 1) so that each weighs the same
  in k-means' Euclidean distances, whatever its unit.
- Left out: `profit_level` (a banding of the amount, already in), `gross_profit_last_year` (close
  to proportional to the amount, and NULL when costs are unknown), `returned_items_last_year`
  (items times rate), and the categorical columns (country, state, nearest center, traffic
  source). Geography is carried by the distance; a one-hot column per country or source would add
  as many dimensions of 0/1 values, which dominate k-means' distances and split customers by
  label rather than by behaviour.
- Missing values: a NULL return rate means "nothing purchased", so 0 (the items feature already
  separates those customers); a NULL age or distance (no valid address) takes the median, so the
  customer is placed by their buying alone.

k is chosen by the mean silhouette score within [k_min, k_max] (3 to 8 by default): for each k,
k-means with a fixed number of initialisations and `random_state=seed`; the silhouette is computed
on a fixed-seed sample of at most `sample_size` customers, since it costs O(n^2). The best score
wins; on a tie, the smaller k. Segments are numbered 1 to k by mean amount kept, lowest first, so
the numbers mean something and do not depend on the order k-means found them in.

The same mart and the same seed give the same segments, numbers and distances.
"""

from __future__ import annotations

import textwrap
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

# (name in the chart, column of customer_features, transform)
FEATURES: tuple[tuple[str, str, str], ...] = (
    ("age", "age", "identity"),
    ("distance to center (km)", "nearest_dc_distance_km", "log1p"),
    ("items purchased", "purchased_items_last_year", "log1p"),
    ("amount kept ($)", "purchase_amount_last_year", "log1p"),
    ("return rate", "return_rate_last_year", "identity"),
)
# How each column's NULLs are filled before the transform.
FILL = {
    "age": "median",
    "nearest_dc_distance_km": "median",
    "purchased_items_last_year": "zero",
    "purchase_amount_last_year": "zero",
    "return_rate_last_year": "zero",
}
SEGMENTS_TABLE = "customer_segments"
N_INIT = 10


@dataclass
class SegmentResult:
    """What a segmentation run found, for the chart, the printout and the tests."""

    user_ids: np.ndarray
    labels: np.ndarray  # 1..k
    distances: np.ndarray  # to the customer's centroid, in standardised units
    k: int
    silhouettes: dict[int, float]
    raw: dict[str, np.ndarray]  # the mart's columns used, NULLs filled, before transforms
    seed: int
    sample_size: int
    seconds: dict[str, float] = field(default_factory=dict)

    @property
    def silhouette(self) -> float:
        return self.silhouettes[self.k]

    def sizes(self) -> list[int]:
        return [int((self.labels == s).sum()) for s in range(1, self.k + 1)]

    def means(self) -> np.ndarray:
        """Mean of each feature (in its own unit, before transforms) per segment: k x features."""
        columns = [self.raw[column] for _, column, _ in FEATURES]
        return np.array(
            [[float(values[self.labels == s].mean()) for values in columns] for s in range(1, self.k + 1)]
        )


def load_features(con, schema: str) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """user_ids (sorted) and the feature columns as float arrays, NaN for NULL."""
    columns = sorted({column for _, column, _ in FEATURES})
    select = ", ".join(f"cast({c} as double) as {c}" for c in columns)
    data = con.execute(
        f'select user_id, {select} from "{schema}".customer_features order by user_id'
    ).fetchnumpy()
    user_ids = np.asarray(data["user_id"], dtype=np.int64)
    raw = {c: np.ma.filled(np.ma.asarray(data[c], dtype=float), np.nan) for c in columns}
    return user_ids, raw


def fill_missing(raw: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    filled = {}
    for column, values in raw.items():
        missing = np.isnan(values)
        if FILL[column] == "median":
            value = float(np.median(values[~missing])) if (~missing).any() else 0.0
        else:
            value = 0.0
        filled[column] = np.where(missing, value, values)
    return filled


def feature_matrix(filled: dict[str, np.ndarray]) -> np.ndarray:
    """The transformed, standardised matrix k-means sees: customers x features."""
    from sklearn.preprocessing import StandardScaler

    columns = []
    for _, column, transform in FEATURES:
        values = filled[column]
        columns.append(np.log1p(np.clip(values, 0, None)) if transform == "log1p" else values)
    return StandardScaler().fit_transform(np.column_stack(columns))


def cluster(x: np.ndarray, k_min: int, k_max: int, seed: int, sample_size: int):
    """Fit k-means for each k in range; return the best k, all silhouettes and the best model."""
    from sklearn.cluster import KMeans
    from sklearn.metrics import silhouette_score
    from threadpoolctl import threadpool_limits

    distinct = len(np.unique(x, axis=0))
    k_max = min(k_max, distinct - 1, len(x) - 1)
    if k_max < k_min:
        raise ValueError(
            f"{len(x)} customers with {distinct} distinct feature vectors: too few for {k_min} segments"
        )
    silhouettes: dict[int, float] = {}
    models = {}
    for k in range(k_min, k_max + 1):
        # One OpenMP thread: the same result on any machine, and much faster on a busy one than
        # threads spinning for a turn (measured: 7x on 100,000 customers, 2 busy cores).
        with threadpool_limits(limits=1, user_api="openmp"):
            model = KMeans(n_clusters=k, n_init=N_INIT, random_state=seed).fit(x)
        score = silhouette_score(
            x, model.labels_, sample_size=min(sample_size, len(x)), random_state=seed, metric="euclidean"
        )
        silhouettes[k] = float(score)
        models[k] = model
    best = max(silhouettes, key=lambda k: (round(silhouettes[k], 12), -k))
    return best, silhouettes, models[best]


def renumber(labels: np.ndarray, centers: np.ndarray, amount_index: int) -> np.ndarray:
    """Segments 1..k ordered by centroid amount (then the other coordinates), lowest first."""
    order = sorted(range(len(centers)), key=lambda c: (centers[c][amount_index], *centers[c]))
    new_number = np.empty(len(centers), dtype=np.int32)
    for number, cluster_index in enumerate(order, start=1):
        new_number[cluster_index] = number
    return new_number[labels]


def segment_customers(
    con, schema: str, *, seed: int = 42, k_min: int = 3, k_max: int = 8, sample_size: int = 10_000
) -> SegmentResult:
    if k_min < 2 or k_max < k_min:
        raise ValueError(f"need 2 <= k_min <= k_max, got k_min={k_min}, k_max={k_max}")
    started = time.perf_counter()
    user_ids, raw = load_features(con, schema)
    loaded = time.perf_counter()
    filled = fill_missing(raw)
    x = feature_matrix(filled)
    k, silhouettes, model = cluster(x, k_min, k_max, seed, sample_size)
    amount_index = [column for _, column, _ in FEATURES].index("purchase_amount_last_year")
    labels = renumber(model.labels_, model.cluster_centers_, amount_index)
    distances = np.linalg.norm(x - model.cluster_centers_[model.labels_], axis=1)
    return SegmentResult(
        user_ids=user_ids,
        labels=labels,
        distances=distances,
        k=k,
        silhouettes=silhouettes,
        raw=filled,
        seed=seed,
        sample_size=min(sample_size, len(x)),
        seconds={"load": loaded - started, "cluster": time.perf_counter() - loaded},
    )


def mart_schema(con) -> str:
    """The schema holding customer_features in the open database (dbt's target schema)."""
    rows = con.execute(
        """
        select table_schema from information_schema.tables
        where table_name = 'customer_features' and table_catalog = current_database()
        order by table_schema
        """
    ).fetchall()
    if not rows:
        raise SystemExit("no customer_features table in this DuckDB file: run `dbt build` first")
    if len(rows) > 1:
        names = ", ".join(r[0] for r in rows)
        raise SystemExit(f"customer_features is in several schemas ({names}); pass --schema")
    return rows[0][0]


def write_segments(con, schema: str, result: SegmentResult) -> None:
    """Replace `<schema>.customer_segments` with this run's segments, in one transaction."""
    import pyarrow as pa

    table = pa.table(
        {
            "user_id": pa.array(result.user_ids, pa.int64()),
            "segment": pa.array(result.labels, pa.int32()),
            "distance_to_centroid": pa.array(result.distances, pa.float64()),
        }
    )
    con.register("_new_segments", table)
    try:
        con.execute("begin transaction")
        con.execute(
            f'create or replace table "{schema}".{SEGMENTS_TABLE} as '
            "select user_id, segment, distance_to_centroid from _new_segments order by user_id"
        )
        con.execute("commit")
    finally:
        con.unregister("_new_segments")


def plot_profile(result: SegmentResult, path: str | Path) -> Path:
    """A PNG: silhouette by k, segment sizes, and each segment's mean features."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.ticker import FuncFormatter, MaxNLocator

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    sizes = result.sizes()
    means = result.means()
    names = [name for name, _, _ in FEATURES]
    segments = [f"segment {s}" for s in range(1, result.k + 1)]
    # Colour each column by how far the segment's mean sits from the overall mean, in standard
    # deviations of that feature: comparable across units; the numbers are the means themselves.
    overall = np.array([result.raw[c].mean() for _, c, _ in FEATURES])
    spread = np.array([result.raw[c].std() or 1.0 for _, c, _ in FEATURES])
    z = (means - overall) / spread

    fig = plt.figure(figsize=(13, 0.55 * result.k + 3.6), dpi=110)
    grid = fig.add_gridspec(1, 3, width_ratios=[1.1, 1.3, 3.4], wspace=0.35)

    ax = fig.add_subplot(grid[0])
    ks = sorted(result.silhouettes)
    ax.plot(ks, [result.silhouettes[k] for k in ks], marker="o", color="#4c72b0")
    ax.plot([result.k], [result.silhouette], marker="o", markersize=11, color="#c44e52", fillstyle="none")
    ax.set_xticks(ks)
    ax.set_xlabel("k")
    ax.set_title("silhouette by k", fontsize=10)
    ax.grid(alpha=0.3)

    ax = fig.add_subplot(grid[1])
    y = np.arange(result.k)
    ax.barh(y, sizes, color="#4c72b0")
    ax.set_yticks(y, segments)
    ax.invert_yaxis()
    total = sum(sizes)
    for i, n in enumerate(sizes):
        ax.text(n, i, f" {n:,} ({100 * n / total:.0f}%)", va="center", fontsize=8)
    ax.set_xlim(0, max(sizes) * 1.6)
    ax.set_title("customers", fontsize=10)
    ax.xaxis.set_major_locator(MaxNLocator(3, integer=True))
    ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:,.0f}"))
    ax.tick_params(axis="x", labelsize=8)

    ax = fig.add_subplot(grid[2])
    limit = max(1.0, float(np.abs(z).max()))
    ax.imshow(z, cmap="RdBu_r", vmin=-limit, vmax=limit, aspect="auto")
    ax.set_xticks(range(len(names)), [textwrap.fill(n, 14) for n in names], fontsize=8)
    ax.set_yticks(y, [])
    for i in range(result.k):
        for j in range(len(names)):
            value = means[i, j]
            text = (
                f"{value:,.0f}"
                if abs(value) >= 100
                else f"{value:.2f}"
                if abs(value) < 10
                else f"{value:.1f}"
            )
            ax.text(
                j,
                i,
                text,
                ha="center",
                va="center",
                fontsize=8,
                color="white" if abs(z[i, j]) > 1.2 else "black",
            )
    ax.set_title("mean per segment (colour: standard deviations from all customers' mean)", fontsize=10)

    fig.suptitle(
        f"customer_segments: {total:,} customers, k = {result.k} "
        f"(silhouette {result.silhouette:.3f} on {result.sample_size:,} sampled), seed {result.seed}",
        fontsize=11,
    )
    fig.subplots_adjust(left=0.05, right=0.99, top=0.82, bottom=0.16)
    fig.savefig(path, metadata={"Software": None})
    plt.close(fig)
    return path


def describe(result: SegmentResult) -> str:
    """A text profile of the segments, printed by the CLI."""
    names = [name for name, _, _ in FEATURES]
    scores = ", ".join(f"k={k}: {s:.3f}" for k, s in sorted(result.silhouettes.items()))
    customers = len(result.user_ids)
    lines = [
        f"{customers:,} customers in {result.k} segments (silhouette {result.silhouette:.3f}; {scores})",
        "",
        "segment  customers  " + "  ".join(f"{n:>24}" for n in names),
    ]
    for s, (n, row) in enumerate(zip(result.sizes(), result.means(), strict=True), start=1):
        lines.append(f"{s:>7}  {n:>9,}  " + "  ".join(f"{v:>24,.2f}" for v in row))
    return "\n".join(lines)


def run_segment(
    duckdb_path: str | Path,
    chart: str | Path | None,
    *,
    seed: int = 42,
    k_min: int = 3,
    k_max: int = 8,
    sample_size: int = 10_000,
    schema: str | None = None,
) -> SegmentResult:
    """The `customer-mart segment` command: read the mart, cluster, write the table and the chart."""
    import duckdb

    path = Path(duckdb_path)
    if not path.exists():
        raise SystemExit(f"no DuckDB file at {path}: run `dbt build` first")
    with duckdb.connect(str(path)) as con:
        schema = schema or mart_schema(con)
        result = segment_customers(con, schema, seed=seed, k_min=k_min, k_max=k_max, sample_size=sample_size)
        started = time.perf_counter()
        write_segments(con, schema, result)
        result.seconds["write"] = time.perf_counter() - started
    if chart:
        plot_profile(result, chart)
    return result
