"""The raw data contract is stated once, in the sources YAML; the Python package reads a module
generated from it (scripts/raw_contract.py). Text only: no dbt, no engine. The dbt macros read
the same YAML from dbt's graph, which every DuckDB build exercises (check_raw_files,
create_raw_views and clean_text find nothing to read without it)."""

from __future__ import annotations

import subprocess
import sys

from conftest import PROJECT_DIR

from customer_mart.schema import COLUMNS, STRING, TEXT_BYTES

SCRIPT = PROJECT_DIR / "scripts" / "raw_contract.py"
SOURCES = PROJECT_DIR / "models" / "staging" / "thelook" / "_thelook__sources.yml"


def contract_check(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, str(SCRIPT), "--check", *args], capture_output=True, text=True, check=False
    )


def test_the_generated_module_is_the_sources_yaml() -> None:
    result = contract_check()
    assert result.returncode == 0, result.stderr


def test_a_changed_yaml_is_caught_and_named(tmp_path) -> None:
    changed = tmp_path / "_thelook__sources.yml"
    text = SOURCES.read_text()
    assert text.count("data_type: varchar(36)") == 1
    changed.write_text(text.replace("data_type: varchar(36)", "data_type: varchar(40)"))
    result = contract_check("--sources", str(changed))
    assert result.returncode == 1
    assert "differs from the raw contract" in result.stderr and "make contract" in result.stderr

    changed.write_text(text.replace("data_type: varchar(36)", "data_type: string"))
    result = contract_check("--sources", str(changed))
    assert result.returncode == 2
    assert "events.session_id has data_type 'string', not bigint, double, timestamp or varchar(n)" in (
        result.stderr
    )


def test_every_text_column_has_a_size_and_only_text_columns_do() -> None:
    for table, columns in COLUMNS.items():
        text = {name for name, kind in columns if kind == STRING}
        assert set(TEXT_BYTES[table]) == text, table
        assert all(0 < size <= 65535 for size in TEXT_BYTES[table].values()), table
