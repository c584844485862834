"""What Amazon Redshift runs, construct by construct: the allow-list of the grammar gate in
redshift_rules.py (`allowlist_problems`). Each entry names the page of AWS's Amazon Redshift
Database Developer Guide that documents it (`page(...)` below builds its address).

The gate reads a statement through sqlglot's `redshift` reader, whose grammar is PostgreSQL's with
Redshift's additions: it parses much that Redshift does not run (a named WINDOW, DISTINCT ON,
FILTER, LATERAL, ARRAY[...], RETURNING, ON CONFLICT, ...). So a parse proves nothing; what proves
something is that every piece of the tree is listed here:

- STATEMENTS: the statement kinds, with the clauses (sqlglot's argument names) each may carry.
- NODES: every other kind of tree node (clauses, operators, expressions, and the functions written
  with their own syntax, such as CAST, TRIM(BOTH ... FROM ...) or EXTRACT), with its clauses, and
  where a node may only appear in one place, the parents it may appear under.
- FUNCTIONS: functions written as `name(arguments)`, by the name as written, with the argument
  shapes the page documents (how many, and where it matters what kind: a literal date part, an
  integer literal, a string literal).
- TYPES: the data types a CAST or a column may name, with the largest length or precision.
- CATALOG_RELATIONS: the system tables, views and catalog functions the statements may read.
- DATEPARTS: the date parts DATEADD, DATEDIFF, DATE_PART, DATE_TRUNC and EXTRACT accept.

Anything else fails, named. NAMES, CLAUSE_NAMES and FUNCTION_NAMES only put a refused
construct's PostgreSQL name in the failure message; they allow nothing. An entry's `page` is the
address of its page, or several, space-separated, where the construct spans pages.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlglot import exp

DEVELOPER_GUIDE = "https://docs.aws.amazon.com/redshift/latest/dg/"


def page(name: str) -> str:
    """The address of a page of AWS's Amazon Redshift Database Developer Guide."""
    return f"{DEVELOPER_GUIDE}{name}.html"


SELECT_PAGE = page("r_SELECT_synopsis")
WINDOW_PAGE = page("c_Window_functions")
CREATE_TABLE_PAGE = page("r_CREATE_TABLE_NEW")
CTAS_PAGE = page("r_CREATE_TABLE_AS")
TYPES_PAGE = page("c_Supported_data_types")
OPERATORS_PAGE = page("r_OPERATOR_SYMBOLS")
COMPARISON_PAGE = page("r_comparison_condition")
CATALOG_PAGE = page("c_intro_catalog_views")


@dataclass(frozen=True)
class Construct:
    """A statement, clause, operator or expression Redshift documents.

    `clauses`: the sqlglot arguments the node may carry (any other one set is refused);
    `only_under`: the parent node kinds it may appear under (empty: anywhere);
    `kinds`: for a node with a `kind` argument (CREATE TABLE / VIEW, ...), the kinds allowed."""

    what: str
    page: str
    clauses: frozenset[str] = frozenset()
    only_under: tuple[type[exp.Expression] | str, ...] = ()
    kinds: frozenset[str] = frozenset()


def construct(what: str, url: str, clauses: str = "", only_under=(), kinds: str = "") -> Construct:
    return Construct(
        what, url, frozenset(clauses.split()), tuple(only_under), frozenset(kinds.upper().split())
    )


# Statement kinds dbt-redshift and the project send, with the clauses their synopses list.
STATEMENTS: dict[type[exp.Expression], Construct] = {
    exp.Select: construct(
        "SELECT",
        SELECT_PAGE,
        # WITH, [TOP | DISTINCT] select list, FROM, WHERE, GROUP BY, HAVING, QUALIFY, ORDER BY,
        # LIMIT, OFFSET: the synopsis has no WINDOW, no FOR UPDATE, no DISTINCT ON, no LATERAL.
        "with_ distinct expressions from_ joins where group having qualify order limit offset",
    ),
    exp.Union: construct("UNION", page("r_UNION"), "this expression distinct with_ order limit offset"),
    exp.Intersect: construct(
        "INTERSECT", page("r_UNION"), "this expression distinct with_ order limit offset"
    ),
    exp.Except: construct(
        "EXCEPT / MINUS", page("r_UNION"), "this expression distinct with_ order limit offset"
    ),
    exp.Create: construct(
        "CREATE TABLE / CREATE TABLE AS / CREATE VIEW / CREATE SCHEMA",
        f"{CREATE_TABLE_PAGE} {CTAS_PAGE} {page('r_CREATE_VIEW')} {page('r_CREATE_SCHEMA')}",
        # CREATE [OR REPLACE] VIEW ... [WITH NO SCHEMA BINDING]; CREATE SCHEMA [IF NOT EXISTS];
        # CREATE [TEMP] TABLE [IF NOT EXISTS] ... [table attributes] [AS query]
        "this kind expression properties exists replace no_schema_binding",
        kinds="table view schema",
    ),
    exp.Drop: construct(
        "DROP TABLE / DROP VIEW / DROP SCHEMA",
        f"{page('r_DROP_TABLE')} {page('r_DROP_VIEW')} {page('r_DROP_SCHEMA')}",
        "this tables kind exists cascade",
        kinds="table view schema",
    ),
    exp.Alter: construct(
        "ALTER TABLE ... RENAME TO", page("r_ALTER_TABLE"), "this kind actions", kinds="table"
    ),
    exp.Insert: construct(
        "INSERT INTO table [(columns)] {VALUES ... | query}", page("r_INSERT_30"), "this expression"
    ),
    exp.Delete: construct("DELETE FROM ... [USING ...] [WHERE ...]", page("r_DELETE"), "this using where"),
    exp.Update: construct(
        "UPDATE ... SET ... [FROM ...] [WHERE ...]", page("r_UPDATE"), "this expressions from_ where"
    ),
    exp.TruncateTable: construct("TRUNCATE [TABLE] table_name", page("r_TRUNCATE"), "expressions"),
    exp.Grant: construct(
        "GRANT ... ON [TABLE | SCHEMA] ... TO [GROUP] ...",
        page("r_GRANT"),
        "privileges kind securable principals",
    ),
    exp.Transaction: construct("BEGIN", page("r_BEGIN")),
    exp.Commit: construct("COMMIT", page("r_COMMIT")),
    exp.Rollback: construct("ROLLBACK", page("r_ROLLBACK")),
}

