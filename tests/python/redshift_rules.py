"""What a statement must not hold to run on Redshift as meant: the one list the offline checks
(test_redshift_offline.py) and the rehearsal (test_redshift_rehearsal.py) both use.

`problems(sql)` reads the text only: it parses the statement with sqlglot's `redshift` dialect,
and `sqlfluff_problems(sql)` with sqlfluff's (two independent grammars), and looks for what the
lists below name. Each list says the page it comes from. sqlglot keeps a statement it has no
grammar for (`create external schema ...`) as an opaque command; sqlfluff's grammar parses those.
"""

from __future__ import annotations

import re

import sqlglot
from sqlglot import exp

# AWS, Amazon Redshift Database Developer Guide, "Unsupported PostgreSQL functions"
# (https://docs.aws.amazon.com/redshift/latest/dg/c_unsupported-postgresql-functions.html):
# the functions it names one by one (the families it names without listing, such as array,
# geometric or range functions, are covered by the feature checks below where they can appear).
UNSUPPORTED_POSTGRESQL_FUNCTIONS = {
    # aggregate functions
    "string_agg", "array_agg", "every", "xml_agg", "xmlagg", "corr", "covar_pop", "covar_samp",
    "regr_avgx", "regr_avgy", "regr_count", "regr_intercept", "regr_r2", "regr_slope",
    "regr_sxx", "regr_sxy", "regr_syy",
    # date/time functions
    "clock_timestamp", "justify_days", "justify_hours", "justify_interval", "pg_sleep",
    "transaction_timestamp",
    # mathematical functions
    "div", "setseed", "width_bucket",
    # set returning functions
    "generate_series", "generate_subscripts",
    # string functions
    # (convert() left out: the page means PostgreSQL's convert(bytes, from, to); Redshift has
    # its own CONVERT(type, value), a cast)
    "bit_length", "overlay", "convert_from", "convert_to", "encode", "format",
    "quote_nullable", "regexp_matches", "regexp_split_to_array", "regexp_split_to_table",
    # array functions (named in the family "Array functions and operators")
    "array_length", "array_to_string", "unnest", "array_append", "array_cat",
}  # fmt: skip

# AWS, same guide, "Unsupported PostgreSQL features"
# (https://docs.aws.amazon.com/redshift/latest/dg/c_unsupported-postgresql-features.html):
# what a dbt statement could hold, checked by `problems` through sqlglot's tree (see FEATURE_NODES
# and the VALUES, index, sequence and check-constraint checks there).
UNSUPPORTED_POSTGRESQL_FEATURES = {
    "array constructors": "builds an array value (array constructors are unsupported)",
    "row constructors": "builds a struct/row value (row constructors are unsupported)",
    "subscripts": "uses a subscript expression x[i]",
    "values lists": "uses a VALUES list as a constant table",
    "collations": "uses COLLATE (no locale or user-defined collations)",
    "indexes": "creates an index",
    "sequences": "uses a sequence or serial column",
    "check constraints": "declares a CHECK constraint",
    "is distinct from": "uses IS [NOT] DISTINCT FROM",  # listed on the functions page
}

# DuckDB's own functions, which Redshift's SQL reference ("SQL functions reference",
# https://docs.aws.amazon.com/redshift/latest/dg/c_SQL_functions.html) does not have: SQL written
# and tested on DuckDB first must not keep them. `mode` is not in Redshift either (NOTES.md).
DUCKDB_ONLY_FUNCTIONS = {
    "mode", "arg_max", "arg_min", "max_by", "min_by", "count_if", "list", "group_concat",
    "struct_pack", "read_parquet", "read_csv", "read_csv_auto", "epoch_ms", "strftime", "strptime",
    "regexp_full_match", "list_value", "unnest", "range",
}  # fmt: skip

