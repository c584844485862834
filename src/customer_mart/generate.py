"""A fast, deterministic, vectorised generator of TheLook-shaped raw data, in bounded memory.

``generate(users=N, seed=S, out=DIR)`` writes the seven TheLook tables (users, orders,
order_items, events, products, inventory_items, distribution_centers) as numbered files
``DIR/<table>/<table>-000000000000.parquet``, ``-000000000001``, ... (or ``.csv``), as BigQuery's
exports are, with the columns and types of :mod:`customer_mart.schema`. Users are drawn in
chunks of ``chunk_users`` (default :data:`CHUNK_USERS`, 250,000), one file per chunk and table,
so peak memory depends on the chunk size, not on N (1.3 GB at 250,000, at 1M or 5M users). Each
chunk draws from its own ``numpy.random.Generator`` (PCG64; chunk 0 seeded with ``seed`` itself,
chunk k from ``SeedSequence(seed, spawn_key=(k,))``) in a fixed order, so the same
``(seed, now, chunk_users)`` always gives the same data; up to one chunk of users (all of
``make run``'s 100,000) it is the same data as before the generator was chunked. Nothing loops
over rows in Python: every column is a numpy array or a pyarrow ``take`` from a small vocabulary.

The rules are the "Facts about the real generator" of TheLook's reference README:

* users: gender M/F 50/50, age uniform 12..70, traffic_source Search/Organic/Facebook/Email/
  Display .70/.15/.06/.05/.04, address = one ``world_pop.csv`` row drawn by population (no
  jitter; cities spelled ``null`` are kept), created_at uniform over [2019-01-02, now) at
  minute precision; 0/1/2/3/4 orders with weights .2/.5/.2/.05/.05.
* orders: status Complete/Cancelled/Returned/Processing/Shipped .25/.15/.10/.20/.30;
  created_at uniform between the user's created_at and now (second precision);
  shipped_at = created_at + U[0, 3 days) for Shipped/Complete/Returned, delivered_at =
  shipped_at + U[0, 5 days) for Complete/Returned, returned_at = delivered_at + U[0, 3 days)
  for Returned, in whole minutes as in the real table; the other timestamps NULL;
  num_of_item 1/2/3/4 with weights .7/.2/.05/.05.
* order_items: one row per item, status and all four timestamps copied from the order,
  product uniform among the products of the user's department (M -> Men, F -> Women),
  sale_price = the product's retail_price.
* inventory_items: per order item one sold row (created_at = item created_at - U[0, 60 days)
  in whole minutes, sold_at = item created_at) followed by 1/2/3 unsold rows of the same
  product (weights .5/.3/.2; created_at uniform over [2020-01-02, now) at minute precision,
  as in the official sample); product fields and cost copied from products.
* events: one session (uuid-shaped id, one ip, browser Chrome/Safari/Firefox/IE/Other
  .5/.2/.2/.05/.05, traffic_source Email/Adwords/YouTube/Facebook/Organic
  .45/.30/.10/.10/.05) per order item; the user's city/state/postal_code are copied on.
  Plus 5 anonymous sessions per user (user_id NULL, address drawn by population), each one of
  [product, cart, cancel], [department, product, cart], [product], [department, product]
  with equal probability. Purchase events come first (in order item order, every chunk's),
  then the anonymous ones (every chunk's); ids of every table are 1..n, in file order.

Where the README left room, these decisions were taken from the official 3k sample:

* Sessions are per order ITEM, not per order (the sample has exactly one session per order
  item): a one-item order's item gets home, department, product, cart, purchase; each item of
  an n-item order (n > 1) gets a session of department, product, cart repeated n times (the
  item's own product each time) then purchase, i.e. 3n + 1 events. This reproduces the
  README's volumes (10.4 purchase events per order).
* Purchase sessions end at the item's created_at (the purchase event is at exactly that
  instant) and each earlier event is 0..179 whole seconds before the next ("+0..3 minutes per
  step"), but never before the user's created_at (a session that would start before the
  sign-up is squeezed up to it). The real generator instead starts the session up to 4 h
  before the order and, for multi-item orders, puts the purchase (and the item's created_at)
  up to 4 days after it; the README says item timestamps are copied from the order, so that
  quirk is not reproduced.
* Anonymous sessions have minute precision and 0..29 whole minutes between steps, as in the
  sample; they start uniformly over [2019-01-02, now) such that the last event is before now.
  Their product is uniform over all products.
* Department uris are ``/department/<department>/category/<category>/brand/<brand>``, each
  part lower-cased with spaces removed (a NULL brand gives an empty part), as in the sample.
* order_items.inventory_item_id points at the item's SOLD inventory row (the real generator
  points at the last unsold row of the block, a bug this generator does not copy).
* Time versus ``now`` (UTC midnight of the given day, default today): every created_at,
  sold_at and event time is strictly before ``now``. shipped_at, delivered_at and returned_at
  follow the README's rules and may therefore fall up to 11 days after ``now``, exactly as in
  the real table (1.7% of its orders have one after its last created_at); statuses are not
  re-derived from ``now``, so the status shares stay as stated.
* Users' names, emails (``firstnamelastname@example.com|org|net``) and street addresses come
  from small built-in word lists.
"""

from __future__ import annotations

import datetime as dt
import functools
import importlib.resources
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pa_csv
import pyarrow.parquet as pq
from tqdm import tqdm