# Statements sqlglot has no grammar for, and keeps as an opaque command: the text must start as
# one of these (regular expression, what, page); sqlfluff's grammar parses the rest of it.
COMMANDS: list[tuple[str, str, str]] = [
    (
        r"create\s+external\s+schema\s+(?:if\s+not\s+exists\s+)?\w+\s+from\s+data\s+catalog\b",
        "CREATE EXTERNAL SCHEMA ... FROM DATA CATALOG",
        page("r_CREATE_EXTERNAL_SCHEMA"),
    ),
]

# In `only_under`: directly under a function call written `name(...)` (checked on FUNCTIONS).
FUNCTION_CALL = "function call"

NODES: dict[type[exp.Expression], Construct] = {
    # Names, literals, references
    exp.Identifier: construct("name", page("r_names"), "this quoted"),
    exp.Column: construct("column reference", page("r_names"), "this table db catalog"),
    exp.Literal: construct("literal", page("r_Literals"), "this is_string"),
    exp.Null: construct("NULL", page("r_Nulls")),
    exp.Boolean: construct("TRUE / FALSE", page("r_Boolean_type"), "this"),
    exp.Star: construct("* (all columns)", page("r_SELECT_list")),
    exp.Alias: construct("expression AS output_name", page("r_SELECT_list"), "this alias"),
    exp.Paren: construct("( expression )", page("r_compound_expressions"), "this"),
    exp.Subquery: construct("( subquery ) [ alias ]", page("r_FROM_clause30"), "this alias"),
    exp.Table: construct(
        "table reference: [[database.]schema.]name [alias]", page("r_FROM_clause30"), "this db catalog alias"
    ),
    exp.TableAlias: construct("[AS] alias [( column_alias, ... )]", page("r_FROM_clause30"), "this columns"),
    exp.Var: construct(
        "a keyword argument (a date part, DISTSTYLE's style, VARCHAR(MAX), a privilege)",
        f"{page('r_Dateparts_for_datetime_functions')} {CTAS_PAGE} {page('r_Character_types')}",
        "this",
        only_under=(exp.Func, exp.DistStyleProperty, exp.DataTypeParam, exp.GrantPrivilege),
    ),
    # Query clauses
    exp.With: construct(
        "WITH [RECURSIVE] common_table_expression, ...", page("r_WITH_clause"), "expressions recursive"
    ),
    exp.CTE: construct(
        "CTE_table_name [( column_name, ... )] AS ( query )", page("r_WITH_clause"), "this alias"
    ),
    exp.From: construct("FROM table_reference, ...", page("r_FROM_clause30"), "this"),
    exp.Join: construct(
        "[NATURAL] [INNER | LEFT | RIGHT | FULL [OUTER] | CROSS] JOIN ... [ON ... | USING (...)]",
        page("r_FROM_clause30"),
        "this on using side kind method",
    ),
    exp.Any: construct(
        "expression operator ANY | SOME ( subquery )", COMPARISON_PAGE, "this", only_under=(exp.Binary,)
    ),
    exp.All: construct(
        "expression operator ALL ( subquery )", COMPARISON_PAGE, "this", only_under=(exp.Binary,)
    ),
    exp.Where: construct("WHERE condition", page("r_WHERE_clause"), "this"),
    exp.Group: construct(
        "GROUP BY ALL | expression, ... (with GROUPING SETS, ROLLUP, CUBE)",
        f"{page('r_GROUP_BY_clause')} {page('r_GROUP_BY_aggregation-extensions')}",
        "expressions grouping_sets rollup cube all",
    ),
    exp.GroupingSets: construct("GROUPING SETS", page("r_GROUP_BY_aggregation-extensions"), "expressions"),
    exp.Rollup: construct("ROLLUP", page("r_GROUP_BY_aggregation-extensions"), "expressions"),
    exp.Cube: construct("CUBE", page("r_GROUP_BY_aggregation-extensions"), "expressions"),
    exp.Having: construct("HAVING condition", page("r_HAVING_clause"), "this"),
    exp.Qualify: construct("QUALIFY condition", page("r_QUALIFY_clause"), "this"),
    exp.Order: construct("ORDER BY expression, ...", page("r_ORDER_BY_clause"), "expressions"),
    exp.Ordered: construct(
        "expression [ASC | DESC] [NULLS FIRST | NULLS LAST]",
        page("r_ORDER_BY_clause"),
        "this desc nulls_first",
    ),
    exp.Limit: construct("LIMIT number / TOP number", page("r_ORDER_BY_clause"), "expression"),
    exp.Offset: construct("OFFSET start", page("r_ORDER_BY_clause"), "expression"),
    exp.Distinct: construct(
        "DISTINCT (select list, aggregate argument)",
        f"{page('r_SELECT_list')} {page('r_COUNT')}",
        "expressions",
    ),
    # Window functions: OVER ( [PARTITION BY ...] [ORDER BY ... [frame_clause]] ), the specification
    # inline (Redshift's SELECT has no WINDOW clause to name one); the frame is ROWS only.
    exp.Window: construct(
        "function OVER ( [PARTITION BY ...] [ORDER BY ... [frame_clause]] )",
        WINDOW_PAGE,
        "this partition_by order spec over",
    ),
    exp.WindowSpec: construct(
        "frame_clause: ROWS { UNBOUNDED PRECEDING | n PRECEDING | CURRENT ROW } | ROWS BETWEEN ... AND ...",
        WINDOW_PAGE,
        "kind start start_side end end_side",
    ),
    exp.IgnoreNulls: construct(
        "IGNORE NULLS (FIRST_VALUE, LAST_VALUE, LAG, LEAD)",
        f"{page('r_WF_first_value')} {page('r_WF_LAG')} {page('r_WF_LEAD')}",
        "this",
    ),
    exp.RespectNulls: construct(
        "RESPECT NULLS (FIRST_VALUE, LAST_VALUE, LAG, LEAD)",
        f"{page('r_WF_first_value')} {page('r_WF_LAG')} {page('r_WF_LEAD')}",
        "this",
    ),
    exp.WithinGroup: construct(
        "WITHIN GROUP ( ORDER BY ... ) (LISTAGG, MEDIAN, PERCENTILE_CONT, PERCENTILE_DISC)",
        f"{page('r_LISTAGG')} {page('r_PERCENTILE_CONT')} {page('r_WF_PERCENTILE_DISC')}",
        "this expression",
    ),
    # Conditions and operators
    exp.And: construct("AND", page("r_logical_condition"), "this expression"),
    exp.Or: construct("OR", page("r_logical_condition"), "this expression"),
    exp.Not: construct("NOT", page("r_logical_condition"), "this"),
    exp.EQ: construct("=", COMPARISON_PAGE, "this expression"),
    exp.NEQ: construct("<> / !=", COMPARISON_PAGE, "this expression"),
    exp.GT: construct(">", COMPARISON_PAGE, "this expression"),
    exp.GTE: construct(">=", COMPARISON_PAGE, "this expression"),
    exp.LT: construct("<", COMPARISON_PAGE, "this expression"),
    exp.LTE: construct("<=", COMPARISON_PAGE, "this expression"),
    exp.Is: construct("IS [NOT] NULL / IS [NOT] TRUE | FALSE", page("r_null_condition"), "this expression"),
    exp.In: construct(
        "[NOT] IN ( expression list | subquery )", page("r_in_condition"), "this expressions query"
    ),
    exp.Between: construct("[NOT] BETWEEN ... AND ...", page("r_range_condition"), "this low high"),
    exp.Exists: construct("[NOT] EXISTS ( subquery )", page("r_exists_condition"), "this"),
    exp.Like: construct("[NOT] LIKE", page("r_patternmatching_condition_like"), "this expression negate"),
    exp.ILike: construct("[NOT] ILIKE", page("r_patternmatching_condition_like"), "this expression negate"),
    exp.Escape: construct("LIKE ... ESCAPE", page("r_patternmatching_condition_like"), "this expression"),
    exp.SimilarTo: construct(
        "[NOT] SIMILAR TO", page("pattern-matching-conditions-similar-to"), "this expression"
    ),
    exp.RegexpLike: construct(
        "~ (POSIX operator)", page("pattern-matching-conditions-posix"), "this expression"
    ),
    exp.RegexpILike: construct(
        "~* (POSIX operator)", page("pattern-matching-conditions-posix"), "this expression"
    ),
    exp.Add: construct("+", OPERATORS_PAGE, "this expression"),
    exp.Sub: construct("-", OPERATORS_PAGE, "this expression"),
    exp.Mul: construct("*", OPERATORS_PAGE, "this expression"),
    exp.Div: construct("/", OPERATORS_PAGE, "this expression typed safe"),
    exp.Mod: construct("%", OPERATORS_PAGE, "this expression"),
    exp.Pow: construct("^", OPERATORS_PAGE, "this expression"),
    exp.Neg: construct("- (unary)", OPERATORS_PAGE, "this"),
    exp.DPipe: construct("|| (concatenation)", page("r_concat_op"), "this expression safe"),
    # Functions written with their own syntax (sqlglot keeps no name position for them)
    exp.Case: construct(
        "CASE [expression] WHEN ... THEN ... [ELSE ...] END", page("r_CASE_function"), "this ifs default"
    ),
    exp.If: construct(
        "WHEN ... THEN ... (a CASE branch)", page("r_CASE_function"), "this true", only_under=(exp.Case,)
    ),
    exp.Cast: construct(
        "CAST(expression AS type) / expression :: type / CONVERT(type, expression)",
        page("r_CAST_function"),
        "this to",
    ),
    exp.DataType: construct("data type", TYPES_PAGE, "this expressions"),
    exp.DataTypeParam: construct("length, precision or scale of a data type", TYPES_PAGE, "this"),
    exp.Extract: construct(
        "EXTRACT(datepart FROM timestamp) / DATE_PART(datepart, timestamp)",
        f"{page('r_EXTRACT_function')} {page('r_DATE_PART_function')}",
        "this expression",
    ),
    exp.Trim: construct(
        "TRIM([BOTH | LEADING | TRAILING] [characters FROM] string)",
        page("r_TRIM"),
        "this position expression",
    ),
    exp.Substring: construct(
        "SUBSTRING(string FROM start [FOR length]) / SUBSTRING(string, start [, length])",
        page("r_SUBSTRING"),
        "this start length",
    ),
    exp.StrPosition: construct("POSITION(substring IN string)", page("r_POSITION"), "this substr"),
    exp.DecodeCase: construct(
        "DECODE(expression, search, result [, ...] [, default])", page("r_DECODE_expression"), "expressions"
    ),
    exp.ApproxDistinct: construct("APPROXIMATE COUNT(DISTINCT expression)", page("r_COUNT"), "this"),
    exp.AtTimeZone: construct("timestamp AT TIME ZONE zone", page("r_AT_TIME_ZONE"), "this zone"),
    exp.CurrentDate: construct("CURRENT_DATE", page("r_CURRENT_DATE_function")),
    exp.CurrentUser: construct("CURRENT_USER / USER", f"{page('r_CURRENT_USER')} {page('r_USER')}"),
    # SYSDATE only: CURRENT_TIMESTAMP and LOCALTIMESTAMP, written without a name position, are
    # deprecated leader-node-only functions (page "Leader node-only functions").
    exp.CurrentTimestamp: construct("SYSDATE", page("r_SYSDATE"), "sysdate"),
    # Column lists, values, tables' attributes
    exp.Schema: construct(
        "table_name ( column_name [type], ... )",
        f"{CREATE_TABLE_PAGE} {page('r_INSERT_30')}",
        "this expressions",
    ),
    exp.ColumnDef: construct(
        "column_name data_type [column_constraints]",
        CREATE_TABLE_PAGE,
        "this kind constraints",
    ),
    exp.ColumnConstraint: construct("column constraint", CREATE_TABLE_PAGE, "kind this"),
    exp.NotNullColumnConstraint: construct("NOT NULL | NULL", CREATE_TABLE_PAGE, "allow_null"),
    exp.PrimaryKeyColumnConstraint: construct("PRIMARY KEY (informational)", CREATE_TABLE_PAGE, "include"),
    # sqlglot adds an empty IndexParameters under PRIMARY KEY; nothing of it is written.
    exp.IndexParameters: construct(
        "(nothing written)", CREATE_TABLE_PAGE, only_under=(exp.PrimaryKeyColumnConstraint,)
    ),
    exp.UniqueColumnConstraint: construct("UNIQUE (informational)", CREATE_TABLE_PAGE),
    exp.DefaultColumnConstraint: construct("DEFAULT default_expr", CREATE_TABLE_PAGE, "this"),
    exp.Properties: construct("table attributes", f"{CREATE_TABLE_PAGE} {CTAS_PAGE}", "expressions"),
    exp.TemporaryProperty: construct("TEMPORARY | TEMP", f"{CREATE_TABLE_PAGE} {CTAS_PAGE}", "this"),
    exp.DistStyleProperty: construct(
        "DISTSTYLE { AUTO | EVEN | KEY | ALL }", f"{CREATE_TABLE_PAGE} {CTAS_PAGE}", "this"
    ),
    exp.DistKeyProperty: construct("DISTKEY ( column_name )", f"{CREATE_TABLE_PAGE} {CTAS_PAGE}", "this"),
    exp.SortKeyProperty: construct(
        "[COMPOUND | INTERLEAVED] SORTKEY ( column_name, ... )",
        f"{CREATE_TABLE_PAGE} {CTAS_PAGE}",
        "this compound",
    ),
    exp.BackupProperty: construct("BACKUP { YES | NO }", f"{CREATE_TABLE_PAGE} {CTAS_PAGE}", "this"),
    exp.AlterRename: construct("RENAME TO new_name", page("r_ALTER_TABLE"), "this", only_under=(exp.Alter,)),
    # VALUES only as INSERT's rows: "VALUES lists used as constant tables" are unsupported
    # (page "Unsupported PostgreSQL features").
    exp.Values: construct(
        "VALUES ( expression, ... ), ...", page("r_INSERT_30"), "expressions", only_under=(exp.Insert,)
    ),
    exp.Tuple: construct(
        "( expression, ... ) as a VALUES row or a grouping set",
        f"{page('r_INSERT_30')} {page('r_GROUP_BY_aggregation-extensions')}",
        "expressions",
        only_under=(exp.Values, exp.GroupingSets, exp.Rollup, exp.Cube),
    ),
    exp.GrantPrivilege: construct("privilege (SELECT, USAGE, ...)", page("r_GRANT"), "this"),
    exp.GrantPrincipal: construct("[GROUP] name", page("r_GRANT"), "this kind"),
    # What sqlglot builds inside a function's arguments (JSON paths, the date type DATEADD returns):
    # only directly under a function call on FUNCTIONS, whose written arguments are checked there.
    exp.JSONPath: construct(
        "(a function's path argument)",
        page("JSON_EXTRACT_PATH_TEXT"),
        "expressions",
        only_under=(FUNCTION_CALL,),
    ),
    exp.JSONPathRoot: construct(
        "(a function's path argument)", page("JSON_EXTRACT_PATH_TEXT"), only_under=(exp.JSONPath,)
    ),
    exp.JSONPathKey: construct(
        "(a function's path argument)", page("JSON_EXTRACT_PATH_TEXT"), "this", only_under=(exp.JSONPath,)
    ),
}

