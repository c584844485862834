"""The synthetic generator: determinism, the raw contract, referential shape, shares and timing rules.

The module's dataset is drawn in three chunks (700, 700 and 600 users), so that every check of ids,
links, shares and timings below also runs across chunk boundaries; the chunk tests at the end check
the files, the streams and the memory bound of the chunking itself."""

from __future__ import annotations

import datetime as dt
import time
import weakref
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from test_end_to_end import build_and_compare

from customer_mart import generate as generator
from customer_mart.generate import CHUNK_USERS, generate
from customer_mart.load import load_postgres
from customer_mart.schema import TABLES, arrow_schema

USERS = 2000
CHUNK = 700  # chunks of 700, 700 and 600 users
CHUNKS = [700, 700, 600]
PER_CHUNK_TABLES = ("users", "orders", "order_items", "inventory_items")
SEED = 11
NOW = "2026-06-30"
NOW_TS = dt.datetime(2026, 6, 30, tzinfo=dt.UTC)


def make(
    out: Path, seed: int = SEED, file_format: str = "parquet", users: int = USERS, chunk_users: int = CHUNK
) -> dict[str, int]:
    return generate(
        users=users,
        seed=seed,
        out=out,
        file_format=file_format,
        now=NOW,
        progress=False,
        chunk_users=chunk_users,
    )


def files(folder: Path, ext: str = "parquet") -> list[Path]:
    return sorted(folder.glob(f"*.{ext}"))


@pytest.fixture(scope="module")
def parquet_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("generated")
    make(out)
    return out


@pytest.fixture(scope="module")
def con(parquet_dir: Path):
    connection = duckdb.connect(config={"threads": 2, "memory_limit": "2GB"})
    connection.execute("set TimeZone = 'UTC'")
    for table in TABLES:
        connection.execute(
            f"create view {table} as select * from read_parquet('{parquet_dir}/{table}/*.parquet')"
        )
    yield connection
    connection.close()


def one(con, sql: str):
    return con.execute(sql).fetchone()


def shares(con, sql: str) -> dict[str, float]:
    """{value: share} from a query returning (value, count) rows."""
    rows = con.execute(sql).fetchall()
    total = sum(count for _, count in rows)
    return {value: count / total for value, count in rows}


def assert_shares(got: dict, want: dict, tolerance: float) -> None:
    assert set(got) == set(want), (got, want)
    for value, share in want.items():
        assert got[value] == pytest.approx(share, abs=tolerance), (value, got)


# ----------------------------------------------------------------------------- files and schema


def test_layout_and_contract_types(parquet_dir: Path):
    """One file per chunk (events: the purchase sessions' chunks, then the anonymous ones), numbered
    like BigQuery's exports; the two reference tables in one file."""
    parts = {table: len(CHUNKS) for table in PER_CHUNK_TABLES}
    parts |= {"events": 2 * len(CHUNKS), "products": 1, "distribution_centers": 1}
    for table in TABLES:
        found = sorted((parquet_dir / table).iterdir())
        assert [f.name for f in found] == [f"{table}-{i:012d}.parquet" for i in range(parts[table])]
        for path in found:
            assert pq.read_schema(path).remove_metadata() == arrow_schema(table), path.name


def test_volumes_scale_like_thelook(parquet_dir: Path):
    rows = {
        table: sum(pq.ParquetFile(f).metadata.num_rows for f in files(parquet_dir / table))
        for table in TABLES
    }
    assert rows["users"] == USERS
    assert rows["products"] == 29_120
    assert rows["distribution_centers"] == 10
    # README, per 100,000 users: 125k orders, 181k items, 490k inventory rows, 2.43M events.
    per_user = {"orders": 1.25, "order_items": 1.81, "inventory_items": 4.90, "events": 24.3}
    for table, expected in per_user.items():
        assert rows[table] / USERS == pytest.approx(expected, rel=0.08), table


def test_same_seed_same_files_other_seed_other_data(tmp_path: Path, parquet_dir: Path):
    again, other = tmp_path / "again", tmp_path / "other"
    make(again)
    make(other, seed=SEED + 1)
    for table in TABLES:
        first = pq.read_table(parquet_dir / table)
        assert pq.read_table(again / table).equals(first), table
        if table not in ("products", "distribution_centers"):
            assert not pq.read_table(other / table).equals(first), table


