"""What a statement must hold, and must not hold, to run on Redshift as meant: the one gate the
offline checks (test_redshift_offline.py) and the rehearsal (test_redshift_rehearsal.py) both use.

`problems(sql)` reads the text only, nothing runs. It parses the statement with sqlglot's `redshift`
reader into a tree and applies two kinds of rules:

- the allow-list (`allowlist_problems`, the list in redshift_allowlist.py): every statement kind,
  clause, operator, expression, function (by the name as written, with its argument shapes), data
  type and system relation in the tree must be one AWS's Redshift reference documents, and each
  entry names its page. sqlglot's reader takes PostgreSQL's grammar, so a parse alone proves
  nothing (it reads a named WINDOW, DISTINCT ON, FILTER, LATERAL, generate_series...); anything
  not on the list fails, named.
- the deny-lists below: AWS's unsupported PostgreSQL functions and features, DuckDB's own
  functions, and the known traps, statements Redshift runs but not as meant (a timestamp literal
  with an offset, counts divided as integers, text without a length).

`sqlfluff_problems(sql)` parses it with sqlfluff's `redshift` dialect, a second, independent
grammar. sqlglot keeps a statement it has no grammar for (`create external schema ...`) as an
opaque command, which the allow-list matches by its opening words; sqlfluff's grammar parses those.
"""

from __future__ import annotations

import re

import redshift_allowlist as allowed
import sqlglot
from sqlglot import exp
from sqlglot.tokens import Token, TokenType

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

# AWS, same guide, "Leader node-only functions"
# (https://docs.aws.amazon.com/redshift/latest/dg/c_SQL_functions_leader_node_only.html): a query
# that uses one of these and reads a user table fails; the date functions among them are deprecated.
# Matched on the tokens as written (sqlglot reads SUBSTR as SUBSTRING, CURRENT_TIMESTAMP and NOW()
# as one node): a name followed by "(", or, for the keywords, the keyword itself.
LEADER_NODE_ONLY_FUNCTIONS = {
    "current_schema", "current_schemas", "has_database_privilege", "has_schema_privilege",
    "has_table_privilege", "substr", "factorial", "age", "current_time", "current_timestamp",
    "localtime", "localtimestamp", "isfinite", "now", "getbit", "get_byte", "set_bit", "set_byte",
    "to_ascii",
}  # fmt: skip
LEADER_NODE_ONLY_KEYWORDS = {
    "current_time",
    "current_timestamp",
    "localtime",
    "localtimestamp",
    "current_schema",
}


def leader_node_only_problems(tokens: list[Token]) -> list[str]:
    found = []
    for index, token in enumerate(tokens):
        name = token.text.lower()
        if token.token_type in {TokenType.IDENTIFIER, TokenType.STRING, TokenType.NATIONAL_STRING}:
            continue
        called = index + 1 < len(tokens) and tokens[index + 1].token_type == TokenType.L_PAREN
        if name in LEADER_NODE_ONLY_FUNCTIONS and (called or name in LEADER_NODE_ONLY_KEYWORDS):
            found.append(f"calls {name}, a leader-node-only function (AWS: leader node-only functions)")
    return found


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


def _function_name(node: exp.Func, sql: str) -> str:
    """The function's name as written where sqlglot kept its place (LISTAGG, not sqlglot's
    GROUP_CONCAT), else sqlglot's name for it."""
    if "start" in node.meta:
        return sql[node.meta["start"] : node.meta["end"] + 1].strip('"').lower()
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


# ---------------------------------------------------------------------------------------------
# The allow-list gate: every node of the tree must be on redshift_allowlist.py's lists.

# Arguments sqlglot builds that nothing in the text wrote: not walked.
SYNTHESIZED: set[tuple[type[exp.Expression], str]] = {
    (exp.TsOrDsAdd, "return_type"),  # the DATE type sqlglot gives DATEADD's result
}

REDSHIFT = sqlglot.Dialect.get_or_raise("redshift")
_STRING_TOKENS = {TokenType.STRING, TokenType.NATIONAL_STRING}
_OPEN = {TokenType.L_PAREN, TokenType.L_BRACKET}
_CLOSE = {TokenType.R_PAREN, TokenType.R_BRACKET}