# The words a join may be written with (FROM clause: "join_type"); sqlglot also reads SEMI, ANTI,
# ASOF, STRAIGHT_JOIN, ...
JOIN_WORDS = {
    "kind": {"INNER", "OUTER", "CROSS"},
    "side": {"LEFT", "RIGHT", "FULL"},
    "method": {"NATURAL"},
}

# DISTSTYLE { AUTO | EVEN | KEY | ALL } (CREATE TABLE, CREATE TABLE AS).
DISTSTYLES = {"AUTO", "EVEN", "KEY", "ALL"}

# The PostgreSQL name of constructs that are not on NODES, for the failure message only.
NAMES: dict[type[exp.Expression], str] = {
    exp.Filter: "FILTER (WHERE ...) on an aggregate",
    exp.Lateral: "LATERAL",
    exp.Array: "ARRAY[...] constructor",
    exp.Struct: "ROW(...) constructor",
    exp.Bracket: "subscript x[i]",
    exp.JSONExtract: "-> (a JSON operator)",
    exp.JSONExtractScalar: "->> (a JSON operator)",
    exp.JSONBExtract: "#> (a JSON operator)",
    exp.JSONBExtractScalar: "#>> (a JSON operator)",
    exp.JSONBContains: "@> (a JSON operator)",
    exp.TableSample: "TABLESAMPLE",
    exp.Lock: "FOR UPDATE / FOR SHARE",
    exp.OnConflict: "ON CONFLICT",
    exp.Returning: "RETURNING",
    exp.NullSafeEQ: "IS NOT DISTINCT FROM",
    exp.NullSafeNEQ: "IS DISTINCT FROM",
    exp.Collate: "COLLATE",
    exp.Interval: "INTERVAL literal",
    exp.Pivot: "PIVOT / UNPIVOT",
    exp.Unnest: "UNNEST",
    exp.ExplodingGenerateSeries: "generate_series() in FROM (a set-returning function)",
    exp.GenerateSeries: "generate_series() (a set-returning function)",
    exp.Localtimestamp: "LOCALTIMESTAMP (a deprecated leader-node-only function)",
    exp.CurrentTime: "CURRENT_TIME (a deprecated leader-node-only function)",
    exp.CurrentTimestamp: "CURRENT_TIMESTAMP (a deprecated leader-node-only function)",
    exp.Values: "VALUES list used as a constant table",
    exp.Any: "ANY (array) / SOME (array): ANY takes a subquery only",
    exp.All: "ALL (array): ALL takes a subquery only",
    exp.GroupConcat: "string_agg() / group_concat() (Redshift's is LISTAGG)",
    exp.Fetch: "FETCH FIRST n ROWS ONLY",
    exp.Tuple: "row constructor ( a, b, ... )",
}

