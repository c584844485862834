"""`make check`'s last step: the mart in a built DuckDB file against the independent reference.

    python tests/python/check_mart.py RAW_DIR DUCKDB_PATH AS_OF_DATE

Reads customer_features from DUCKDB_PATH and compares every row and column with
reference_features.compute(RAW_DIR, AS_OF_DATE), as test_end_to_end.py does after its own build.
Exit 0 when they agree; 1 with the first differences when they do not.
"""

from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path

import duckdb

sys.path.insert(0, str(Path(__file__).parent))
from reference_features import compute  # noqa: E402
from test_end_to_end import assert_same_features  # noqa: E402


def main(argv: list[str]) -> int:
    if len(argv) != 3:
        print(__doc__.strip().splitlines()[2].strip(), file=sys.stderr)
        return 2
    raw_dir, duckdb_path, as_of = Path(argv[0]), argv[1], dt.date.fromisoformat(argv[2])
    with duckdb.connect(duckdb_path, read_only=True) as connection:
        cursor = connection.execute("select * from customer_features")
        names = [column[0] for column in cursor.description]
        built = [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]
    try:
        assert_same_features(built, compute(raw_dir, as_of))
    except AssertionError as error:
        print(f"customer_features differs from the reference: {error}", file=sys.stderr)
        return 1
    print(f"customer_features matches the reference: {len(built)} customers, as_of_date {as_of}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
