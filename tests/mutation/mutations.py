"""Plausible one-line mistakes in the project's SQL, as data: (name, file, text, replacement).

Each `text` occurs exactly once in its file (run_mutations.py checks). The names say the mistake.
"""

from __future__ import annotations

PROFIT = "models/intermediate/customers/int_customers_profit_level.sql"
WINDOW = "macros/features/feature_window.sql"
ITEMS = "models/intermediate/customers/int_order_items_in_window.sql"
NEAREST = "models/intermediate/customers/int_customers_nearest_dc.sql"
TRAFFIC = "models/intermediate/customers/int_customers_traffic_source.sql"
EVENTS_DAILY = "models/intermediate/customers/int_events_daily_by_source.sql"
SCOPE = "models/intermediate/customers/int_customers_in_scope.sql"
HAVERSINE = "macros/features/haversine_km.sql"
STG = "models/staging/thelook/stg_thelook__{}.sql"

MUTATIONS: list[tuple[str, str, str, str]] = [
    # Profit bands, at each boundary.
    ("level 1 band: < for <= at $50", PROFIT, "purchase_amount_cents <= {{ to_cents(profit_level_2_above())",
     "purchase_amount_cents < {{ to_cents(profit_level_2_above())"),
    ("level 3 band: <= for < at $150", PROFIT, "purchase_amount_cents < {{ to_cents(profit_level_3_from())",
     "purchase_amount_cents <= {{ to_cents(profit_level_3_from())"),
    # The feature window, off by a day or an instant at each edge.
    ("window starts a day late", WINDOW, ">= cast('{{ window.start }}' as timestamp)",
     ">= cast('{{ window.start }}' as timestamp) + interval '1 day'"),
    ("window starts a day early", WINDOW, ">= cast('{{ window.start }}' as timestamp)",
     ">= cast('{{ window.start }}' as timestamp) - interval '1 day'"),
    ("window ends a day late", WINDOW, "< cast('{{ window.end }}' as timestamp))",
     "< cast('{{ window.end }}' as timestamp) + interval '1 day')"),
    ("window ends a day early", WINDOW, "< cast('{{ window.end }}' as timestamp))",
     "< cast('{{ window.end }}' as timestamp) - interval '1 day')"),
    ("window start exclusive", WINDOW, ">= cast('{{ window.start }}' as timestamp)",
     "> cast('{{ window.start }}' as timestamp)"),
    ("window end inclusive", WINDOW, "< cast('{{ window.end }}' as timestamp))",
     "<= cast('{{ window.end }}' as timestamp))"),
    ("leap day: window from Mar 1", WINDOW, "end.replace(year=end.year - 1, day=28)",
     "end.replace(year=end.year - 1, month=3, day=1)"),
    ("population includes sign-ups on as_of_date", SCOPE, "where created_at < cast(",
     "where created_at <= cast("),
    ("population drops unknown sign-up times", SCOPE, " or created_at is null", ""),
    # Purchases.
    ("Returned counted as kept", PROFIT, "where is_purchased and not is_returned", "where is_purchased"),
    ("cancelled item counted", ITEMS, "coalesce(in_window.status, '') <> 'Cancelled' as is_purchased",
     "true as is_purchased"),
    ("unknown status not purchased", ITEMS, "coalesce(in_window.status, '') <> 'Cancelled'",
     "in_window.status <> 'Cancelled'"),
    ("zero price treated as unknown", STG.format("order_items"),
     "when cast(sale_price as double precision) >= 0", "when cast(sale_price as double precision) > 0"),
    ("no purchase gives NULL amount", PROFIT, "coalesce(summed.purchase_amount, 0)",
     "summed.purchase_amount"),
    # Ties reversed.
    ("nearest DC tie to the highest id", NEAREST, "distance_km asc, distribution_center_id asc",
     "distance_km asc, distribution_center_id desc"),
    ("traffic source tie to the last name", TRAFFIC, "event_count desc, traffic_source asc",
     "event_count desc, traffic_source desc"),
    # Deduplication: the order flipped in each staging model; the events' incremental merge
    # without the rows it merged before.
    ("users dedup keeps the oldest", STG.format("users"), "'created_at desc nulls last, age",
     "'created_at asc nulls last, age"),
    ("order items dedup keeps the oldest", STG.format("order_items"), "'created_at desc nulls last, user_id",
     "'created_at asc nulls last, user_id"),
    ("inventory items dedup keeps the oldest", STG.format("inventory_items"),
     "'created_at desc nulls last, sold_at",
     "'created_at asc nulls last, sold_at"),
    ("events dedup keeps the oldest (staging)", STG.format("events"), "'created_at desc nulls last, user_id",
     "'created_at asc nulls last, user_id"),
    ("events merge ignores the rows merged before", STG.format("events"),
     "    union all\n    select * from merged\n", "\n"),
    # The events' change detection: a file's signature weakened to its number of rows (what a
    # size or a row count would see), so a re-export in place that changes a value goes unseen.
    ("events file signature only counts rows", "macros/data_tests/profile_raw_table.sql",
     "{{ fingerprint_sum('row_fingerprint') }} as file_signature",
     "cast(count(*) as {{ type_text() }}) as file_signature"),
    ("orders dedup keeps the oldest", STG.format("orders"), "'created_at desc nulls last, user_id",
     "'created_at asc nulls last, user_id"),
    ("distribution centers dedup tie reversed", STG.format("distribution_centers"),
     "'distribution_center_name, latitude", "'distribution_center_name desc, latitude"),
    ("users dedup tie reversed", STG.format("users"), "nulls last, age, country",
     "nulls last, age desc, country"),
    ("order items dedup tie reversed", STG.format("order_items"), "nulls last, user_id, status",
     "nulls last, user_id desc, status"),
    ("order item with NULL id kept", STG.format("order_items"), "    where id is not null\n", "\n"),
    # Distances.
    ("haversine without radians (latitude term)", HAVERSINE,
     "power(sin(radians({{ lat2 }} - {{ lat1 }}) / 2), 2)",
     "power(sin(({{ lat2 }} - {{ lat1 }}) / 2), 2)"),
    ("haversine without radians (longitude term)", HAVERSINE,
     "power(sin(radians({{ lon2 }} - {{ lon1 }}) / 2), 2)", "power(sin(({{ lon2 }} - {{ lon1 }}) / 2), 2)"),
    ("earth radius 6378 km", HAVERSINE, "(2 * 6371.0 *", "(2 * 6378.0 *"),
    ("user longitude limited to 90", STG.format("users"), "valid_coordinate('longitude', 180)",
     "valid_coordinate('longitude', 90)"),
    # Cleaning.
    ("statuses not lower-cased", "macros/staging/normalize_status.sql", "replace(lower(trim(",
     "replace((trim("),
    ("status spaces kept", "macros/staging/normalize_status.sql", "))), ' ', '')\"", "))), ' ', ' ')\""),
    ("text not trimmed", "macros/staging/clean_text.sql",
     "{%- set trimmed = \"trim(cast(\" ~ column ~ \" as \" ~ type_text() ~ \"))\" -%}",
     "{%- set trimmed = \"cast(\" ~ column ~ \" as \" ~ type_text() ~ \")\" -%}"),
    ("text over its size kept", "macros/staging/clean_text.sql",
     "when {{ text_bytes(trimmed) }} <= {{ size }} then", "when true then"),
    ("events without a source counted", EVENTS_DAILY,
     "where user_id is not null and traffic_source is not null",
     "where user_id is not null"),
]  # fmt: skip