def _children(node: exp.Expression):
    for key, value in node.args.items():
        if (type(node), key) in SYNTHESIZED:
            continue
        for child in value if isinstance(value, list) else [value]:
            if isinstance(child, exp.Expression):
                yield child


def _walk(node: exp.Expression):
    yield node
    for child in _children(node):
        yield from _walk(child)


def _set_clauses(node: exp.Expression) -> set[str]:
    return {key for key, value in node.args.items() if value not in (None, False, [], "")}


def _is_call(node: exp.Expression | None) -> bool:
    return isinstance(node, exp.Func) and "start" in node.meta


def _call_name(node: exp.Expression, sql: str) -> str | None:
    """The name of a function as written, where sqlglot kept its position in the text."""
    if not _is_call(node):
        return None
    return sql[node.meta["start"] : node.meta["end"] + 1].strip('"').lower()


def _arguments(tokens: list[Token], at: int) -> list[list[Token]] | None:
    """The written arguments of the call whose name is token `at`, split at top-level commas;
    None when the name is not followed by parentheses."""
    if at + 1 >= len(tokens) or tokens[at + 1].token_type != TokenType.L_PAREN:
        return None
    depth, groups = 0, [[]]
    for token in tokens[at + 2 :]:
        if token.token_type in _OPEN:
            depth += 1
        elif token.token_type in _CLOSE:
            if depth == 0:
                break
            depth -= 1
        elif token.token_type == TokenType.COMMA and depth == 0:
            groups.append([])
            continue
        groups[-1].append(token)
    return [] if groups == [[]] else groups


def _integer(group: list[Token]) -> bool:
    digits = group[1:] if group and group[0].token_type in {TokenType.DASH, TokenType.PLUS} else group
    return len(digits) == 1 and digits[0].token_type == TokenType.NUMBER and digits[0].text.isdigit()


def _kind_matches(kind: str, group: list[Token]) -> bool:
    """Whether one written argument (its tokens) is of the kind a shape names."""
    if " " in kind:  # kinds with keywords between them, such as "datepart from x"
        words = kind.split(" ")
        parts, depth, current = [], 0, []
        keywords = words[1::2]
        for token in group:
            if token.token_type in _OPEN:
                depth += 1
            elif token.token_type in _CLOSE:
                depth -= 1
            if depth == 0 and len(parts) < len(keywords) and token.text.lower() == keywords[len(parts)]:
                parts.append(current)
                current = []
                continue
            current.append(token)
        parts.append(current)
        return len(parts) == len(words[0::2]) and all(
            _kind_matches(part_kind, part) for part_kind, part in zip(words[0::2], parts, strict=True)
        )
    if not group:
        return False
    single = group[0] if len(group) == 1 else None
    if kind == "agg":
        rest = group[1:] if group[0].token_type in {TokenType.DISTINCT, TokenType.ALL} else group
        return _kind_matches("x", rest)
    if kind == "x":
        return group[0].token_type not in {TokenType.DISTINCT, TokenType.ALL} and not (
            single and single.token_type == TokenType.STAR
        )
    if kind == "*":
        return bool(single) and single.token_type == TokenType.STAR
    if kind == "int":
        return _integer(group)
    if kind == "num":
        digits = group[1:] if group[0].token_type in {TokenType.DASH, TokenType.PLUS} else group
        return len(digits) == 1 and digits[0].token_type == TokenType.NUMBER
    if kind == "str":
        return bool(single) and single.token_type in _STRING_TOKENS
    if kind == "datepart":
        return bool(single) and single.text.lower() in allowed.DATEPARTS
    if kind == "'datepart'":
        return (
            bool(single) and single.token_type in _STRING_TOKENS and single.text.lower() in allowed.DATEPARTS
        )
    raise ValueError(f"unknown argument kind {kind!r}")


def _shape_matches(shape: str | None, arguments: list[list[Token]] | None) -> bool:
    if shape is None or arguments is None:
        return shape is None and arguments is None
    kinds = [kind.strip() for kind in shape.split(",")] if shape else []
    if kinds and kinds[-1].endswith("..."):
        last = kinds[-1].removesuffix("...")
        if len(arguments) < len(kinds):
            return False
        kinds = kinds[:-1] + [last] * (len(arguments) - len(kinds) + 1)
    return len(kinds) == len(arguments) and all(
        _kind_matches(kind, group) for kind, group in zip(kinds, arguments, strict=True)
    )


