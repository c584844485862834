"""Plausible mistakes in the project's code, as data, for `make mutation` (run_mutations.py).

A mutation replaces `text` by `replacement` in `path` (and, for a mistake that spans files, each
edit of `also` too). Every `text` must occur exactly once in its file: `orphans()` checks that,
and `make test` runs it (tests/python/test_mutation_list.py), so a refactor that changes quoted
code fails the suite until the entry is updated. The names say the mistake.

`checks` names the pytest targets that can catch a mistake outside the SQL (Python, Terraform);
an SQL mistake (no `checks`) runs the fast suite's stages instead (run_mutations.py).
"""

from __future__ import annotations

from pathlib import Path
from typing import NamedTuple


class Mutation(NamedTuple):
    name: str
    path: str
    text: str
    replacement: str
    checks: tuple[str, ...] = ()
    also: tuple[tuple[str, str, str], ...] = ()

    def edits(self) -> list[tuple[str, str, str]]:
        """Every (path, text, replacement) of the mistake."""
        return [(self.path, self.text, self.replacement), *self.also]


def orphans(root: Path, mutations: list[Mutation] | None = None) -> list[str]:
    """One line per edit whose text is not found exactly once in its file under `root`."""
    problems = []
    names = [m.name for m in mutations or MUTATIONS]
    twice = sorted({name for name in names if names.count(name) > 1})
    problems += [f"{name}: the name is used twice" for name in twice]
    for mutation in mutations or MUTATIONS:
        for path, text, replacement in mutation.edits():
            file = root / path
            found = file.read_text().count(text) if file.is_file() else None
            if found is None:
                problems.append(f"{mutation.name}: {path} does not exist")
            elif found != 1:
                problems.append(f"{mutation.name}: its text is in {path} {found} times, not once: {text!r}")
            elif text == replacement:
                problems.append(f"{mutation.name}: the replacement equals the text")
    return problems


PROFIT = "models/intermediate/customers/int_customers_profit_level.sql"
WINDOW = "macros/features/feature_window.sql"
ITEMS = "models/intermediate/customers/int_order_items_in_window.sql"
NEAREST = "models/intermediate/customers/int_customers_nearest_dc.sql"
TRAFFIC = "models/intermediate/customers/int_customers_traffic_source.sql"
EVENTS_DAILY = "models/intermediate/customers/int_events_daily_by_source.sql"
SCOPE = "models/intermediate/customers/int_customers_in_scope.sql"
HAVERSINE = "macros/features/haversine_km.sql"
STG = "models/staging/thelook/stg_thelook__{}.sql"

PROFILE = "macros/data_tests/profile_raw_table.sql"
INFRA_TESTS = ("tests/python/test_infra.py",)

