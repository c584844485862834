"""The synthetic generator: determinism, the raw contract, referential shape, shares and timing rules."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import duckdb
import pyarrow.parquet as pq
import pytest

from customer_mart.generate import generate
from customer_mart.schema import TABLES, arrow_schema

USERS = 2000
SEED = 11
NOW = "2026-06-30"
NOW_TS = dt.datetime(2026, 6, 30, tzinfo=dt.UTC)


def make(out: Path, seed: int = SEED, file_format: str = "parquet", users: int = USERS) -> dict[str, int]:
    return generate(users=users, seed=seed, out=out, file_format=file_format, now=NOW, progress=False)


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
    for table in TABLES:
        files = sorted((parquet_dir / table).iterdir())
        assert [f.name for f in files] == [f"{table}-000000000000.parquet"]
        assert pq.read_schema(files[0]).remove_metadata() == arrow_schema(table), table


def test_volumes_scale_like_thelook(parquet_dir: Path):
    rows = {
        table: pq.ParquetFile(next((parquet_dir / table).iterdir())).metadata.num_rows for table in TABLES
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
    make(tmp_path, users=50)
    stale = tmp_path / "users" / "users-000000000001.parquet"
    stale.write_bytes(b"old")
    rows = make(tmp_path, users=30)
    assert not stale.exists()
    assert pq.read_table(tmp_path / "users").num_rows == rows["users"] == 30


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
        path = tmp_path / table / f"{table}-000000000000.csv"
        header = path.open().readline().rstrip("\n")
        assert header == ",".join(arrow_schema(table).names)
        count = csv.execute(f"select count(*) from read_csv('{path}', header = true)").fetchone()[0]
        assert count == one(con, f"select count(*) from {table}")[0], table
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