def test_regenerating_replaces_old_files(tmp_path: Path):
    make(tmp_path, users=30, chunk_users=10)
    stale = tmp_path / "users" / "users-000000000007.parquet"
    stale.write_bytes(b"old")
    rows = make(tmp_path, users=15, chunk_users=10)  # fewer chunks than before
    assert not stale.exists()
    for table in PER_CHUNK_TABLES:
        assert [f.name for f in files(tmp_path / table)] == [f"{table}-{i:012d}.parquet" for i in (0, 1)]
    assert len(files(tmp_path / "events")) == 4
    assert pq.read_table(tmp_path / "users").num_rows == rows["users"] == 15


def test_zero_users_still_writes_every_table(tmp_path: Path):
    rows = make(tmp_path, users=0)
    assert rows["users"] == rows["orders"] == rows["events"] == 0
    for table in TABLES:
        assert pq.read_schema(tmp_path / table / f"{table}-000000000000.parquet").remove_metadata() == (
            arrow_schema(table)
        )


def test_csv_reads_back_like_parquet(tmp_path: Path, parquet_dir: Path, con):
    make(tmp_path, file_format="csv")
    csv = duckdb.connect()
    for table in TABLES:
        parts = files(tmp_path / table, "csv")
        assert len(parts) == len(files(parquet_dir / table)), table
        for path in parts:  # every part has its own header, as BigQuery's CSV exports do
            assert path.open().readline().rstrip("\n") == ",".join(arrow_schema(table).names), path.name
        count = csv.execute(
            f"select count(*) from read_csv('{tmp_path}/{table}/*.csv', header = true)"
        ).fetchone()
        assert count == one(con, f"select count(*) from {table}"), table
    # Same content: strings quoted, NULL empty, timestamps 'YYYY-MM-DD HH:MM:SS' in UTC.
    line = (tmp_path / "orders" / "orders-000000000000.csv").read_text().splitlines()[1]
    order = one(con, "select order_id, user_id, status, gender, created_at from orders where order_id = 1")
    created = order[4].astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M:%S")
    assert line.startswith(f'1,{order[1]},"{order[2]}","{order[3]}","{created}",')
    from_csv = csv.execute(
        f"""select sum(sale_price), count(returned_at), max(created_at)
            from read_csv('{tmp_path}/order_items/*.csv', header = true,
                          types = {{'created_at': 'TIMESTAMP', 'returned_at': 'TIMESTAMP'}})"""
    ).fetchone()
    from_parquet = one(
        con, "select sum(sale_price), count(returned_at), max(created_at)::timestamp from order_items"
    )
    assert from_csv[0] == pytest.approx(from_parquet[0])
    assert from_csv[1:] == from_parquet[1:]
    assert csv.execute(
        f"select count(*) from read_csv('{tmp_path}/events/*.csv', header = true) where user_id is null"
    ).fetchone() == one(con, "select count(*) from events where user_id is null")


# ----------------------------------------------------------------------------- referential shape


def test_ids_are_one_to_n(con):
    for table, key in [
        ("users", "id"),
        ("orders", "order_id"),
        ("order_items", "id"),
        ("inventory_items", "id"),
        ("events", "id"),
    ]:
        count, distinct, low, high = one(
            con, f"select count(*), count(distinct {key}), min({key}), max({key}) from {table}"
        )
        assert (distinct, low, high) == (count, 1, count), table


def test_orders_and_items_point_at_existing_rows(con):
    assert one(con, "select count(*) from orders where user_id not in (select id from users)") == (0,)
    assert one(
        con,
        """select count(*) from order_items i left join orders o using (order_id)
           where o.order_id is null or o.user_id <> i.user_id""",
    ) == (0,)
    assert one(con, "select count(*) from order_items where product_id not in (select id from products)") == (
        0,
    )
    # num_of_item is the number of item rows of the order.
    assert one(
        con,
        """select count(*) from orders o
           left join (select order_id, count(*) n from order_items group by 1) i using (order_id)
           where i.n is distinct from o.num_of_item""",
    ) == (0,)


def test_each_item_sold_from_its_own_inventory_row(con):
    assert one(
        con,
        """select count(*) from order_items i left join inventory_items v on v.id = i.inventory_item_id
           where v.id is null or v.product_id <> i.product_id or v.sold_at is distinct from i.created_at""",
    ) == (0,)
    sold, items = one(
        con, "select (select count(sold_at) from inventory_items), (select count(*) from order_items)"
    )
    assert sold == items
    # 1/2/3 unsold rows (weights .5/.3/.2) per sold row: 1.7 on average.
    unsold_per_item = one(
        con, "select count(*) filter (where sold_at is null) / count(sold_at) from inventory_items"
    )
    assert unsold_per_item[0] == pytest.approx(1.7, abs=0.06)