# The PostgreSQL name of a clause (a sqlglot argument) that is not on its node's list.
CLAUSE_NAMES: dict[tuple[type[exp.Expression], str], str] = {
    (exp.Select, "windows"): "WINDOW clause (a named window)",
    (exp.Window, "alias"): "OVER window_name (a named window)",
    (exp.Distinct, "on"): "DISTINCT ON",
    (exp.Select, "locks"): "FOR UPDATE / FOR SHARE",
    (exp.Select, "laterals"): "LATERAL",
    (exp.Select, "into"): "SELECT INTO",
    (exp.Table, "sample"): "TABLESAMPLE",
    (exp.Table, "laterals"): "LATERAL",
    (exp.Table, "pivots"): "PIVOT / UNPIVOT",
    (exp.Table, "only"): "ONLY (table inheritance)",
    (exp.Insert, "returning"): "RETURNING",
    (exp.Insert, "conflict"): "ON CONFLICT",
    (exp.Update, "returning"): "RETURNING",
    (exp.Delete, "returning"): "RETURNING",
    (exp.CTE, "materialized"): "AS [NOT] MATERIALIZED",
    (exp.Star, "except_"): "* EXCLUDE (...)",
    (exp.Star, "replace"): "* REPLACE (...)",
}


@dataclass(frozen=True)
class Function:
    """A function written `name(arguments)`: the shapes its page documents.

    A shape is a comma-separated list of argument kinds ("" is `name()`; None is `name` written
    without parentheses). Kinds: `x` any expression; `agg` an expression after an optional
    DISTINCT or ALL; `*`; `int` an integer literal; `num` a numeric literal; `str` a string
    literal; `datepart` a date part from DATEPARTS, bare or quoted; `'datepart'` a quoted one;
    `x...` one or more expressions (last position only); words between kinds (`x in x`) are
    keywords that must be written there."""

    name: str
    page: str
    shapes: tuple[str | None, ...]
    window: bool = False  # a window function: only with OVER (...)
    aggregate: bool = False  # also a window function when written with OVER (...)
    within_group: bool = False  # may take WITHIN GROUP (ORDER BY ...)
    in_from: bool = False  # may stand in FROM as a table


