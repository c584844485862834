"""The start-of-run check's footer test, `parquet_file_is_complete` (customer_mart.duckdb_plugin):
true only for a file that starts and ends with Parquet's magic bytes, read without reading the
file whole. The check's message on a truncated file in a dbt build is tested in test_faults.py."""

from __future__ import annotations

import duckdb

from customer_mart.duckdb_plugin import Plugin, parquet_file_is_complete


def test_footer_check(tmp_path):
    good = tmp_path / "good.parquet"
    with duckdb.connect() as con:
        con.execute(f"copy (select range as id from range(1000)) to '{good}' (format parquet)")
    data = good.read_bytes()
    cut = tmp_path / "cut.parquet"
    cut.write_bytes(data[: len(data) // 2])
    text = tmp_path / "text.parquet"
    text.write_text("id\n1\n")
    tiny = tmp_path / "tiny.parquet"
    tiny.write_bytes(b"PAR1PAR1")
    assert parquet_file_is_complete(str(good))
    assert not any(parquet_file_is_complete(str(p)) for p in (cut, text, tiny, tmp_path / "missing.parquet"))


def test_plugin_registers_the_function(tmp_path):
    good = tmp_path / "good.parquet"
    with duckdb.connect() as con:
        con.execute(f"copy (select 1 as id) to '{good}' (format parquet)")
        (tmp_path / "bad.parquet").write_bytes(good.read_bytes()[:-1])
        Plugin(name="customer_mart", plugin_config={}).configure_connection(con)
        broken = con.execute(
            f"select file from glob('{tmp_path}/*.parquet') where not parquet_file_is_complete(file)"
        ).fetchall()
    assert broken == [(str(tmp_path / "bad.parquet"),)]
