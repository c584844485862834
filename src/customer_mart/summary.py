"""A short report on a built customer_features mart in DuckDB, printed after `make run`."""

from __future__ import annotations

from pathlib import Path


def summarize(duckdb_path: str | Path) -> str:
    import duckdb

    path = Path(duckdb_path)
    if not path.exists():
        raise SystemExit(f"no DuckDB file at {path}: run `dbt build` first")
    with duckdb.connect(str(path), read_only=True) as con:
        total, start, end = con.execute(
            "select count(*), min(feature_window_start), max(feature_window_end) from customer_features"
        ).fetchone()
        levels = con.execute(
            """
            select f.profit_level, coalesce(l.label, '?'), count(*)
            from customer_features as f
            left join profit_levels as l on f.profit_level = l.profit_level
            group by 1, 2 order by 1
            """
        ).fetchall()
        centers = con.execute(
            """
            select coalesce(nearest_dc_name, '(no valid address)'), count(*),
                   round(median(nearest_dc_distance_km), 1)
            from customer_features group by 1 order by 2 desc, 1
            """
        ).fetchall()

    def share(n: int) -> str:
        return f"{100 * n / total:5.1f}%" if total else "    -"

    lines = [f"customer_features: {total:,} customers, feature window [{start}, {end})", ""]
    lines.append("customers per profit level")
    lines += [f"  {level} {label:<8} {n:>10,}  {share(n)}" for level, label, n in levels]
    lines += ["", "customers per nearest distribution center (median distance, km)"]
    lines += [
        f"  {name:<45} {n:>10,}  {share(n)}  {'' if km is None else f'{km:,.1f}'}" for name, n, km in centers
    ]
    return "\n".join(lines)