def _functions(*items: Function) -> dict[str, Function]:
    return {item.name: item for item in items}


def fn(name: str, page_name: str, *shapes: str | None, **flags: bool) -> Function:
    return Function(name, page(page_name), shapes, **flags)


FUNCTIONS: dict[str, Function] = _functions(
    # Aggregate functions ("Aggregate functions"); with OVER (...) they are window functions
    # ("Window functions": AVG, COUNT, MAX, MIN, SUM, ... window functions).
    fn("count", "r_COUNT", "*", "agg", aggregate=True),
    fn("sum", "r_SUM", "agg", aggregate=True),
    fn("min", "r_MIN", "agg", aggregate=True),
    fn("max", "r_MAX", "agg", aggregate=True),
    fn("avg", "r_AVG", "agg", aggregate=True),
    fn("any_value", "r_ANY_VALUE", "agg"),
    fn("listagg", "r_LISTAGG", "agg", "agg, str", aggregate=True, within_group=True),
    fn("median", "r_MEDIAN", "x", aggregate=True),
    fn("percentile_cont", "r_PERCENTILE_CONT", "num", aggregate=True, within_group=True),
    fn("percentile_disc", "r_WF_PERCENTILE_DISC", "num", window=True, within_group=True),
    fn("stddev", "r_STDDEV_functions", "agg", aggregate=True),
    fn("stddev_samp", "r_STDDEV_functions", "agg", aggregate=True),
    fn("stddev_pop", "r_STDDEV_functions", "agg", aggregate=True),
    fn("variance", "r_VARIANCE_functions", "agg", aggregate=True),
    fn("var_samp", "r_VARIANCE_functions", "agg", aggregate=True),
    fn("var_pop", "r_VARIANCE_functions", "agg", aggregate=True),
    # Ranking and value window functions ("Window functions")
    fn("row_number", "r_WF_ROW_NUMBER", "", window=True),
    fn("rank", "r_WF_RANK", "", window=True),
    fn("dense_rank", "r_WF_DENSE_RANK", "", window=True),
    fn("percent_rank", "r_WF_PERCENT_RANK", "", window=True),
    fn("cume_dist", "r_WF_CUME_DIST", "", window=True),
    fn("ntile", "r_WF_NTILE", "int", window=True),
    fn("lag", "r_WF_LAG", "x", "x, int", window=True),
    fn("lead", "r_WF_LEAD", "x", "x, int", window=True),
    fn("first_value", "r_WF_first_value", "x", window=True),
    fn("last_value", "r_WF_first_value", "x", window=True),
    fn("nth_value", "r_WF_NTH", "x, int", window=True),
    fn("ratio_to_report", "r_WF_RATIO_TO_REPORT", "x", window=True),
    # Conditional expressions
    fn("coalesce", "r_COALESCE", "x, x..."),
    fn("nvl", "r_NVL_function", "x, x..."),
    fn("nvl2", "r_NVL2", "x, x, x"),
    fn("nullif", "r_NULLIF_function", "x, x"),
    fn("greatest", "r_GREATEST_LEAST", "x, x..."),
    fn("least", "r_GREATEST_LEAST", "x, x..."),
    fn("decode", "r_DECODE_expression", "x, x, x..."),
    # Math functions
    fn("abs", "r_ABS", "x"),
    fn("acos", "r_ACOS", "x"),
    fn("asin", "r_ASIN", "x"),
    fn("atan", "r_ATAN", "x"),
    fn("atan2", "r_ATAN2", "x, x"),
    fn("cbrt", "r_CBRT", "x"),
    fn("ceiling", "r_CEILING_FLOOR", "x"),
    fn("ceil", "r_CEILING_FLOOR", "x"),
    fn("cos", "r_COS", "x"),
    fn("cot", "r_COT", "x"),
    fn("degrees", "r_DEGREES", "x"),
    fn("exp", "r_EXP", "x"),
    fn("floor", "r_FLOOR", "x"),
    fn("ln", "r_LN", "x"),
    fn("mod", "r_MOD", "x, x"),
    fn("pi", "r_PI", ""),
    fn("power", "r_POWER", "x, x"),
    fn("pow", "r_POWER", "x, x"),
    fn("radians", "r_RADIANS", "x"),
    fn("random", "r_RANDOM", ""),
    # ROUND(number [, integer]): the number of decimal places is an integer.
    fn("round", "r_ROUND", "x", "x, int"),
    fn("sign", "r_SIGN", "x"),
    fn("sin", "r_SIN", "x"),
    fn("sqrt", "r_SQRT", "x"),
    fn("tan", "r_TAN", "x"),
    fn("trunc", "r_TRUNC", "x", "x, int"),
    # String functions
    fn("btrim", "r_BTRIM", "x", "x, x"),
    fn("char_length", "r_CHAR_LENGTH", "x"),
    fn("character_length", "r_CHARACTER_LENGTH", "x"),
    fn("charindex", "r_CHARINDEX", "x, x"),
    fn("chr", "r_CHR", "x"),
    fn("concat", "r_CONCAT", "x, x"),
    fn("initcap", "r_INITCAP", "x"),
    fn("left", "r_LEFT", "x, x"),
    fn("right", "r_LEFT", "x, x"),
    fn("len", "r_LEN", "x"),
    fn("length", "r_LENGTH", "x"),
    fn("lower", "r_LOWER", "x"),
    fn("lpad", "r_LPAD", "x, x", "x, x, x"),
    fn("rpad", "r_LPAD", "x, x", "x, x, x"),
    fn("ltrim", "r_LTRIM", "x", "x, x"),
    fn("rtrim", "r_RTRIM", "x", "x, x"),
    fn("md5", "r_MD5", "x"),
    fn("octet_length", "r_OCTET_LENGTH", "x"),
    fn("position", "r_POSITION", "x in x"),
    fn("regexp_count", "REGEXP_COUNT", "x, x", "x, x, int", "x, x, int, str"),
    fn(
        "regexp_instr",
        "REGEXP_INSTR",
        "x, x",
        "x, x, int",
        "x, x, int, int",
        "x, x, int, int, int",
        "x, x, int, int, int, str",
    ),
    fn("regexp_replace", "REGEXP_REPLACE", "x, x", "x, x, x", "x, x, x, int", "x, x, x, int, str"),
    fn("regexp_substr", "REGEXP_SUBSTR", "x, x", "x, x, int", "x, x, int, int", "x, x, int, int, str"),
    fn("repeat", "r_REPEAT", "x, x"),
    fn("replace", "r_REPLACE", "x, x, x"),
    fn("reverse", "r_REVERSE", "x"),
    fn("split_part", "SPLIT_PART", "x, x, x"),
    fn("strpos", "r_STRPOS", "x, x"),
    # STRTOL(num_string, base): the base is an integer between 2 and 36.
    fn("strtol", "r_STRTOL", "x, int"),
    fn("substring", "r_SUBSTRING", "x, x", "x, x, x", "x from x", "x from x for x"),
    fn("textlen", "r_TEXTLEN", "x"),
    fn("translate", "r_TRANSLATE", "x, x, x"),
    fn("upper", "r_UPPER", "x"),
    # Date and time functions (date parts: DATEPARTS)
    fn("add_months", "r_ADD_MONTHS", "x, x"),
    fn("convert_timezone", "CONVERT_TIMEZONE", "str, x", "str, str, x"),
    fn("date_cmp", "r_DATE_CMP", "x, x"),
    fn("dateadd", "r_DATEADD_function", "datepart, x, x"),
    fn("datediff", "r_DATEDIFF_function", "datepart, x, x"),
    fn("date_part", "r_DATE_PART_function", "datepart, x"),
    fn("date_trunc", "r_DATE_TRUNC", "'datepart', x"),
    fn("extract", "r_EXTRACT_function", "datepart from x"),
    fn("getdate", "r_GETDATE", ""),
    fn("last_day", "r_LAST_DAY", "x"),
    fn("months_between", "r_MONTHS_BETWEEN_function", "x, x"),
    fn("next_day", "r_NEXT_DAY", "x, x"),
    fn("to_timestamp", "r_TO_TIMESTAMP", "x, str", "x, str, x"),
    # Data type formatting functions
    fn("to_char", "r_TO_CHAR", "x, str"),
    fn("to_date", "r_TO_DATE_function", "x, str", "x, str, x"),
    fn("to_number", "r_TO_NUMBER", "x, str"),
    # JSON functions (on text holding JSON: Redshift has no JSON type and no JSON operators)
    fn("json_extract_path_text", "JSON_EXTRACT_PATH_TEXT", "x, str", "x, str, str...", "x, str..."),
    fn("is_valid_json", "IS_VALID_JSON", "x"),
    # System information functions dbt-redshift calls
    fn("pg_backend_pid", "PG_BACKEND_PID", ""),
    # dbt-redshift's catalog query reads it as a table, with the column definition list the page
    # shows: pg_get_late_binding_view_cols() cols(view_schema name, view_name name, ...).
    fn("pg_get_late_binding_view_cols", "PG_GET_LATE_BINDING_VIEW_COLS", "", in_from=True),
)

