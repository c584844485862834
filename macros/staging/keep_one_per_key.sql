{#-
    Keeps one row per key from a relation or CTE: the first in `order_by`.
    The result carries every input column plus `_row_rank`, which callers drop.
-#}
{% macro keep_one_per_key(relation, key, order_by) -%}
    select *
    from (
        select
            *,
            row_number() over (partition by {{ key }} order by {{ order_by }}) as _row_rank
        from {{ relation }}
    ) as ranked
    where _row_rank = 1
{%- endmacro %}