def _written(arguments: list[list[Token]] | None) -> str:
    if arguments is None:
        return "without parentheses"
    return "(" + ", ".join(" ".join(token.text for token in group) for group in arguments) + ")"


def _window_of(node: exp.Expression) -> exp.Window | None:
    """The OVER (...) a function call is the function of, if any."""
    parent = node.parent
    while isinstance(parent, exp.IgnoreNulls | exp.RespectNulls | exp.WithinGroup):
        parent = parent.parent
    return parent if isinstance(parent, exp.Window) else None


def _call_problems(node: exp.Func, name: str, tokens: list[Token], starts: dict[int, int]) -> list[str]:
    function = allowed.FUNCTIONS.get(name)
    if function is None:
        described = allowed.FUNCTION_NAMES.get(name, f"{name}()")
        return [f"not on the allow-list: the function {described}"]
    found = []
    at = starts.get(node.meta["start"])
    if at is None:
        return [f"{name}(): its name is not where sqlglot placed it in the text; cannot check its arguments"]
    arguments = _arguments(tokens, at)
    if not any(_shape_matches(shape, arguments) for shape in function.shapes):
        documented = " or ".join(
            f"{name}({shape})" if shape is not None else name for shape in function.shapes
        )
        found.append(
            f"{name}{_written(arguments)} is not of a documented shape: {documented} ({function.page})"
        )
    window = _window_of(node)
    if function.window and window is None:
        found.append(f"{name}() is a window function and needs OVER (...) ({function.page})")
    if window is not None and not (function.window or function.aggregate):
        found.append(f"{name}() is not a window function ({allowed.WINDOW_PAGE})")
    if isinstance(node.parent, exp.WithinGroup) and not function.within_group:
        found.append(f"{name}() takes no WITHIN GROUP ({function.page})")
    if isinstance(node.parent, exp.Table) and not function.in_from:
        found.append(f"not on the allow-list: {name}() in FROM (table functions are unsupported)")
    return found


def _in_late_binding_columns(node: exp.DataType) -> bool:
    column = node.parent
    alias = column.parent if isinstance(column, exp.ColumnDef) else None
    table = alias.parent if isinstance(alias, exp.TableAlias) else None
    return (
        isinstance(table, exp.Table)
        and isinstance(table.this, exp.Func)
        and (
            isinstance(table.this, exp.Anonymous)
            and table.this.name.lower() == "pg_get_late_binding_view_cols"
        )
    )


def _type_problems(node: exp.DataType) -> list[str]:
    entry = allowed.TYPES.get(node.this)
    written = node.sql("redshift")
    if entry is None:
        return [f"not on the allow-list: the data type {written} ({allowed.TYPES_PAGE})"]
    if entry.only_in == allowed.LATE_BINDING_COLUMNS and not _in_late_binding_columns(node):
        return [f"not on the allow-list: the data type {written} outside {entry.only_in} ({entry.page})"]
    params = [param.this for param in node.expressions if isinstance(param, exp.DataTypeParam)]
    first = params[0] if params else None
    limit = entry.max_length or entry.max_precision
    if limit and isinstance(first, exp.Literal) and first.is_int and int(first.name) > limit:
        return [f"{written} is longer than Redshift allows ({limit}) ({entry.page})"]
    if isinstance(first, exp.Var) and not (entry.max_length == 65535 and first.name.upper() == "MAX"):
        return [f"not on the allow-list: {written} ({entry.page})"]
    return []


def _table_problems(node: exp.Table) -> list[str]:
    if not isinstance(node.this, exp.Identifier):
        return []
    schema, name = node.db.lower(), node.name.lower()
    system = schema in allowed.SYSTEM_SCHEMAS or (not schema and name.startswith(allowed.SYSTEM_PREFIXES))
    key = f"{schema}.{name}" if schema == "information_schema" else name
    if system and key not in allowed.CATALOG_RELATIONS:
        return [f"not on the allow-list: the system relation {node.sql('redshift')} ({allowed.CATALOG_PAGE})"]
    return []


