"""Write the raw data contract's two generated readers from the sources YAML.

The contract is stated once, as the `data_type` of each column of the source `thelook` in
models/staging/thelook/_thelook__sources.yml. Two readers are generated from it:

- src/customer_mart/raw_contract.py, for the Python package, which must work without the dbt
  project beside it (a plain `pip install`);
- macros/staging/raw_contract.sql, the macro raw_contract() that raw_columns, raw_column_types and
  raw_text_sizes read. dbt's graph holds the same YAML while most nodes compile, but a unit test
  compiles its model against a manifest of the model and its fixtures only (`graph` is empty
  there), and the profiles' and staging's unit tests need the contract.

    python scripts/raw_contract.py           # (make contract) writes both
    python scripts/raw_contract.py --check   # exit 1, naming the file, when one is stale

tests/python/test_raw_contract.py runs the check.
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
SOURCES = ROOT / "models" / "staging" / "thelook" / "_thelook__sources.yml"
MODULE = ROOT / "src" / "customer_mart" / "raw_contract.py"
MACRO = ROOT / "macros" / "staging" / "raw_contract.sql"
DATA_TYPE = re.compile(r"bigint|double|timestamp|varchar\([1-9][0-9]*\)")

HEADER = '''"""The raw data contract: generated from models/staging/thelook/_thelook__sources.yml (the
`data_type` of each column) by `make contract` (scripts/raw_contract.py). Do not edit: change the
YAML and regenerate; tests/python/test_raw_contract.py fails while the two differ.

DATA_TYPES: each raw table's columns in the files' order, with their type: bigint, double,
timestamp or varchar(n) (text of at most n bytes of UTF-8). customer_mart.schema reads it.
"""

DATA_TYPES: dict[str, list[tuple[str, str]]] = {
'''


def contract(sources_yaml: str) -> dict[str, list[tuple[str, str]]]:
    """{table: [(column, data_type)]} of the source thelook, or a ValueError naming the column."""
    (source,) = [s for s in yaml.safe_load(sources_yaml)["sources"] if s["name"] == "thelook"]
    tables = {}
    for table in source["tables"]:
        columns = []
        for column in table["columns"]:
            data_type = str(column.get("data_type", "")).lower().replace(" ", "")
            if not DATA_TYPE.fullmatch(data_type):
                raise ValueError(
                    f"source thelook: {table['name']}.{column['name']} has data_type "
                    f"{column.get('data_type')!r}, not bigint, double, timestamp or varchar(n)"
                )
            columns.append((column["name"], data_type))
        tables[table["name"]] = columns
    return tables


def render(tables: dict[str, list[tuple[str, str]]]) -> str:
    lines = [HEADER.rstrip("\n")]
    for table, columns in tables.items():
        lines.append(f"    {table!r}: [".replace("'", '"'))
        lines += [f'        ("{name}", "{data_type}"),' for name, data_type in columns]
        lines.append("    ],")
    lines.append("}")
    return "\n".join(lines) + "\n"


MACRO_HEADER = """{#-
    The raw data contract: generated from models/staging/thelook/_thelook__sources.yml (the
    `data_type` of each column) by `make contract` (scripts/raw_contract.py). Do not edit: change
    the YAML and regenerate; tests/python/test_raw_contract.py fails while the two differ.
    {table: [(column, data_type)]}, in the files' order; data_type bigint, double, timestamp or
    varchar(n) (text of at most n bytes of UTF-8). Not read from dbt's graph: a unit test compiles
    its model without the sources in it.
-#}
{% macro raw_contract() -%}
    {{ return({
"""


def render_macro(tables: dict[str, list[tuple[str, str]]]) -> str:
    lines = [MACRO_HEADER.rstrip("\n")]
    for table, columns in tables.items():
        pairs = ", ".join(f"('{name}', '{data_type}')" for name, data_type in columns)
        lines.append(f"        '{table}': [{pairs}],")
    lines += ["    }) }}", "{%- endmacro %}"]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="only check that the module is up to date")
    parser.add_argument("--sources", type=Path, default=SOURCES, help=argparse.SUPPRESS)
    parser.add_argument("--module", type=Path, default=MODULE, help=argparse.SUPPRESS)
    parser.add_argument("--macro", type=Path, default=MACRO, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    try:
        tables = contract(args.sources.read_text())
    except ValueError as error:
        print(f"raw_contract.py: {error}", file=sys.stderr)
        return 2
    wanted = {args.module: render(tables), args.macro: render_macro(tables)}
    if args.check:
        stale = [path for path, text in wanted.items() if not path.exists() or path.read_text() != text]
        for path in stale:
            print(
                f"{path} differs from the raw contract in {args.sources}: "
                "run `make contract` (python scripts/raw_contract.py) and commit the result",
                file=sys.stderr,
            )
        return 1 if stale else 0
    for path, text in wanted.items():
        path.write_text(text)
        print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