from customer_mart.schema import TABLES, arrow_schema

US = 1_000_000
MINUTE = 60 * US
DAY = 24 * 60 * MINUTE
START = dt.datetime(2019, 1, 2, tzinfo=dt.UTC)
INVENTORY_START = dt.datetime(2020, 1, 2, tzinfo=dt.UTC)

USER_TRAFFIC = (("Search", "Organic", "Facebook", "Email", "Display"), (0.70, 0.15, 0.06, 0.05, 0.04))
ORDERS_PER_USER = ((0, 1, 2, 3, 4), (0.2, 0.5, 0.2, 0.05, 0.05))
STATUS = (("Complete", "Cancelled", "Returned", "Processing", "Shipped"), (0.25, 0.15, 0.10, 0.20, 0.30))
COMPLETE, CANCELLED, RETURNED, PROCESSING, SHIPPED = range(5)
ITEMS_PER_ORDER = ((1, 2, 3, 4), (0.7, 0.2, 0.05, 0.05))
UNSOLD_PER_ITEM = ((1, 2, 3), (0.5, 0.3, 0.2))
BROWSER = (("Chrome", "Safari", "Firefox", "IE", "Other"), (0.5, 0.2, 0.2, 0.05, 0.05))
EVENT_TRAFFIC = (("Email", "Adwords", "YouTube", "Facebook", "Organic"), (0.45, 0.30, 0.10, 0.10, 0.05))
ANONYMOUS_SESSIONS_PER_USER = 5

EVENT_TYPES = ("home", "department", "product", "cart", "purchase", "cancel")
HOME, DEPARTMENT, PRODUCT, CART, PURCHASE, CANCEL = range(6)
# Anonymous funnels, padded with -1 to a fixed width; drawn with equal probability.
ANONYMOUS_FUNNELS = np.array(
    [[PRODUCT, CART, CANCEL], [DEPARTMENT, PRODUCT, CART], [PRODUCT, -1, -1], [DEPARTMENT, PRODUCT, -1]]
)
ANONYMOUS_FUNNEL_LENGTHS = (ANONYMOUS_FUNNELS >= 0).sum(axis=1)


def _words(text: str) -> list[str]:
    return text.split()


FEMALE_FIRST_NAMES = _words(
    "Mary Patricia Jennifer Linda Elizabeth Barbara Susan Jessica Sarah Karen Lisa Nancy Betty Sandra "
    "Margaret Ashley Kimberly Emily Donna Michelle Carol Amanda Melissa Deborah Stephanie Rebecca Sharon "
    "Laura Cynthia Dorothy Amy Kathleen Angela Shirley Emma Brenda Pamela Nicole Anna Samantha Katherine "
    "Christine Debra Rachel Carolyn Janet Maria Olivia Heather Helen Catherine Diane Julie Victoria Joyce "
    "Lauren Kelly Christina Ruth Joan Virginia Judith Evelyn Hannah Andrea Megan Cheryl Jacqueline Madison "
    "Teresa Abigail Sophia Martha Sara Gloria Janice Kathryn Ann Isabella Judy Charlotte Julia Grace Amber "
    "Alice Jean Denise Frances Danielle Marilyn Natalie Beverly Diana Brittany Theresa Kayla Alexis Doris "
    "Lori Tiffany Alisha"
)
MALE_FIRST_NAMES = _words(
    "James Robert John Michael David William Richard Joseph Thomas Christopher Charles Daniel Matthew "
    "Anthony Mark Donald Steven Andrew Paul Joshua Kenneth Kevin Brian Timothy Ronald George Jason Edward "
    "Jeffrey Ryan Jacob Nicholas Gary Eric Jonathan Stephen Larry Justin Scott Brandon Benjamin Samuel "
    "Gregory Alexander Patrick Frank Raymond Jack Dennis Jerry Tyler Aaron Jose Adam Nathan Henry Zachary "
    "Douglas Peter Kyle Noah Ethan Jeremy Christian Walter Keith Austin Roger Terry Sean Gerald Carl Dylan "
    "Harold Jordan Jesse Bryan Lawrence Arthur Gabriel Bruce Logan Billy Joe Alan Juan Elijah Willie Albert "
    "Wayne Randy Mason Vincent Liam Roy Bobby Caleb Bradley Russell Lucas"
)
LAST_NAMES = _words(
    "Smith Johnson Williams Brown Jones Garcia Miller Davis Rodriguez Martinez Hernandez Lopez Gonzalez "
    "Wilson Anderson Thomas Taylor Moore Jackson Martin Lee Perez Thompson White Harris Sanchez Clark "
    "Ramirez Lewis Robinson Walker Young Allen King Wright Scott Torres Nguyen Hill Flores Green Adams "
    "Nelson Baker Hall Rivera Campbell Mitchell Carter Roberts Gomez Phillips Evans Turner Diaz Parker "
    "Cruz Edwards Collins Reyes Stewart Morris Morales Murphy Cook Rogers Gutierrez Ortiz Morgan Cooper "
    "Peterson Bailey Reed Kelly Howard Ramos Kim Cox Ward Richardson Watson Brooks Chavez Wood James "
    "Bennett Gray Mendoza Ruiz Hughes Price Alvarez Castillo Sanders Patel Myers Long Ross Foster Jimenez "
    "Powell Jenkins Perry Russell Sullivan Bell Coleman Butler Henderson Barnes Gonzales Fisher Vasquez "
    "Simmons Romero Jordan Patterson Alexander Hamilton Graham Reynolds Griffin Wallace Moreno West Cole"
)
STREET_SUFFIXES = _words(
    "Alley Avenue Bridge Brook Burg Camp Canyon Cape Circle Club Common Corner Course Court Cove Creek "
    "Crossing Drive Estates Expressway Falls Ferry Field Fields Flat Ford Forest Fork Fort Freeway Gardens "
    "Gateway Glen Glens Green Grove Harbor Heights Highway Hill Hills Hollow Island Isle Junction Key Knoll "
    "Lake Land Landing Lane Light Lights Loop Manor Meadow Meadows Mill Mission Mount Mountain Oval Park "
    "Parkway Pass Path Pike Pine Pines Place Plains Point Port Prairie Ranch Rapids Ridge River Road Route "
    "Row Run Shoal Shore Shores Spring Springs Square Station Stream Street Summit Terrace Trace Track "
    "Trail Tunnel Turnpike Union Valley Via View Village Ville Vista Walk Way Well Wells"
)
EMAIL_DOMAINS = ("@example.com", "@example.org", "@example.net")


