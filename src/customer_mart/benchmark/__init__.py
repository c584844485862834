"""The benchmark's code shared by `make bench` (bench/run_bench.py, bench/report.py) and its tests.

The features in one hand-written DuckDB statement (single_query, single_query.sql) and in plain
pandas (pandas_features), the comparison of the three implementations (compare), the weekly
delivery of events (weekly_delivery), the raw-table reads of a dbt build (raw_scans), one
command's time and memory (measured) and the benchmark's runs of dbt and the baselines (runner).

Not part of the weekly image's commands: pandas comes with the `dev` extra only, and nothing in
`customer-mart` imports this package. Each module imports what it needs itself; importing the
package imports nothing.
"""