# PostgreSQL names of functions that are not on FUNCTIONS, for the failure message only.
FUNCTION_NAMES: dict[str, str] = {
    "generate_series": "generate_series() (a set-returning function)",
    "row": "ROW(...) constructor",
    "now": "now() (a deprecated leader-node-only function)",
    "current_timestamp": "current_timestamp (a deprecated leader-node-only function)",
    "string_agg": "string_agg() (an unsupported PostgreSQL aggregate)",
    "array_agg": "array_agg() (an unsupported PostgreSQL aggregate)",
    "unnest": "unnest() (an array function)",
    "to_jsonb": "to_jsonb() (PostgreSQL's JSON functions)",
    "jsonb_build_object": "jsonb_build_object() (PostgreSQL's JSON functions)",
}


@dataclass(frozen=True)
class DataType:
    """A data type a CAST or a column may name: `max_length` bounds a character type's length,
    `max_precision` a DECIMAL's precision; `only_in` says where alone it may appear."""

    what: str
    page: str
    max_length: int | None = None
    max_precision: int | None = None
    only_in: str | None = None


_T = exp.DataType.Type
NUMERIC_PAGE = page("r_Numeric_types201")
CHARACTER_PAGE = page("r_Character_types")
DATETIME_PAGE = page("r_Datetime_types")
LATE_BINDING_COLUMNS = "pg_get_late_binding_view_cols() column definition list"