# ----------------------------------------------------------------------------- reference data


@functools.cache
def _world_pop() -> pa.Table:
    text_columns = ("country", "state", "city", "postal_code")
    convert = pa_csv.ConvertOptions(
        column_types={
            **dict.fromkeys(text_columns, pa.string()),
            "latitude": pa.float64(),
            "longitude": pa.float64(),
            "population": pa.float64(),
        },
        strings_can_be_null=False,  # the literal city "null" stays a string, as in TheLook
    )
    with importlib.resources.as_file(_data("world_pop.csv")) as path:
        return pa_csv.read_csv(path, convert_options=convert)


@functools.cache
def _products() -> pa.Table:
    with importlib.resources.as_file(_data("products.parquet")) as path:
        table = pq.read_table(path)
    return (
        table.select(arrow_schema("products").names).cast(arrow_schema("products")).replace_schema_metadata()
    )


@functools.cache
def _distribution_centers() -> pa.Table:
    schema = arrow_schema("distribution_centers")
    convert = pa_csv.ConvertOptions(column_types=dict(zip(schema.names, schema.types, strict=True)))
    with importlib.resources.as_file(_data("distribution_centers.csv")) as path:
        return pa_csv.read_csv(path, convert_options=convert).select(schema.names).cast(schema)


def _data(name: str):
    return importlib.resources.files("customer_mart").joinpath("data", name)


@functools.cache
def _product_uris() -> pa.Array:
    """The uri vocabulary: P product uris, then P department uris, then the fixed pages."""
    products = _products()

    def part(column: str) -> pa.Array:
        text = pc.fill_null(products[column], "")
        return pc.utf8_lower(pc.replace_substring(text, " ", ""))

    product = pc.binary_join_element_wise("/product/", pc.cast(products["id"], pa.string()), "")
    department = pc.binary_join_element_wise(
        "/department/", part("department"), "/category/", part("category"), "/brand/", part("brand"), ""
    )
    fixed = pa.array(["/home", "/cart", "/purchase", "/cancel"])
    return pa.concat_arrays([product.combine_chunks(), department.combine_chunks(), fixed])


# ----------------------------------------------------------------------------- helpers


def _now_us(now: str | dt.date | dt.datetime | None) -> int:
    if now is None:
        day = dt.datetime.now(dt.UTC).date()
        moment = dt.datetime(day.year, day.month, day.day, tzinfo=dt.UTC)
    elif isinstance(now, dt.datetime):
        moment = now if now.tzinfo else now.replace(tzinfo=dt.UTC)
    elif isinstance(now, dt.date):
        moment = dt.datetime(now.year, now.month, now.day, tzinfo=dt.UTC)
    else:
        day = dt.date.fromisoformat(str(now))
        moment = dt.datetime(day.year, day.month, day.day, tzinfo=dt.UTC)
    if moment <= START + dt.timedelta(days=1):
        raise ValueError(f"now must be after {START.date()}, got {moment.isoformat()}")
    return _us(moment)


def _us(moment: dt.datetime) -> int:
    return int(moment.timestamp()) * US


def _choice(rng: np.random.Generator, weights, size: int) -> np.ndarray:
    """Indexes 0..len(weights)-1 drawn with probability proportional to weights."""
    cdf = np.cumsum(np.asarray(weights, dtype=np.float64))
    cdf /= cdf[-1]
    return np.searchsorted(cdf, rng.random(size), side="right")


def _uniform_int(rng: np.random.Generator, low: np.ndarray | int, span: np.ndarray | int, size: int):
    """low + U[0, span) as integers, with a per-row span (span >= 1)."""
    return low + (rng.random(size) * span).astype(np.int64)


def _vocab(values, index: np.ndarray) -> pa.Array:
    """values[index] as a dictionary array: no string is copied (see _TableWriter)."""
    if isinstance(values, pa.ChunkedArray):  # pa.array() would copy it value by value (~20 ms)
        dictionary = values.combine_chunks()
    elif isinstance(values, pa.Array):
        dictionary = values
    else:
        dictionary = pa.array(values, type=pa.string())
    mask = None
    if dictionary.null_count:  # Parquet wants the NULLs in the indexes, not in the dictionary
        mask = ~dictionary.is_valid().to_numpy(zero_copy_only=False)[index]
        dictionary = pc.fill_null(dictionary, "")
    indexes = pa.array(np.asarray(index).astype(np.int32, copy=False), mask=mask)
    return pa.DictionaryArray.from_arrays(indexes, dictionary)


