{#-
    CSV rows with fewer fields than the header, such as a file's truncated last line: one row per
    such row. The source reads them with the missing trailing fields NULL (`null_padding`), so
    the row and its user are kept; this re-reads the files strictly, skipping such rows, and
    returns the difference. Only DuckDB reads raw CSV; elsewhere there is nothing to check.
-#}
{% test rows_cut_short(model) %}
    {{ return(adapter.dispatch('test_rows_cut_short', 'customer_mart')(model)) }}
{% endtest %}
