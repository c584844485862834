{#-
    Timestamps written with an offset other than UTC, such as `2025-03-08 23:15:33+02:00`: one
    row per such value. Staging converts them to UTC, so they are counted, not wrong; a file that
    mixes zones usually means an export step changed. Typed raw columns (Parquet, warehouse
    tables) carry no per-row offset and never fail.
-#}
{% test timestamps_in_other_time_zones(model, column_name) %}
    {{ return(adapter.dispatch('test_timestamps_in_other_time_zones', 'customer_mart')(model, column_name)) }}
{% endtest %}