# Known traps: statements Redshift runs, but not as meant. AWS, same guide:
# - "Datetime types" (https://docs.aws.amazon.com/redshift/latest/dg/r_Datetime_types.html):
#   a `timestamp` input string's zone is ignored ('2024-01-01 10:00+02' is 10:00).
# - "Numeric computations" (https://docs.aws.amazon.com/redshift/latest/dg/r_numeric_computations201.html):
#   integer division truncates, so count(...) / count(...) is 0 or 1.
# - "Character types" (https://docs.aws.amazon.com/redshift/latest/dg/r_Character_types.html):
#   `varchar` or `text` without a length is varchar(256) (a longer value fails or is cut).
TRAPS = {
    "offset literal": "a timestamp literal with a UTC offset (Redshift ignores the zone)",
    "integer division": "divides counts without a cast (integer division truncates)",
    "text without length": "varchar/text without a length (256 bytes on Redshift)",
}

OFFSET_LITERAL = re.compile(
    r"^\s*\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?\s*(?:[+-]\d{2}(?::?\d{2})?|Z|UTC)\s*$",
    re.IGNORECASE,
)

FEATURE_NODES: dict[type, str] = {
    exp.Array: UNSUPPORTED_POSTGRESQL_FEATURES["array constructors"],
    exp.Struct: UNSUPPORTED_POSTGRESQL_FEATURES["row constructors"],
    exp.Bracket: UNSUPPORTED_POSTGRESQL_FEATURES["subscripts"],
    exp.Collate: UNSUPPORTED_POSTGRESQL_FEATURES["collations"],
    exp.NullSafeEQ: UNSUPPORTED_POSTGRESQL_FEATURES["is distinct from"],
    exp.NullSafeNEQ: UNSUPPORTED_POSTGRESQL_FEATURES["is distinct from"],
    exp.CheckColumnConstraint: UNSUPPORTED_POSTGRESQL_FEATURES["check constraints"],
    exp.AutoIncrementColumnConstraint: UNSUPPORTED_POSTGRESQL_FEATURES["sequences"],
}

TEXT_TYPES = {exp.DataType.Type.VARCHAR, exp.DataType.Type.TEXT, exp.DataType.Type.NVARCHAR}
FLOAT_TYPES = {
    exp.DataType.Type.DOUBLE, exp.DataType.Type.FLOAT, exp.DataType.Type.DECIMAL,
    exp.DataType.Type.BIGDECIMAL,
}  # fmt: skip


def _function_name(node: exp.Func) -> str:
    if isinstance(node, exp.Anonymous):
        return str(node.this).lower()
    # sqlglot names generate_series in FROM ExplodingGenerateSeries.
    return node.sql_name().lower().removeprefix("exploding_")


def _is_count(node: exp.Expression) -> bool:
    """A count, or an integer sum of counts, not cast to a fractional type."""
    if isinstance(node, exp.Paren):
        return _is_count(node.this)
    if isinstance(node, exp.Count):
        return True
    if isinstance(node, exp.Add | exp.Sub | exp.Mul):
        return _is_count(node.left) or _is_count(node.right)
    return False


def _text_without_length(data_type: exp.DataType) -> bool:
    return data_type.this in TEXT_TYPES and not data_type.expressions