def _dense(values, index: np.ndarray) -> pa.Array:
    """values[index] as plain strings (for the few columns that are computed on)."""
    return pa.array(values, type=pa.string()).take(pa.array(index, type=pa.int32()))


def _timestamps(values: np.ndarray, valid: np.ndarray | None = None) -> pa.Array:
    mask = None if valid is None else ~valid
    return pa.array(values.astype(np.int64, copy=False), type=pa.timestamp("us", tz="UTC"), mask=mask)


def _int64(values: np.ndarray, valid: np.ndarray | None = None) -> pa.Array:
    mask = None if valid is None else ~valid
    return pa.array(values.astype(np.int64, copy=False), type=pa.int64(), mask=mask)


def _fixed_width_strings(chars: np.ndarray) -> pa.Array:
    """A string array from an (n, width) uint8 matrix of ASCII codes, one row per value."""
    n, width = chars.shape
    offsets = np.arange(0, (n + 1) * width, width, dtype=np.int32)
    data = np.ascontiguousarray(chars)
    return pa.Array.from_buffers(pa.string(), n, [None, pa.py_buffer(offsets), pa.py_buffer(data)])


def _compact_strings(chars: np.ndarray, valid: np.ndarray) -> pa.Array:
    """One string per row of a padded (n, width) ASCII matrix: its characters where valid."""
    data = chars[valid]
    offsets = np.zeros(len(chars) + 1, dtype=np.int32)
    np.cumsum(valid.sum(axis=1, dtype=np.int32), out=offsets[1:])
    return pa.Array.from_buffers(pa.string(), len(chars), [None, pa.py_buffer(offsets), pa.py_buffer(data)])


# Each byte as its two lower-case hex digits; the 32 hex digits of a uuid go to these columns.
_HEX_PAIRS = np.frombuffer(b"".join(f"{v:02x}".encode() for v in range(256)), dtype=np.uint16)
_UUID_GROUPS = ((0, 4, 0), (4, 6, 9), (6, 8, 14), (8, 10, 19), (10, 16, 24))  # bytes [a, b) -> char c


def _uuids(rng: np.random.Generator, n: int) -> pa.Array:
    """n random version-4 uuid strings, drawn from rng (deterministic for a seed, unlike uuid4())."""
    raw = np.frombuffer(rng.bytes(16 * n), dtype=np.uint8).reshape(n, 16).copy()
    raw[:, 6] = (raw[:, 6] & 0x0F) | 0x40
    raw[:, 8] = (raw[:, 8] & 0x3F) | 0x80
    hex_digits = _HEX_PAIRS[raw].view(np.uint8)  # (n, 32)
    chars = np.full((n, 36), ord("-"), dtype=np.uint8)
    for first, stop, column in _UUID_GROUPS:
        chars[:, column : column + 2 * (stop - first)] = hex_digits[:, 2 * first : 2 * stop]
    return _fixed_width_strings(chars)


# Each octet 0..255 as three zero-padded ASCII digits, with how many of them to keep.
_OCTET_DIGITS = np.array([[ord(c) for c in f"{v:>3}"] for v in range(256)], dtype=np.uint8)
_OCTET_KEEP = np.array([[c != " " for c in f"{v:>3}"] for v in range(256)])
_IP_FIRST_OCTETS = np.array([o for o in range(1, 224) if o not in (10, 127)])


def _ip_addresses(rng: np.random.Generator, n: int) -> pa.Array:
    """n public-looking IPv4 addresses (class A to C, no private or loopback ranges)."""
    octets = rng.integers(0, 256, size=(n, 4), dtype=np.int64)
    octets[:, 0] = _IP_FIRST_OCTETS[octets[:, 0] % len(_IP_FIRST_OCTETS)]
    octets[:, 3] = 1 + octets[:, 3] % 254
    # 172.16/12 -> 172.32/12, 192.168/16 -> 192.169/16, 169.254/16 -> 169.255/16
    private_172 = (octets[:, 0] == 172) & (octets[:, 1] >= 16) & (octets[:, 1] < 32)
    octets[private_172, 1] += 16
    octets[(octets[:, 0] == 192) & (octets[:, 1] == 168), 1] = 169
    octets[(octets[:, 0] == 169) & (octets[:, 1] == 254), 1] = 255
    chars = np.full((n, 4, 4), ord("."), dtype=np.uint8)
    chars[:, :, :3] = _OCTET_DIGITS[octets]
    valid = np.ones((n, 4, 4), dtype=bool)
    valid[:, :, :3] = _OCTET_KEEP[octets]
    valid[:, 3, 3] = False  # no dot after the last octet
    return _compact_strings(chars.reshape(n, 16), valid.reshape(n, 16))


def _segment_starts(lengths: np.ndarray) -> np.ndarray:
    return np.cumsum(lengths) - lengths


# ----------------------------------------------------------------------------- tables