def test_items_copy_the_order_and_the_product(con):
    assert one(
        con,
        """select count(*) from order_items i join orders o using (order_id)
           join products p on p.id = i.product_id
           where i.status <> o.status
              or i.created_at <> o.created_at
              or i.shipped_at is distinct from o.shipped_at
              or i.delivered_at is distinct from o.delivered_at
              or i.returned_at is distinct from o.returned_at
              or i.sale_price <> p.retail_price
              or p.department <> case o.gender when 'M' then 'Men' else 'Women' end""",
    ) == (0,)
    assert one(
        con,
        """select count(*) from inventory_items v join products p on p.id = v.product_id
           where v.cost <> p.cost or v.product_name is distinct from p.name
              or v.product_brand is distinct from p.brand or v.product_sku <> p.sku
              or v.product_retail_price <> p.retail_price
              or v.product_distribution_center_id <> p.distribution_center_id""",
    ) == (0,)


def test_order_gender_is_the_users(con):
    assert one(
        con, "select count(*) from orders o join users u on u.id = o.user_id where o.gender <> u.gender"
    ) == (0,)


# ----------------------------------------------------------------------------- events


def test_one_session_per_order_item_with_the_funnel(con):
    sessions = con.execute(
        """with s as (
               select session_id, any_value(user_id) user_id, count(*) n, count(distinct user_id) users,
                      count(distinct browser) browsers, count(distinct traffic_source) sources,
                      count(distinct ip_address) ips,
                      string_agg(event_type, ',' order by sequence_number) funnel,
                      list(sequence_number order by sequence_number) = range(1, count(*) + 1) numbered
               from events where user_id is not null group by 1)
           select funnel, count(*),
                  bool_and(users = 1 and browsers = 1 and sources = 1 and ips = 1 and numbered)
           from s group by 1 order by 1"""
    ).fetchall()
    one_item = "home,department,product,cart,purchase"
    repeated = {n: ",".join(["department,product,cart"] * n + ["purchase"]) for n in (2, 3, 4)}
    by_funnel = {funnel: count for funnel, count, _ in sessions}
    assert all(ok for _, _, ok in sessions)
    assert set(by_funnel) == {one_item, *repeated.values()}
    items_by_size = dict(
        con.execute(
            "select num_of_item, count(*) from order_items join orders using (order_id) group by 1"
        ).fetchall()
    )
    assert by_funnel[one_item] == items_by_size[1]
    for n, funnel in repeated.items():
        assert by_funnel[funnel] == items_by_size[n]


def test_purchase_sessions_end_at_the_item_and_show_its_product(con):
    # Every purchase event is at the created_at of an item of that user whose product the
    # session's product page shows; steps are 0..179 seconds apart.
    assert one(
        con,
        """with s as (
               select session_id, any_value(user_id) user_id,
                      max(created_at) filter (where event_type = 'purchase') purchased_at,
                      any_value(uri) filter (where event_type = 'product') product_uri
               from events where user_id is not null group by 1)
           select count(*) from s
           where not exists (select 1 from order_items i
                             where i.user_id = s.user_id and i.created_at = s.purchased_at
                               and '/product/' || i.product_id = s.product_uri)""",
    ) == (0,)
    low, high = one(
        con,
        """select min(gap), max(gap) from (
               select epoch(created_at) - epoch(lag(created_at) over (partition by session_id
                                                                     order by sequence_number)) gap
               from events where user_id is not null) where gap is not null""",
    )
    assert low >= 0 and high < 180


def test_events_carry_the_users_address_and_department_uris_match(con):
    assert one(
        con,
        """select count(*) from events e join users u on u.id = e.user_id
           where e.city <> u.city or e.state <> u.state or e.postal_code <> u.postal_code""",
    ) == (0,)
    assert one(
        con,
        """with e as (select *, lead(uri) over (partition by session_id order by sequence_number) next_uri
                      from events)
           select count(*) from e join products p on e.next_uri = '/product/' || p.id
           where e.event_type = 'department'
             and e.uri <> '/department/' || lower(replace(p.department, ' ', ''))
                 || '/category/' || lower(replace(p.category, ' ', ''))
                 || '/brand/' || lower(replace(coalesce(p.brand, ''), ' ', ''))""",
    ) == (0,)
    bad_uris = one(
        con,
        r"""select count(*) from events where not regexp_full_match(uri,
            '/home|/cart|/purchase|/cancel|/product/\d+|/department/(men|women)/category/[^/]+/brand/.*')""",
    )
    assert bad_uris == (0,)