TYPES: dict[exp.DataType.Type, DataType] = {
    _T.SMALLINT: DataType("SMALLINT / INT2", NUMERIC_PAGE),
    _T.INT: DataType("INTEGER / INT / INT4", NUMERIC_PAGE),
    _T.BIGINT: DataType("BIGINT / INT8", NUMERIC_PAGE),
    _T.DECIMAL: DataType("DECIMAL / NUMERIC (precision up to 38)", NUMERIC_PAGE, max_precision=38),
    _T.FLOAT: DataType("REAL / FLOAT4", NUMERIC_PAGE),
    _T.DOUBLE: DataType("DOUBLE PRECISION / FLOAT8 / FLOAT", NUMERIC_PAGE),
    _T.BOOLEAN: DataType("BOOLEAN / BOOL", page("r_Boolean_type")),
    _T.CHAR: DataType("CHAR / CHARACTER / BPCHAR (up to 4096 bytes)", CHARACTER_PAGE, max_length=4096),
    _T.NCHAR: DataType("NCHAR (up to 4096 bytes)", CHARACTER_PAGE, max_length=4096),
    _T.BPCHAR: DataType("BPCHAR", CHARACTER_PAGE, max_length=4096),
    _T.VARCHAR: DataType(
        "VARCHAR / CHARACTER VARYING (up to 65535 bytes, or MAX)", CHARACTER_PAGE, max_length=65535
    ),
    _T.NVARCHAR: DataType("NVARCHAR (up to 65535 bytes)", CHARACTER_PAGE, max_length=65535),
    _T.TEXT: DataType("TEXT (VARCHAR(256))", CHARACTER_PAGE),
    _T.DATE: DataType("DATE", DATETIME_PAGE),
    _T.TIME: DataType("TIME", DATETIME_PAGE),
    _T.TIMETZ: DataType("TIMETZ", DATETIME_PAGE),
    _T.TIMESTAMP: DataType("TIMESTAMP", DATETIME_PAGE),
    _T.TIMESTAMPTZ: DataType("TIMESTAMPTZ", DATETIME_PAGE),
    _T.SUPER: DataType("SUPER", page("r_SUPER_type")),
    _T.VARBINARY: DataType("VARBYTE", page("r_VARBYTE_type")),
    _T.GEOMETRY: DataType("GEOMETRY", TYPES_PAGE),
    _T.GEOGRAPHY: DataType("GEOGRAPHY", TYPES_PAGE),
    _T.NAME: DataType(
        "NAME, in pg_get_late_binding_view_cols()'s column definition list",
        page("PG_GET_LATE_BINDING_VIEW_COLS"),
        only_in=LATE_BINDING_COLUMNS,
    ),
}