def problems(sql: str, text_casts: bool = True) -> list[str]:
    """Why one statement would not run on Redshift, or not as meant: empty when nothing is found.

    Every rule applies to every statement, except that a cast to varchar/text without a length
    counts only with `text_casts`: for the project's own SQL (models, data tests, unit-test
    fixtures), which must say the length (type_text()). dbt's generated SQL casts to bare
    `varchar`/`text` where the value is short (snapshot hashes, unit-test fixtures typed from the
    catalog); a table column without a length counts everywhere."""
    try:
        statements = [
            s for s in sqlglot.parse(sql, read="redshift", error_level=sqlglot.ErrorLevel.RAISE) if s
        ]
    except sqlglot.errors.ParseError as error:
        return [f"does not parse as Redshift SQL (sqlglot): {str(error).splitlines()[0]}"]
    if not statements:
        return ["is empty"]
    found: list[str] = []
    for statement in statements:
        if isinstance(statement, exp.Create) and (statement.args.get("kind") or "").upper() in {
            "INDEX",
            "SEQUENCE",
        }:
            found.append(
                UNSUPPORTED_POSTGRESQL_FEATURES[
                    "indexes" if statement.args["kind"].upper() == "INDEX" else "sequences"
                ]
            )
        for node in statement.walk():
            if isinstance(node, exp.Func) and not isinstance(node, exp.Cast):
                name = _function_name(node)
                if name in UNSUPPORTED_POSTGRESQL_FUNCTIONS:
                    found.append(
                        f"calls {name}(), which Redshift does not support (AWS: unsupported functions)"
                    )
                elif name in DUCKDB_ONLY_FUNCTIONS:
                    found.append(f"calls {name}(), a DuckDB function Redshift does not have")
            for kind, message in FEATURE_NODES.items():
                if isinstance(node, kind):
                    found.append(message)
            if isinstance(node, exp.Values) and isinstance(
                node.parent, exp.From | exp.Join | exp.Subquery | exp.Table
            ):
                found.append(UNSUPPORTED_POSTGRESQL_FEATURES["values lists"])
            if isinstance(node, exp.DataType) and node.this in {
                exp.DataType.Type.SERIAL,
                exp.DataType.Type.BIGSERIAL,
            }:
                found.append(UNSUPPORTED_POSTGRESQL_FEATURES["sequences"])
            if isinstance(node, exp.Star) and (node.args.get("except_") or node.args.get("replace")):
                found.append("uses select * exclude/replace (DuckDB only)")
            if isinstance(node, exp.Literal) and node.is_string and OFFSET_LITERAL.match(node.this):
                found.append(f"{TRAPS['offset literal']}: '{node.this}'")
            if isinstance(node, exp.Div) and _is_count(node.left) and _is_count(node.right):
                found.append(f"{TRAPS['integer division']}: {node.sql('redshift')}")
            if text_casts and isinstance(node, exp.Cast) and _text_without_length(node.to):
                found.append(f"{TRAPS['text without length']}: cast to {node.to.sql()}")
            if (
                isinstance(node, exp.ColumnDef)
                and isinstance(node.parent, exp.Schema)
                and isinstance(node.parent.parent, exp.Create)
                and isinstance(node.kind, exp.DataType)
                and _text_without_length(node.kind)
            ):
                found.append(f"{TRAPS['text without length']}: column {node.name} {node.kind.sql()}")
    return sorted(set(found))


# Where sqlfluff's Redshift grammar (4.4) lacks what Redshift runs, the statement is parsed with that
# part written in a form it knows (pattern, replacement, why); nothing else is exempt.
SQLFLUFF_GRAMMAR_GAPS: list[tuple[str, str, str]] = [
    (
        r"\bpg_get_late_binding_view_cols\(\)\s*cols\s*\([^)]*\)",
        "pg_get_late_binding_view_cols() as cols",
        "dbt-redshift's own catalog query gives the function's result a column definition list, "
        "as AWS documents for PG_GET_LATE_BINDING_VIEW_COLS; sqlfluff does not parse that list",
    ),
]


def sqlfluff_problems(sql: str) -> list[str]:
    """What sqlfluff's Redshift grammar cannot parse in the statement."""
    import sqlfluff
    from sqlfluff.api.simple import APIParsingError

    for pattern, replacement, _why in SQLFLUFF_GRAMMAR_GAPS:
        sql = re.sub(pattern, replacement, sql, flags=re.IGNORECASE)
    try:
        sqlfluff.parse(sql, dialect="redshift")
    except APIParsingError as error:
        first = error.violations[0] if error.violations else None
        where = f" (line {first.line_no}, position {first.line_pos}: {first.desc()})" if first else ""
        return [f"does not parse as Redshift SQL (sqlfluff){where}"]
    return []


def check(statements: dict[str, str] | list[tuple[str, str, bool]], with_sqlfluff: bool = False) -> None:
    """Fail naming every node whose statement holds a problem: {node: sql} (project SQL), or
    [(node, sql, text_casts)]."""
    items = (
        [(node, sql, True) for node, sql in statements.items()]
        if isinstance(statements, dict)
        else statements
    )
    failures: dict[str, set[str]] = {}
    for node, sql, text_casts in items:
        found = problems(sql, text_casts) + (sqlfluff_problems(sql) if with_sqlfluff else [])
        if found:
            failures.setdefault(node, set()).update(found)
    assert not failures, "not valid for Redshift:\n" + "\n".join(
        f"  {node}: {'; '.join(sorted(found))}" for node, found in sorted(failures.items())
    )