def test_anonymous_sessions(con):
    anonymous_sessions, anonymous_events, with_user = one(
        con,
        """select count(distinct session_id) filter (where user_id is null),
                  count(*) filter (where user_id is null),
                  count(distinct session_id) filter (where user_id is not null and session_id in
                      (select session_id from events where user_id is null))
           from events""",
    )
    assert anonymous_sessions == 5 * USERS
    assert with_user == 0
    assert anonymous_events / USERS == pytest.approx(11.25, rel=0.05)
    funnels = shares(
        con,
        """select funnel, count(*) from (
               select string_agg(event_type, ',' order by sequence_number) funnel
               from events where user_id is null group by session_id) group by 1""",
    )
    quarter = {"product,cart,cancel": 0.25, "department,product,cart": 0.25, "product": 0.25}
    assert_shares(funnels, {**quarter, "department,product": 0.25}, 0.02)
    # Anonymous events come after the purchase events; minute precision.
    assert one(
        con,
        """select max(id) filter (where user_id is not null) < min(id) filter (where user_id is null),
                  bool_and(extract(second from created_at) = 0) filter (where user_id is null)
           from events""",
    ) == (True, True)


def test_session_ids_are_uuid_shaped_and_unique_per_session(con):
    assert one(
        con,
        """select count(*) from events where not regexp_full_match(session_id,
           '[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}')""",
    ) == (0,)
    sessions, ips = one(con, "select count(distinct session_id), count(distinct ip_address) from events")
    assert sessions == one(con, "select count(*) from order_items")[0] + 5 * USERS
    assert ips > 0.99 * sessions
    assert one(
        con,
        r"""select count(*) from events
            where not regexp_full_match(ip_address, '(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})')
               or split_part(ip_address, '.', 1)::int in (0, 10, 127)
               or split_part(ip_address, '.', 1)::int > 223""",
    ) == (0,)


# ----------------------------------------------------------------------------- shares


def test_user_shares(con):
    assert_shares(shares(con, "select gender, count(*) from users group by 1"), {"M": 0.5, "F": 0.5}, 0.035)
    assert_shares(
        shares(con, "select traffic_source, count(*) from users group by 1"),
        {"Search": 0.70, "Organic": 0.15, "Facebook": 0.06, "Email": 0.05, "Display": 0.04},
        0.03,
    )
    assert one(con, "select min(age), max(age) from users") == (12, 70)
    assert_shares(
        shares(
            con,
            """select coalesce(n, 0), count(*) from users u
               left join (select user_id, count(*) n from orders group by 1) o on o.user_id = u.id
               group by 1""",
        ),
        {0: 0.2, 1: 0.5, 2: 0.2, 3: 0.05, 4: 0.05},
        0.03,
    )
    # Addresses are world_pop rows, as-is: the literal city "null" included, coordinates not jittered.
    assert one(con, "select count(*) from users where city is null or state is null or country is null") == (
        0,
    )


def test_order_and_event_shares(con):
    assert_shares(
        shares(con, "select status, count(*) from orders group by 1"),
        {"Complete": 0.25, "Cancelled": 0.15, "Returned": 0.10, "Processing": 0.20, "Shipped": 0.30},
        0.03,
    )
    assert_shares(
        shares(con, "select num_of_item, count(*) from orders group by 1"),
        {1: 0.7, 2: 0.2, 3: 0.05, 4: 0.05},
        0.03,
    )
    session_shares = {
        "browser": {"Chrome": 0.5, "Safari": 0.2, "Firefox": 0.2, "IE": 0.05, "Other": 0.05},
        "traffic_source": {
            "Email": 0.45,
            "Adwords": 0.30,
            "YouTube": 0.10,
            "Facebook": 0.10,
            "Organic": 0.05,
        },
    }
    for column, want in session_shares.items():
        got = shares(
            con,
            f"select {column}, count(*) from (select distinct session_id, {column} from events) group by 1",
        )
        assert_shares(got, want, 0.02)


# ----------------------------------------------------------------------------- time