# System tables and views the statements read: dbt-redshift's own catalog queries (its macros read
# these, in builds and in `dbt docs generate`), and the project's check of the Spectrum schema.
# "System catalog tables" says the standard PostgreSQL catalog tables are accessible to Redshift
# users; information_schema's views are PostgreSQL's too (AWS does not list them one by one, and
# its catalog examples skip the schema `information%` among the catalog's), and every
# dbt-redshift build reads them.
CATALOG_RELATIONS: dict[str, tuple[str, str]] = {
    "pg_class": ("PostgreSQL catalog table pg_class", CATALOG_PAGE),
    "pg_namespace": ("PostgreSQL catalog table pg_namespace", CATALOG_PAGE),
    "pg_depend": ("PostgreSQL catalog table pg_depend", CATALOG_PAGE),
    "pg_rewrite": ("PostgreSQL catalog table pg_rewrite", CATALOG_PAGE),
    "pg_proc": ("PostgreSQL catalog table pg_proc", CATALOG_PAGE),
    "pg_attribute": ("PostgreSQL catalog table pg_attribute", page("c_join_PG_examples")),
    "pg_description": ("PostgreSQL catalog table pg_description", CATALOG_PAGE),
    "pg_tables": ("PostgreSQL catalog view pg_tables", page("c_join_PG_examples")),
    "pg_views": ("PostgreSQL catalog view pg_views", CATALOG_PAGE),
    "pg_user": ("PostgreSQL catalog view pg_user", CATALOG_PAGE),
    "information_schema.tables": ("information_schema.tables", CATALOG_PAGE),
    "information_schema.views": ("information_schema.views", CATALOG_PAGE),
    "information_schema.columns": ("information_schema.columns", CATALOG_PAGE),
    "svv_external_schemas": ("SVV_EXTERNAL_SCHEMAS", page("r_SVV_EXTERNAL_SCHEMAS")),
    "svv_external_tables": ("SVV_EXTERNAL_TABLES", page("r_SVV_EXTERNAL_TABLES")),
    "svv_external_columns": ("SVV_EXTERNAL_COLUMNS", page("r_SVV_EXTERNAL_COLUMNS")),
    "svv_relation_privileges": ("SVV_RELATION_PRIVILEGES", page("r_SVV_RELATION_PRIVILEGES")),
    "svv_table_info": ("SVV_TABLE_INFO", page("r_SVV_TABLE_INFO")),
    "svv_redshift_columns": ("SVV_REDSHIFT_COLUMNS", page("r_SVV_REDSHIFT_COLUMNS")),
    "svv_mv_info": ("SVV_MV_INFO", page("r_SVV_MV_INFO")),
}

# A relation whose schema is one of these, or whose name starts with one of these prefixes, is a
# system relation, and must be on CATALOG_RELATIONS.
SYSTEM_SCHEMAS = {"pg_catalog", "information_schema"}
SYSTEM_PREFIXES = ("pg_", "svv_", "svl_", "stv_", "stl_", "sys_")

# "Dateparts for date or timestamp functions" (r_Dateparts_for_datetime_functions): the names and
# abbreviations DATEADD, DATEDIFF, DATE_PART, DATE_TRUNC and EXTRACT accept.
DATEPARTS_PAGE = page("r_Dateparts_for_datetime_functions")
DATEPARTS = frozenset({
    "millennium", "millennia", "mil", "mils", "century", "centuries", "c", "cent", "cents",
    "decade", "decades", "dec", "decs", "epoch", "year", "years", "y", "yr", "yrs",
    "quarter", "quarters", "qtr", "qtrs", "month", "months", "mon", "mons", "week", "weeks", "w",
    "dayofweek", "dow", "dw", "weekday", "dayofyear", "doy", "dy", "yearday", "day", "days", "d",
    "hour", "hours", "h", "hr", "hrs", "minute", "minutes", "m", "min", "mins",
    "second", "seconds", "s", "sec", "secs", "millisecond", "milliseconds", "ms", "msec", "msecs",
    "msecond", "mseconds", "millisec", "millisecs", "millisecon", "microsecond", "microseconds",
    "microsec", "microsecs", "usecond", "useconds", "us", "usec", "usecs",
    "timezone", "timezone_hour", "timezone_minute",
})  # fmt: skip