_SQL: list[tuple[str, str, str, str]] = [
    # Profit bands, at each boundary.
    ("level 1 band: < for <= at $50", PROFIT,
     "purchase_amount_cents <= {{ to_cents(profit_level_2_above()) }}",
     "purchase_amount_cents < {{ to_cents(profit_level_2_above()) }}"),
    ("level 3 band: <= for < at $150", PROFIT,
     "purchase_amount_cents < {{ to_cents(profit_level_3_from()) }}",
     "purchase_amount_cents <= {{ to_cents(profit_level_3_from()) }}"),
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
    ("no purchase gives NULL amount", PROFIT, "coalesce(summed.purchase_amount, 0) as purchase_amount",
     "summed.purchase_amount as purchase_amount"),
    # Ties reversed.
    ("nearest DC tie to the highest id", NEAREST, "min(distances.distribution_center_id) as",
     "max(distances.distribution_center_id) as"),
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
    ("events file signature only counts rows", PROFILE,
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
    # The survivors of a review round (issue 24), each now killed by a named test.
    ("leap-day rule for the 29th of any month", WINDOW, "end.month == 2 and end.day == 29", "end.day == 29"),
    ("leap-day rule from the 29th on", WINDOW, "end.month == 2 and end.day == 29", "end.day >= 29"),
    ("NULL-key rows counted as copies", PROFILE, "ranked.staged_key is not null and ranked.is_copy = 1",
     "ranked.is_copy = 1"),
    ("NULL-key rows counted as versions", PROFILE,
     "ranked.staged_key is not null and ranked.version_rank > 1 and ranked.is_copy = 0",
     "ranked.version_rank > 1 and ranked.is_copy = 0"),
    ("undated inventory copy kept first", STG.format("inventory_items"),
     "'created_at desc nulls last, sold_at desc nulls last",
     "'created_at desc nulls first, sold_at desc nulls last"),
    ("unsold inventory copy kept first", STG.format("inventory_items"),
     "sold_at desc nulls last, cost", "sold_at desc nulls first, cost"),
]  # fmt: skip

_BEYOND_ONE_LINE: list[Mutation] = [
    # Two lines, as people write them.
    Mutation(
        "order items joined to inventory on the wrong key", ITEMS,
        "    left join inventory_items\n"
        "        on in_window.inventory_item_id = inventory_items.inventory_item_id",
        "    left join inventory_items\n"
        "        on in_window.order_item_id = inventory_items.inventory_item_id",
    ),
    Mutation(
        "nearest center joined on the customer only", NEAREST,
        "            distances.user_id = shortest.user_id\n"
        "            and distances.distance_km = shortest.distance_km",
        "            distances.user_id = shortest.user_id\n            and true",
    ),
    Mutation(
        "window filter moved before the order items' deduplication", ITEMS,
        "    where user_id is not null and {{ in_feature_window('created_at') }}",
        "    where user_id is not null",
        also=((STG.format("order_items"), "    from source\n    where id is not null\n",
               "    from source\n"
               "    where id is not null and {{ in_feature_window(to_utc_timestamp('created_at')) }}\n"),),
    ),
    # The events' change detection, weakened in each of its other inputs (the signature's own
    # weakening is the one-line entry above): a file taken back, a file changed in place.
    Mutation(
        "events merge misses a file taken back", "macros/staging/events_merge_plan.sql",
        "{%- do gone.append(file) -%}", "{%- do gone.extend([]) -%}",
        checks=("tests/python/test_incremental.py::test_events_model_follows_the_raw_files[removed_events]",),
    ),
    Mutation(
        "events merge misses a file changed in place", "macros/staging/events_merge_plan.sql",
        "{%- elif current[file] != signature -%}", "{%- elif current[file] is none -%}",
        checks=(
            "tests/python/test_incremental.py::test_events_model_follows_the_raw_files"
            "[re_export_of_past_events_with_changes]",
        ),
    ),
    # Python: the loader and the upload's Spectrum rules.
    Mutation(
        "load accepts a CSV row with one field too many", "src/customer_mart/load.py",
        "if len(row) > width:", "if len(row) > width + 1:",
        checks=("tests/python/test_load.py",),
    ),
    Mutation(
        "load keeps null and NULL as text", "src/customer_mart/schema.py",
        'CSV_NULLS = ("", "null", "NULL")', 'CSV_NULLS = ("",)',
        checks=("tests/python/test_load.py",),
    ),
    Mutation(
        "upload passes an integer stored as DOUBLE", "src/customer_mart/spectrum.py",
        'if physical == "INT64" and (logical == "NONE" or signed):',
        'if physical in ("INT64", "DOUBLE") and (logical == "NONE" or signed):',
        checks=("tests/python/test_spectrum.py",),
    ),
    # Terraform: a policy widened.
    Mutation(
        "Spectrum may read the whole raw bucket", "infra/iam.tf",
        'resources = [for t, p in local.raw_table_prefixes : "${local.raw_bucket_arn}/${p}*"]',
        'resources = ["${local.raw_bucket_arn}/*"]',
        checks=INFRA_TESTS,
    ),
    Mutation(
        "the segment step may write anywhere in the artifacts bucket", "infra/iam.tf",
        '["s3:PutObject", "s3:GetObject"]\n    resources = [local.segments_objects_arn]',
        '["s3:PutObject", "s3:GetObject"]\n    resources = ["${local.artifacts_bucket_arn}/*"]',
        checks=INFRA_TESTS,
    ),
]  # fmt: skip

MUTATIONS: list[Mutation] = [*(Mutation(*entry) for entry in _SQL), *_BEYOND_ONE_LINE]