def test_timing_rules_per_status(con):
    rows = con.execute(
        """select status,
                  count(*) filter (where shipped_at is not null),
                  count(*) filter (where delivered_at is not null),
                  count(*) filter (where returned_at is not null),
                  min(epoch(shipped_at) - epoch(created_at)),
                  max(epoch(shipped_at) - epoch(created_at)),
                  min(epoch(delivered_at) - epoch(shipped_at)),
                  max(epoch(delivered_at) - epoch(shipped_at)),
                  min(epoch(returned_at) - epoch(delivered_at)),
                  max(epoch(returned_at) - epoch(delivered_at)),
                  count(*)
           from orders group by 1"""
    ).fetchall()
    day = 86400
    for status, shipped, delivered, returned, *spans, n in rows:
        want = {
            "Processing": (0, 0, 0),
            "Cancelled": (0, 0, 0),
            "Shipped": (n, 0, 0),
            "Complete": (n, n, 0),
            "Returned": (n, n, n),
        }[status]
        assert (shipped, delivered, returned) == want, status
        limits = [(0, 3 * day), (0, 5 * day), (0, 3 * day)]
        for (low, high), (limit_low, limit_high) in zip(
            zip(spans[::2], spans[1::2], strict=True), limits, strict=True
        ):
            if low is not None:
                assert limit_low <= low and high < limit_high, status
    # Whole minutes between the order's timestamps, as in the real table.
    assert one(
        con,
        """select count(*) from orders where (epoch(shipped_at) - epoch(created_at)) % 60 <> 0
              or (epoch(delivered_at) - epoch(shipped_at)) % 60 <> 0
              or (epoch(returned_at) - epoch(delivered_at)) % 60 <> 0""",
    ) == (0,)


def test_created_at_order(con):
    assert one(
        con,
        "select count(*) from orders o join users u on u.id = o.user_id where o.created_at < u.created_at",
    ) == (0,)
    assert one(
        con,
        "select count(*) from events e join users u on u.id = e.user_id where e.created_at < u.created_at",
    ) == (0,)
    assert one(
        con,
        """select count(*) from inventory_items
           where sold_at is not null
             and (created_at > sold_at or sold_at - created_at >= interval 60 days)""",
    ) == (0,)
    assert one(
        con, "select min(created_at) >= timestamptz '2019-01-02' and max(second(created_at)) = 0 from users"
    ) == (True,)


def test_nothing_happens_after_now_except_follow_ups(con):
    """Decision: every created_at, sold_at and event time is before `now`; shipped, delivered and
    returned follow the README's delays from created_at and may lie up to 11 days after `now`,
    as they do in the real table."""
    now = NOW_TS
    for table, column in [
        ("users", "created_at"),
        ("orders", "created_at"),
        ("order_items", "created_at"),
        ("inventory_items", "created_at"),
        ("inventory_items", "sold_at"),
        ("events", "created_at"),
    ]:
        latest = one(con, f"select max({column}) from {table}")[0]
        assert latest < now, (table, column)
    for column in ("shipped_at", "delivered_at", "returned_at"):
        for table in ("orders", "order_items"):
            latest = one(con, f"select max({column}) from {table}")[0]
            assert latest < now + dt.timedelta(days=11), (table, column)