def _with_problems(node: exp.With) -> list[str]:
    """A recursive CTE must list its columns (page "WITH clause"). Without RECURSIVE, a CTE that
    names its own name reads the table of that name, and is no recursion."""
    found = []
    if not node.args.get("recursive"):
        return found
    for cte in node.expressions:
        name = cte.alias_or_name.lower()
        recursive = any(table.name.lower() == name and not table.db for table in cte.this.find_all(exp.Table))
        if recursive and not cte.args["alias"].columns:
            found.append(
                f"recursive CTE {name} without a column list (required for a recursive CTE; "
                f"{allowed.page('r_WITH_clause')})"
            )
    return found


def _late_binding_problems(node: exp.Create) -> list[str]:
    """A late-binding view names every table with its schema (page "CREATE VIEW")."""
    if not (node.args.get("no_schema_binding") and node.expression):
        return []
    ctes = {cte.alias_or_name.lower() for cte in node.expression.find_all(exp.CTE)}
    return [
        f"late-binding view reads {table.name} without a schema (WITH NO SCHEMA BINDING needs "
        f"schema-qualified names; {allowed.page('r_CREATE_VIEW')})"
        for table in node.expression.find_all(exp.Table)
        if isinstance(table.this, exp.Identifier) and not table.db and table.name.lower() not in ctes
    ]


def _frame_problems(node: exp.WindowSpec) -> list[str]:
    kind = str(node.args.get("kind") or "").upper()
    if kind == "ROWS":
        return []
    return [f"not on the allow-list: a {kind} frame (Redshift's frame is ROWS only; {allowed.WINDOW_PAGE})"]


def _cast_type_problems(node: exp.DataType) -> list[str]:
    # A type written in a CAST, a column definition, or inside another type.
    return _type_problems(node) if isinstance(node.parent, exp.Cast | exp.ColumnDef | exp.DataType) else []


def _join_problems(node: exp.Join) -> list[str]:
    words = (str(node.args.get(clause) or "").upper() for clause in allowed.JOIN_WORDS)
    return [
        f"not on the allow-list: {word} JOIN ({allowed.page('r_FROM_clause30')})"
        for word, values in zip(words, allowed.JOIN_WORDS.values(), strict=True)
        if word and word not in values
    ]


def _quantifier_problems(node: exp.Any | exp.All) -> list[str]:
    if isinstance(node.this, exp.Subquery | exp.Query):
        return []
    return [f"not on the allow-list: {allowed.NAMES[type(node)]}"]


def _extract_problems(node: exp.Extract) -> list[str]:
    """EXTRACT and DATE_PART take a date part from the list (sqlglot reads both as one node)."""
    part = node.this.name.lower() if isinstance(node.this, exp.Var | exp.Literal | exp.Column) else ""
    if part in allowed.DATEPARTS:
        return []
    return [f"not on the allow-list: the date part {node.this.sql('redshift')} ({allowed.DATEPARTS_PAGE})"]


def _current_timestamp_problems(node: exp.CurrentTimestamp) -> list[str]:
    return (
        [] if node.args.get("sysdate") else [f"not on the allow-list: {allowed.NAMES[exp.CurrentTimestamp]}"]
    )


def _keyword_problems(node: exp.Var) -> list[str]:
    if isinstance(node.parent, exp.DistStyleProperty) and node.name.upper() not in allowed.DISTSTYLES:
        return [f"not on the allow-list: DISTSTYLE {node.name} ({allowed.CTAS_PAGE})"]
    return []


def _column_definition_problems(node: exp.ColumnDef) -> list[str]:
    """A column definition list after a table reference: only on a function that may stand in
    FROM with one (pg_get_late_binding_view_cols)."""
    if not isinstance(node.parent, exp.TableAlias):
        return []
    table = node.parent.parent
    call = table.this if isinstance(table, exp.Table) else None
    function = allowed.FUNCTIONS.get(call.name.lower()) if isinstance(call, exp.Anonymous) else None
    if function is not None and function.in_from:
        return []
    return ["not on the allow-list: a column definition list on a table reference"]


# Rules of one kind of node beyond its clauses and parents.
NODE_RULES = {
    exp.WindowSpec: _frame_problems,
    exp.DataType: _cast_type_problems,
    exp.Join: _join_problems,
    exp.Any: _quantifier_problems,
    exp.All: _quantifier_problems,
    exp.CurrentTimestamp: _current_timestamp_problems,
    exp.Extract: _extract_problems,
    exp.Var: _keyword_problems,
    exp.ColumnDef: _column_definition_problems,
    exp.Table: _table_problems,
    exp.With: _with_problems,
    exp.Create: _late_binding_problems,
}