def _users(
    rng: np.random.Generator, n: int, now: int, first: dict[str, int]
) -> tuple[pa.Table, dict[str, np.ndarray]]:
    world = _world_pop()
    is_male = rng.integers(0, 2, n) == 0
    age = rng.integers(12, 71, n)
    traffic = _choice(rng, USER_TRAFFIC[1], n)
    location = _choice(rng, world["population"].to_numpy(), n)
    start = _us(START)
    created = start + rng.integers(0, (now - start) // MINUTE, n) * MINUTE

    first_index = np.where(
        is_male,
        len(FEMALE_FIRST_NAMES) + rng.integers(0, len(MALE_FIRST_NAMES), n),
        rng.integers(0, len(FEMALE_FIRST_NAMES), n),
    )
    last_index = rng.integers(0, len(LAST_NAMES), n)
    domain_index = rng.integers(0, len(EMAIL_DOMAINS), n)
    digits = rng.integers(3, 6, n)
    low = 10 ** (digits - 1)
    house = _uniform_int(rng, low, 9 * low, n)
    street_index = rng.integers(0, len(LAST_NAMES), n)
    suffix_index = rng.integers(0, len(STREET_SUFFIXES), n)

    first_names = FEMALE_FIRST_NAMES + MALE_FIRST_NAMES
    first_name = _vocab(first_names, first_index)
    last = _vocab(LAST_NAMES, last_index)
    email = pc.binary_join_element_wise(
        _dense([name.lower() for name in first_names], first_index),
        _dense([name.lower() for name in LAST_NAMES], last_index),
        _dense(EMAIL_DOMAINS, domain_index),
        "",
    )
    street = pc.binary_join_element_wise(
        pa.array(house).cast(pa.string()),
        _dense(LAST_NAMES, street_index),
        _dense(STREET_SUFFIXES, suffix_index),
        " ",
    )
    where = pa.array(location, type=pa.int32())
    table = pa.Table.from_arrays(
        [
            _int64(np.arange(first["users"], first["users"] + n)),
            first_name,
            last,
            email,
            _int64(age),
            _vocab(["F", "M"], is_male.astype(np.int8)),
            _vocab(world["state"], location),
            street,
            _vocab(world["postal_code"], location),
            _vocab(world["city"], location),
            _vocab(world["country"], location),
            world["latitude"].take(where),
            world["longitude"].take(where),
            _vocab(USER_TRAFFIC[0], traffic),
            _timestamps(created),
        ],
        names=arrow_schema("users").names,
    )
    return table, {"is_male": is_male, "created": created, "location": location}


def _orders(rng: np.random.Generator, users: dict[str, np.ndarray], now: int, first: dict[str, int]):
    n_users = len(users["created"])
    per_user = np.asarray(ORDERS_PER_USER[0])[_choice(rng, ORDERS_PER_USER[1], n_users)]
    user = np.repeat(np.arange(n_users), per_user)
    n = len(user)
    status = _choice(rng, STATUS[1], n)
    user_created = users["created"][user]
    created = _uniform_int(rng, user_created // US, (now - user_created) // US, n) * US
    shipped = created + rng.integers(0, 3 * 24 * 60, n) * MINUTE
    delivered = shipped + rng.integers(0, 5 * 24 * 60, n) * MINUTE
    returned = delivered + rng.integers(0, 3 * 24 * 60, n) * MINUTE
    items = np.asarray(ITEMS_PER_ORDER[0])[_choice(rng, ITEMS_PER_ORDER[1], n)]

    has_shipped = np.isin(status, (SHIPPED, COMPLETE, RETURNED))
    has_delivered = np.isin(status, (COMPLETE, RETURNED))
    has_returned = status == RETURNED
    is_male = users["is_male"][user]
    columns = {
        "status": _vocab(STATUS[0], status),
        "created_at": _timestamps(created),
        "shipped_at": _timestamps(shipped, has_shipped),
        "delivered_at": _timestamps(delivered, has_delivered),
        "returned_at": _timestamps(returned, has_returned),
    }
    table = pa.Table.from_arrays(
        [
            _int64(np.arange(first["orders"], first["orders"] + n)),
            _int64(user + first["users"]),
            columns["status"],
            _vocab(["F", "M"], is_male.astype(np.int8)),
            columns["created_at"],
            columns["returned_at"],
            columns["shipped_at"],
            columns["delivered_at"],
            _int64(items),
        ],
        names=arrow_schema("orders").names,
    )
    return table, {"user": user, "created": created, "items": items, "is_male": is_male, "columns": columns}


def _order_items(rng: np.random.Generator, orders: dict, first: dict[str, int]):
    order = np.repeat(np.arange(len(orders["items"])), orders["items"])
    n = len(order)
    products = _products()
    department = products["department"].to_numpy(zero_copy_only=False)
    men, women = np.flatnonzero(department == "Men"), np.flatnonzero(department == "Women")
    pick = rng.random(n)
    is_male = orders["is_male"][order]
    product = np.where(
        is_male, men[(pick * len(men)).astype(np.int64)], women[(pick * len(women)).astype(np.int64)]
    )
    unsold = np.asarray(UNSOLD_PER_ITEM[0])[_choice(rng, UNSOLD_PER_ITEM[1], n)]
    sold_row = _segment_starts(1 + unsold)  # 0-based row of each item's sold inventory row
    order_rows = pa.array(order, type=pa.int32())
    columns = orders["columns"]
    table = pa.Table.from_arrays(
        [
            _int64(np.arange(first["order_items"], first["order_items"] + n)),
            _int64(order + first["orders"]),
            _int64(orders["user"][order] + first["users"]),
            products["id"].take(pa.array(product)),
            _int64(sold_row + first["inventory_items"]),
            columns["status"].take(order_rows),
            columns["created_at"].take(order_rows),
            columns["shipped_at"].take(order_rows),
            columns["delivered_at"].take(order_rows),
            columns["returned_at"].take(order_rows),
            products["retail_price"].take(pa.array(product)),
        ],
        names=arrow_schema("order_items").names,
    )
    created = orders["created"][order]
    return table, {"order": order, "product": product, "unsold": unsold, "created": created}


def _inventory_items(rng: np.random.Generator, items: dict, now: int, first: dict[str, int]) -> pa.Table:
    block = 1 + items["unsold"]
    n = int(block.sum())
    item = np.repeat(np.arange(len(block)), block)
    sold = np.zeros(n, dtype=bool)
    sold[_segment_starts(block)] = True
    item_created = items["created"][item]
    sold_created = item_created - rng.integers(0, 60 * 24 * 60, n) * MINUTE
    low = _us(INVENTORY_START) if now - _us(INVENTORY_START) > DAY else _us(START)
    unsold_created = low + rng.integers(0, (now - low) // MINUTE, n) * MINUTE
    created = np.where(sold, sold_created, unsold_created)
    product = items["product"][item]
    rows = pa.array(product, type=pa.int32())
    products = _products()
    return pa.Table.from_arrays(
        [
            _int64(np.arange(first["inventory_items"], first["inventory_items"] + n)),
            products["id"].take(rows),
            _timestamps(created),
            _timestamps(item_created, sold),
            products["cost"].take(rows),
            _vocab(products["category"], product),
            _vocab(products["name"], product),
            _vocab(products["brand"], product),
            products["retail_price"].take(rows),
            _vocab(products["department"], product),
            _vocab(products["sku"], product),
            products["distribution_center_id"].take(rows),
        ],
        names=arrow_schema("inventory_items").names,
    )


def _event_table(
    first_id: int,
    session: np.ndarray,
    sequence: np.ndarray,
    event_type: np.ndarray,
    product: np.ndarray,
    created: np.ndarray,
    session_user: np.ndarray | None,
    first_user_id: int,
    session_location: np.ndarray,
    session_uuid: pa.Array,
    session_ip: pa.Array,
    session_browser: np.ndarray,
    session_traffic: np.ndarray,
) -> pa.Table:
    n = len(session)
    n_products = len(_products())
    uri_index = np.select(
        [event_type == PRODUCT, event_type == DEPARTMENT, event_type == HOME, event_type == CART],
        [product, n_products + product, 2 * n_products, 2 * n_products + 1],
        default=np.where(event_type == PURCHASE, 2 * n_products + 2, 2 * n_products + 3),
    )
    world = _world_pop()
    where = session_location[session]
    user = pa.nulls(n, pa.int64()) if session_user is None else _int64(session_user[session] + first_user_id)
    return pa.Table.from_arrays(
        [
            _int64(np.arange(first_id, first_id + n)),
            user,
            _int64(sequence),
            _vocab(session_uuid, session),
            _timestamps(created),
            _vocab(session_ip, session),
            _vocab(world["city"], where),
            _vocab(world["state"], where),
            _vocab(world["postal_code"], where),
            _vocab(BROWSER[0], session_browser[session]),
            _vocab(EVENT_TRAFFIC[0], session_traffic[session]),
            _vocab(_product_uris(), uri_index),
            _vocab(EVENT_TYPES, event_type),
        ],
        names=arrow_schema("events").names,
    )


def _session_attributes(rng: np.random.Generator, n: int):
    uuids = _uuids(rng, n)
    ip = _ip_addresses(rng, n)
    browser = _choice(rng, BROWSER[1], n)
    traffic = _choice(rng, EVENT_TRAFFIC[1], n)
    return uuids, ip, browser, traffic


def _purchase_events(
    rng: np.random.Generator, users: dict, orders: dict, items: dict, first: dict[str, int]
) -> pa.Table:
    """One session per order item, ending with the purchase at the item's created_at."""
    n_sessions = len(items["order"])
    order_size = orders["items"][items["order"]]
    length = np.where(order_size == 1, 5, 3 * order_size + 1)
    starts = _segment_starts(length)
    session = np.repeat(np.arange(n_sessions), length)
    n = len(session)
    position = np.arange(n) - starts[session]
    session_length = length[session]
    event_type = np.where(
        session_length == 5,
        position,  # home, department, product, cart, purchase
        np.where(position == session_length - 1, PURCHASE, DEPARTMENT + position % 3),
    )
    ends = starts + length - 1
    gap = rng.integers(0, 180, n)  # seconds from this event to the next one
    gap[ends] = 0
    total = np.cumsum(gap)
    before_end = total[ends][session] - total + gap  # seconds from this event to the purchase
    session_user = orders["user"][items["order"]]
    created = items["created"][session] - before_end * US
    # A session that would start before the user signed up waits for the sign-up instead.
    created = np.maximum(created, users["created"][session_user][session])
    uuids, ip, browser, traffic = _session_attributes(rng, n_sessions)
    return _event_table(
        first["events"],
        session,
        position + 1,
        event_type,
        items["product"][session],
        created,
        session_user,
        first["users"],
        users["location"][session_user],
        uuids,
        ip,
        browser,
        traffic,
    )


def _anonymous_events(rng: np.random.Generator, n_users: int, now: int, first_id: int) -> pa.Table:
    n_sessions = ANONYMOUS_SESSIONS_PER_USER * n_users
    funnel = rng.integers(0, len(ANONYMOUS_FUNNELS), n_sessions)
    length = ANONYMOUS_FUNNEL_LENGTHS[funnel]
    starts = _segment_starts(length)
    session = np.repeat(np.arange(n_sessions), length)
    n = len(session)
    position = np.arange(n) - starts[session]
    event_type = ANONYMOUS_FUNNELS[funnel[session], position]
    gap = rng.integers(0, 30, n)  # minutes from this event to the next one
    gap[starts + length - 1] = 0
    total = np.cumsum(gap)
    since_start = total - gap - (total - gap)[starts][session]
    duration = since_start[starts + length - 1]
    low = _us(START) // MINUTE
    first_minute = _uniform_int(rng, low, now // MINUTE - low - duration, n_sessions)
    created = (first_minute[session] + since_start) * MINUTE
    product = rng.integers(0, len(_products()), n_sessions)
    location = _choice(rng, _world_pop()["population"].to_numpy(), n_sessions)
    uuids, ip, browser, traffic = _session_attributes(rng, n_sessions)
    return _event_table(
        first_id,
        session,
        position + 1,
        event_type,
        product[session],
        created,
        None,
        0,
        location,
        uuids,
        ip,
        browser,
        traffic,
    )


# ----------------------------------------------------------------------------- writing


def _as_csv(table: pa.Table) -> pa.Table:
    """Timestamps as 'YYYY-MM-DD HH:MM:SS' text (UTC, no offset), like TheLook's CSV export."""
    columns = []
    for column in table.columns:
        if pa.types.is_timestamp(column.type):
            # UTC wall time, whole seconds; a plain cast is ~10x faster than strftime.
            naive = column.cast(pa.timestamp("us")).cast(pa.timestamp("s"), safe=False)
            column = naive.cast(pa.string())
        columns.append(column)
    return pa.Table.from_arrays(columns, names=table.column_names)


_DICTIONARY_PAGE_LIMIT = 4 << 20
_SMALL_VOCABULARY = 1 << 16  # products' uris (58k) are the largest real vocabulary
_ROW_GROUP_ROWS = 1 << 20


def _logical_type(kind: pa.DataType) -> pa.DataType:
    return kind.value_type if pa.types.is_dictionary(kind) else kind


def _decoded(table: pa.Table, contract: pa.Schema) -> pa.Table:
    """`table` with its dictionary-encoded columns cast to their plain value type."""
    columns = [
        column.cast(column.type.value_type) if pa.types.is_dictionary(column.type) else column
        for column in table.columns
    ]
    return pa.Table.from_arrays(columns, schema=contract)


class _TableWriter:
    """Writes one table as numbered files, one per part: <out>/<table>/<table>-000000000000.<ext>,
    <table>-000000000001.<ext>, ... in the order the parts come, as BigQuery's exports do.

    String columns may arrive dictionary-encoded (a vocabulary plus int32 indexes, cheap to
    build). Parquet gets them decoded to plain strings, with Parquet dictionary pages for those
    columns only (unique ids, timestamps and uuids would just fill a hash table before falling
    back to plain encoding); the CSV writer takes them as they are. If a part cannot be written,
    every file of the table is removed: a table is complete or absent, never silently short.
    """

    def __init__(self, out: Path, table: str, file_format: str):
        self.folder = out / table
        self.folder.mkdir(parents=True, exist_ok=True)
        for old in self.folder.glob(f"{table}-*"):
            if old.is_file():
                old.unlink()
        self.table = table
        self.file_format = file_format
        self.contract = arrow_schema(table)
        self.rows = 0
        self.files: list[Path] = []
        self.failed = False

    def write(self, table: pa.Table) -> None:
        if self.failed:
            raise RuntimeError(f"{self.table}: an earlier part could not be written")
        path = self.folder / f"{self.table}-{len(self.files):012d}.{self.file_format}"
        self.files.append(path)
        try:
            self._write(path, table)
        except BaseException:
            self.failed = True
            for written in self.files:
                written.unlink(missing_ok=True)
            raise
        self.rows += table.num_rows

    def _write(self, path: Path, table: pa.Table) -> None:
        got = [(field.name, _logical_type(field.type)) for field in table.schema]
        want = [(field.name, field.type) for field in self.contract]
        if got != want:
            raise TypeError(f"{path.name}: columns {got} differ from the contract {want}")
        if self.file_format == "parquet":
            # Parquet dictionary pages pay off for small vocabularies only (not for one uuid or
            # ip address per session, nor for unique ids and timestamps).
            vocabulary = [
                name
                for name, column in zip(table.column_names, table.columns, strict=True)
                if pa.types.is_dictionary(column.type)
                and max((len(chunk.dictionary) for chunk in column.chunks), default=0) <= _SMALL_VOCABULARY
            ]
            with pq.ParquetWriter(
                path,
                self.contract,
                compression="snappy",
                use_dictionary=vocabulary,
                dictionary_pagesize_limit=_DICTIONARY_PAGE_LIMIT,
            ) as writer:
                # One row group at a time, so that only one row group's strings are decoded.
                for offset in range(0, max(table.num_rows, 1), _ROW_GROUP_ROWS):
                    writer.write_table(_decoded(table.slice(offset, _ROW_GROUP_ROWS), self.contract))
        else:
            options = pa_csv.WriteOptions(include_header=False, quoting_style="needed")
            with open(path, "wb") as file:
                file.write((",".join(table.column_names) + "\n").encode())
                writer = None
                for offset in range(0, max(table.num_rows, 1), _ROW_GROUP_ROWS):
                    text = _as_csv(table.slice(offset, _ROW_GROUP_ROWS))
                    if writer is None:
                        writer = pa_csv.CSVWriter(file, text.schema, write_options=options)
                    writer.write_table(text)
                writer.close()

    def close(self) -> int:
        """The table's row count; a table that got no part still gets one empty file."""
        if not self.files and not self.failed:
            self.write(self.contract.empty_table())
        return self.rows


CHUNK_USERS = 250_000
"""Registered users drawn and written per chunk by default: it bounds the generator's memory."""


def _chunk_rng(seed: int, chunk: int) -> np.random.Generator:
    """The random stream of one chunk of users.

    Chunk 0 draws from ``PCG64(seed)``, exactly as the generator did before it was chunked (so a
    dataset of at most one chunk is the same data as before); chunk k > 0 from the independent
    stream ``SeedSequence(seed, spawn_key=(k,))``, numpy's way of spawning child streams.
    """
    sequence = np.random.SeedSequence(seed, spawn_key=(chunk,) if chunk else ())
    return np.random.Generator(np.random.PCG64(sequence))


def _chunk_sizes(users: int, chunk_users: int) -> list[int]:
    return [min(chunk_users, users - start) for start in range(0, users, chunk_users)]


def _purchase_chunk(
    rng: np.random.Generator, n: int, now: int, first: dict[str, int]
) -> Iterator[tuple[str, pa.Table]]:
    """n users with their orders, items, inventory rows and purchase sessions, one table at a time
    (so that each can be written while the next is drawn); ids start at `first`."""
    user_table, users = _users(rng, n, now, first)
    yield "users", user_table
    del user_table
    order_table, orders = _orders(rng, users, now, first)
    yield "orders", order_table
    del order_table
    item_table, items = _order_items(rng, orders, first)
    yield "order_items", item_table
    del item_table
    yield "inventory_items", _inventory_items(rng, items, now, first)
    yield "events", _purchase_events(rng, users, orders, items, first)


def generate(
    users: int,
    seed: int = 42,
    out: str | Path = "data/raw",
    file_format: str = "parquet",
    now: str | dt.date | dt.datetime | None = None,
    progress: bool = True,
    chunk_users: int = CHUNK_USERS,
) -> dict[str, int]:
    """Write a synthetic TheLook dataset of `users` registered users; return rows per table.

    `now` is the generator's present (a 'YYYY-MM-DD' day, meaning its UTC midnight; default
    today). The same (users, seed, now, chunk_users) always writes the same data.

    Users are drawn `chunk_users` at a time, each chunk with its own random stream
    (:func:`_chunk_rng`) and written as one more file per table, so memory is bounded by the
    chunk, not by `users`. Ids run on across chunks (1..n in every table, in file order) and
    every link (order -> user, item -> order, user and sold inventory row, event -> user) stays
    inside its chunk. Events are written in two passes, as the ids promise: first every chunk's
    purchase sessions, then every chunk's anonymous sessions, drawn from the same chunk's stream
    where it left off. Each file is written by one background thread while the next table is
    drawn (one part in the writer's hands at a time); all random draws stay on this thread.
    """
    if users < 0:
        raise ValueError("users must be >= 0")
    if chunk_users < 1:
        raise ValueError(f"chunk_users must be >= 1, got {chunk_users}")
    if file_format not in ("parquet", "csv"):
        raise ValueError(f"file_format must be parquet or csv, not {file_format!r}")
    now_us = _now_us(now)
    out = Path(out)
    chunks = _chunk_sizes(users, chunk_users)
    rngs = [_chunk_rng(seed, index) for index in range(len(chunks))]  # a few hundred bytes each
    first = dict.fromkeys(("users", "orders", "order_items", "inventory_items", "events"), 1)
    assert sorted([*first, "products", "distribution_centers"]) == sorted(TABLES)
    with (
        tqdm(total=2 * len(chunks) + 1, desc="generate", unit="part", disable=not progress) as bar,
        ThreadPoolExecutor(max_workers=1, thread_name_prefix="customer-mart-writer") as pool,
    ):
        writers = {name: _TableWriter(out, name, file_format) for name in TABLES}
        in_flight: Future | None = None

        def write(name: str, part: pa.Table) -> None:
            """Queue one file once the previous one is written (re-raising its error): one part
            is in the writer's hands while the next is drawn, never more."""
            nonlocal in_flight
            if in_flight is not None:
                in_flight.result()
            if name in first:  # the next part of this table starts after this one
                first[name] += part.num_rows
            in_flight = pool.submit(writers[name].write, part)

        for rng, n in zip(rngs, chunks, strict=True):
            for name, part in _purchase_chunk(rng, n, now_us, dict(first)):
                write(name, part)
            del part  # the writer holds the only reference now
            bar.update()
        for rng, n in zip(rngs, chunks, strict=True):
            write("events", _anonymous_events(rng, n, now_us, first["events"]))
            bar.update()
        write("products", _products())
        write("distribution_centers", _distribution_centers())
        bar.update()
        if in_flight is not None:
            in_flight.result()
        return {name: writers[name].close() for name in TABLES}