def test_now_defaults_to_today_and_rejects_the_past(tmp_path: Path):
    generate(users=20, seed=1, out=tmp_path, now=None, progress=False)
    today = dt.datetime.now(dt.UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    latest = pq.read_table(tmp_path / "users")["created_at"].to_pylist()
    assert max(latest) < today + dt.timedelta(days=1)
    with pytest.raises(ValueError):
        generate(users=20, seed=1, out=tmp_path, now="2018-12-31", progress=False)


# ----------------------------------------------------------------------------- chunks


def test_ids_run_on_from_file_to_file(parquet_dir: Path):
    """File k+1 of a table starts at the id after file k's last one; chunks have their sizes;
    purchase sessions fill the first event files and anonymous ones (5 per user) the rest."""
    keys = {"users": "id", "orders": "order_id", "order_items": "id", "inventory_items": "id", "events": "id"}
    for table, key in keys.items():
        next_id = 1
        for path in files(parquet_dir / table):
            ids = pq.read_table(path, columns=[key])[key].to_pylist()
            assert ids == list(range(next_id, next_id + len(ids))), path.name
            next_id += len(ids)
    users = [pq.ParquetFile(f).metadata.num_rows for f in files(parquet_dir / "users")]
    assert users == CHUNKS
    events = files(parquet_dir / "events")
    for path in events[: len(CHUNKS)]:
        assert pq.read_table(path, columns=["user_id"])["user_id"].null_count == 0, path.name
    for path, n in zip(events[len(CHUNKS) :], CHUNKS, strict=True):
        anonymous = pq.read_table(path, columns=["user_id", "session_id"])
        assert anonymous["user_id"].null_count == anonymous.num_rows, path.name
        assert len(set(anonymous["session_id"].to_pylist())) == 5 * n, path.name


def test_links_stay_inside_each_chunk(parquet_dir: Path, con):
    """Every order, item, sold inventory row and purchase session of a chunk's users is in that
    chunk's file: the ids a chunk writes are offset by the rows of the chunks before it."""
    for table in ("orders", "order_items", "inventory_items", "events"):
        con.execute(
            f"create or replace temp view {table}_files as select *, filename from "
            f"read_parquet('{parquet_dir}/{table}/*.parquet', filename = true)"
        )

    def chunk(column: str) -> str:
        return f"regexp_extract({column}, '-(\\d+)\\.parquet$', 1)::int"

    user_chunk = f"(user_id - 1) // {CHUNK}"
    for table in ("orders", "order_items", "events"):
        rows, wrong = one(
            con,
            f"select count(*), count(*) filter (where {chunk('filename')} <> {user_chunk}) "
            f"from {table}_files where user_id is not null",
        )
        assert rows > 0 and wrong == 0, table
    assert one(
        con,
        f"""select count(*) from order_items_files i
            join inventory_items_files v on v.id = i.inventory_item_id
            where {chunk("i.filename")} <> {chunk("v.filename")}""",
    ) == (0,)


def test_each_chunk_has_the_shares_and_volumes(con):
    """Chunk boundaries change no distribution: each chunk alone (the short last one too) has the
    volumes per user, the order shares and sign-ups over the whole period."""
    per_chunk = con.execute(
        f"""with u as (select id, (id - 1) // {CHUNK} chunk, created_at from users),
                o as (select (user_id - 1) // {CHUNK} chunk, count(*) n,
                             count(*) filter (where status = 'Shipped') shipped from orders group by 1),
                i as (select (user_id - 1) // {CHUNK} chunk, count(*) n from order_items group by 1),
                e as (select (user_id - 1) // {CHUNK} chunk, count(*) n from events
                      where user_id is not null group by 1)
           select u.chunk, count(*), any_value(o.n), any_value(o.shipped), any_value(i.n), any_value(e.n),
                  min(u.created_at), max(u.created_at)
           from u join o using (chunk) join i using (chunk) join e using (chunk)
           group by 1 order by 1"""
    ).fetchall()
    assert [row[1] for row in per_chunk] == CHUNKS
    for _, users, orders, shipped, items, events, first, last in per_chunk:
        assert orders / users == pytest.approx(1.25, rel=0.1)
        assert items / users == pytest.approx(1.81, rel=0.12)
        assert events / users == pytest.approx(13.0, rel=0.15)  # purchase sessions' events
        assert shipped / orders == pytest.approx(0.30, abs=0.06)
        assert first < dt.datetime(2019, 4, 1, tzinfo=dt.UTC) and last > dt.datetime(
            2026, 3, 1, tzinfo=dt.UTC
        )


def test_chunks_draw_their_own_streams(parquet_dir: Path, con):
    """No chunk repeats another's draws (one stream per chunk), and session ids are unique across
    every chunk of both passes."""
    users = pq.read_table(parquet_dir / "users").to_pylist()
    drawn = [
        [(u["first_name"], u["age"], u["created_at"]) for u in users[start : start + 600]]
        for start in (0, 700, 1400)
    ]
    assert drawn[0] != drawn[1] and drawn[1] != drawn[2] and drawn[0] != drawn[2]
    sessions, uuids = one(
        con,
        "select count(*), count(distinct session_id) from (select distinct session_id, user_id from events)",
    )
    assert sessions == uuids


def test_the_first_chunk_is_what_a_one_chunk_dataset_holds(tmp_path: Path, parquet_dir: Path):
    """Chunk 0 draws from PCG64(seed) as the unchunked generator did: a dataset of one chunk is the
    same data whatever the chunk size, and it is the first file of every table of a larger one
    (the anonymous sessions too, but for their ids, which come after all purchase events)."""
    rows = make(tmp_path, users=CHUNK, chunk_users=CHUNK_USERS)  # the default size: one chunk
    for table in PER_CHUNK_TABLES:
        assert pq.read_table(tmp_path / table).equals(pq.read_table(files(parquet_dir / table)[0])), table
    small, large = files(tmp_path / "events"), files(parquet_dir / "events")
    assert pq.read_table(small[0]).equals(pq.read_table(large[0]))
    anonymous_small, anonymous_large = pq.read_table(small[1]), pq.read_table(large[len(CHUNKS)])
    assert anonymous_small.drop_columns(["id"]).equals(anonymous_large.drop_columns(["id"]))
    assert anonymous_small["id"][0].as_py() == rows["events"] - anonymous_small.num_rows + 1


def test_the_writer_holds_one_part_at_a_time(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """The memory bound: drawing waits for the writer, so however many chunks there are, at most
    the part being written and the one drawn after it are alive (a slow disk is simulated)."""
    alive: list[weakref.ref] = []
    most = 0

    class CountingPool(generator.ThreadPoolExecutor):
        def submit(self, fn, /, *args, **kwargs):
            alive.extend(weakref.ref(arg) for arg in args if isinstance(arg, pa.Table))
            return super().submit(fn, *args, **kwargs)

    write = generator._TableWriter.write

    def slow_write(self, table: pa.Table) -> None:
        nonlocal most
        most = max(most, sum(ref() is not None for ref in alive))
        time.sleep(0.005)
        write(self, table)

    monkeypatch.setattr(generator, "ThreadPoolExecutor", CountingPool)
    monkeypatch.setattr(generator._TableWriter, "write", slow_write)
    rows = make(tmp_path, users=400, chunk_users=20)
    assert rows["users"] == 400 and len(alive) == 20 * 6 + 2
    assert most <= 2, f"{most} parts alive at once"


def test_a_part_that_cannot_be_written_leaves_no_file_of_its_table(tmp_path: Path, monkeypatch):
    """A table is complete or absent: when its second part fails, its first part goes too, and the
    error reaches the caller."""
    write = generator._TableWriter._write
    calls = {"users": 0}

    def failing_write(self, path: Path, table: pa.Table) -> None:
        if self.table == "users":
            calls["users"] += 1
            if calls["users"] == 2:
                path.write_bytes(b"half a file")
                raise OSError("disk full")
        write(self, path, table)

    monkeypatch.setattr(generator._TableWriter, "_write", failing_write)
    with pytest.raises(OSError, match="disk full"):
        make(tmp_path, users=30, chunk_users=10)
    assert list((tmp_path / "users").iterdir()) == []


def test_chunk_size_must_be_positive(tmp_path: Path):
    with pytest.raises(ValueError, match="chunk_users"):
        make(tmp_path, users=10, chunk_users=0)


@pytest.fixture(scope="module")
def many_files_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """1,200 users in three chunks: three files per table (six of events)."""
    out = tmp_path_factory.mktemp("many-files")
    make(out, users=1200, chunk_users=400)
    return out


def test_dbt_builds_the_mart_from_every_file(dbt_project, many_files_dir: Path):
    """The dbt sources' `*.parquet` globs read every chunk's file: `dbt build` on DuckDB (every
    data and unit test) gives the mart that the reference implementation computes from all of
    them, with every user of every chunk in it."""
    built = build_and_compare(dbt_project(many_files_dir), many_files_dir, NOW)
    assert sorted(row["user_id"] for row in built) == list(range(1, 1201))


def test_load_reads_every_file_into_postgres(postgres_server, many_files_dir: Path):
    """`customer-mart load` copies every file of a table folder into PostgreSQL, ids intact."""
    database = postgres_server.create_database("generated_many_files")
    counts = load_postgres(many_files_dir, env=postgres_server.env(database), log=lambda _: None)
    for table in TABLES:
        parts = files(many_files_dir / table)
        assert counts[table] == sum(pq.ParquetFile(f).metadata.num_rows for f in parts), table
    for table, key in (("users", "id"), ("order_items", "id"), ("events", "id")):
        rows = postgres_server.query(
            database, f"select count(*) n, count(distinct {key}) d, max({key}) m from thelook_raw.{table}"
        )
        assert rows == [{"n": counts[table], "d": counts[table], "m": counts[table]}], table