def _node_problems(node: exp.Expression, entry: allowed.Construct) -> list[str]:
    """The node's clauses, parent and kind against its entry, then its own rules."""
    found = []
    for clause in sorted(_set_clauses(node) - entry.clauses):
        named = allowed.CLAUSE_NAMES.get((type(node), clause), f"{clause} in {entry.what}")
        found.append(f"not on the allow-list: {named} ({entry.page.split()[0]})")
    if entry.only_under:
        parent = node.parent
        fits = any(
            _is_call(parent) if under == allowed.FUNCTION_CALL else isinstance(parent, under)
            for under in entry.only_under
        )
        if not fits:
            named = allowed.NAMES.get(type(node), entry.what)
            where = type(parent).__name__ if parent is not None else "a statement of its own"
            found.append(f"not on the allow-list: {named} under {where}")
    if entry.kinds and str(node.args.get("kind") or "").upper() not in entry.kinds:
        found.append(f"not on the allow-list: {node.args.get('kind')} in {entry.what}")
    rule = NODE_RULES.get(type(node))
    return found + (rule(node) if rule else [])


def _command_problems(node: exp.Command) -> list[str]:
    text = " ".join(f"{node.this} {node.expression or ''}".split()).lower()
    for pattern, _what, _page in allowed.COMMANDS:
        if re.match(pattern, text):
            return []
    return [f"not on the allow-list: the statement {' '.join(text.split()[:3]).upper()} ..."]


def allowlist_problems(statements: list[exp.Expression], sql: str, tokens: list[Token]) -> list[str]:
    """What in the parsed statements (`parse(sql)`) is not on redshift_allowlist.py's lists, each
    named."""
    starts = {token.start: index for index, token in enumerate(tokens)}
    found: list[str] = leader_node_only_problems(tokens)
    for statement in statements:
        if isinstance(statement, exp.Command):
            found += _command_problems(statement)
            continue
        if type(statement) not in allowed.STATEMENTS:
            found.append(f"not on the allow-list: the statement {type(statement).__name__.upper()}")
        for node in _walk(statement):
            name = _call_name(node, sql)
            if name is not None:
                found += _call_problems(node, name, tokens, starts)
                continue
            entry = allowed.STATEMENTS.get(type(node)) or allowed.NODES.get(type(node))
            if entry is None:
                named = allowed.NAMES.get(type(node), f"{type(node).__name__} (sqlglot's name)")
                found.append(f"not on the allow-list: {named}")
                continue
            found += _node_problems(node, entry)
    return found


def parse(sql: str) -> tuple[list[exp.Expression], list[Token]]:
    """The statements in `sql` as sqlglot's `redshift` reader builds them, and the tokens it read
    (one tokenization for both); a ParseError where it has no grammar for the text."""
    tokens = REDSHIFT.tokenize(sql)
    statements = REDSHIFT.parser(error_level=sqlglot.ErrorLevel.RAISE).parse(tokens, sql)
    return [statement for statement in statements if statement], tokens


def allowlist_refusals(sql: str) -> list[str]:
    """The allow-list's refusals alone (no deny-list), for one statement that parses."""
    statements, tokens = parse(sql)
    return allowlist_problems(statements, sql, tokens)


def problems(sql: str, text_casts: bool = True) -> list[str]:
    """Why one statement would not run on Redshift, or not as meant: empty when nothing is found.

    Every rule applies to every statement, except that a cast to varchar/text without a length
    counts only with `text_casts`: for the project's own SQL (models, data tests, unit-test
    fixtures), which must say the length (type_text()). dbt's generated SQL casts to bare
    `varchar`/`text` where the value is short (snapshot hashes, unit-test fixtures typed from the
    catalog); a table column without a length counts everywhere."""
    try:
        statements, tokens = parse(sql)
    except sqlglot.errors.ParseError as error:
        return [f"does not parse as Redshift SQL (sqlglot): {str(error).splitlines()[0]}"]
    if not statements:
        return ["is empty"]
    found: list[str] = allowlist_problems(statements, sql, tokens)
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
                name = _function_name(node, sql)
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
                found.append("uses select * exclude/replace (DuckDB's form)")
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
