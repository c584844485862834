"""The plugin's functions (customer_mart.duckdb_plugin). The footer test, `parquet_file_is_complete`:
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


def test_csv_header_reads_the_first_row_only(tmp_path):
    """`csv_header`: the header's names as the raw reader parses them (quotes, a byte-order mark,
    gzip), from the first row alone; None for a file it cannot open or decompress."""
    import gzip

    from customer_mart.duckdb_plugin import csv_header

    plain = tmp_path / "plain.csv"
    plain.write_bytes(b'\xef\xbb\xbfid,"user, id","say ""hi"""\n1,2,3\n')
    packed = tmp_path / "packed.csv.gz"
    with gzip.open(packed, "wt") as out:
        out.write("b,a\n" + "2,1\n" * 100_000)
    fake = tmp_path / "fake.csv.gz"
    fake.write_text("id,name\n")
    assert csv_header(str(plain)) == ["id", "user, id", 'say "hi"']
    assert csv_header(str(packed)) == ["b", "a"]
    assert csv_header(str(fake)) is None
    assert csv_header(str(tmp_path / "missing.csv")) is None
    with duckdb.connect() as con:
        Plugin(name="customer_mart", plugin_config={}).configure_connection(con)
        found = con.execute(f"select csv_header('{packed}')").fetchone()[0]
    assert found == ["b", "a"]
