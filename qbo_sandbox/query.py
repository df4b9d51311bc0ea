"""Intuit's query language, parsed and run against a company's store.

``SELECT * | count(*) | *, Field[, ...] FROM Entity [WHERE cond [AND cond]...]
[ORDERBY | ORDER BY Prop [ASC|DESC][, ...]] [STARTPOSITION n] [MAXRESULTS n]`` with the operators
``=, <, >, <=, >=, IN (...), LIKE`` (``%`` only). No OR, no expressions; keywords in any case,
entity names case-sensitive. Sources: shared/qbo_api.md section 2.3.

Strict readings: only the properties a schema marks filterable may be filtered or sorted (4001
"not queryable"); an unknown entity is a parse error (4000), as Intuit's grammar lists the entity
names; name lists return active records only unless the query filters on ``Active``; string
comparisons ignore case, as the uniqueness of names does.
"""
import re
from datetime import date, datetime, time
from decimal import Decimal, InvalidOperation

from .faults import QboFault

MAX_RESULTS = 1000
DEFAULT_RESULTS = 100
KEYWORDS = {"SELECT", "FROM", "WHERE", "AND", "OR", "IN", "LIKE", "ORDER", "ORDERBY", "BY", "ASC", "DESC",
            "STARTPOSITION", "MAXRESULTS", "COUNT", "NOT"}
DATETIME_PROPERTIES = {"MetaData.CreateTime", "MetaData.LastUpdatedTime"}
OPERATORS = ("=", "<", ">", "<=", ">=")
_TOKEN = re.compile(r"""
    (?P<space>\s+)
  | (?P<string>'(?:\\.|[^'\\])*')
  | (?P<number>-?\d+(?:\.\d+)?)
  | (?P<name>[A-Za-z_][A-Za-z0-9_.]*)
  | (?P<operator><=|>=|!=|<>|=|<|>)
  | (?P<punct>[*,()])
""", re.VERBOSE)


class Token:
    """One lexical token: its kind, its value and its 1-based column."""

    def __init__(self, kind, value, column):
        self.kind = kind
        self.value = value
        self.column = column

    def is_keyword(self, *words):
        return self.kind == "name" and self.value.upper() in words

    def spelling(self):
        return "<EOF>" if self.kind == "eof" else self.value


def parse_error(token, expected=None):
    """4000 for text the grammar does not accept."""
    detail = f'QueryParserError: Encountered " {token.spelling()} "" at line 1, column {token.column}.'
    if expected:
        detail += f"\nWas expecting one of:\n    {expected}"
    return QboFault("4000", detail)


def validation_error(detail):
    """4001 for a well-formed query QBO refuses."""
    return QboFault("4001", f"QueryValidationError: {detail}")


def tokenize(text):
    """Split a query into tokens; an unknown character is a parse error."""
    tokens = []
    position = 0
    while position < len(text):
        match = _TOKEN.match(text, position)
        if match is None:
            raise parse_error(Token("char", text[position], position + 1))
        kind = match.lastgroup
        if kind != "space":
            tokens.append(Token(kind, match.group(), position + 1))
        position = match.end()
    tokens.append(Token("eof", "", len(text) + 1))
    return tokens


class Query:
    """A parsed statement."""

    def __init__(self):
        self.entity = None
        self.count = False
        self.conditions = []    # (property, operator, value or list of values)
        self.order = []         # (property, descending)
        self.start = 1
        self.max_results = DEFAULT_RESULTS


class Parser:
    """Recursive-descent parser over the token list."""

    def __init__(self, text, entities):
        self.tokens = tokenize(text)
        self.index = 0
        self.entities = entities

    def peek(self):
        return self.tokens[self.index]

    def take(self):
        token = self.tokens[self.index]
        if token.kind != "eof":
            self.index += 1
        return token

    def expect_keyword(self, *words):
        token = self.take()
        if not token.is_keyword(*words):
            raise parse_error(token, " ".join(f'"{word.lower()}" ...' for word in words))
        return token

    def expect(self, kind, value=None, expected=None):
        token = self.take()
        if token.kind != kind or value is not None and token.value != value:
            raise parse_error(token, expected or f'"{value or kind}" ...')
        return token

    def parse(self):
        query = Query()
        self.expect_keyword("SELECT")
        self._select_list(query)
        self.expect_keyword("FROM")
        entity = self.take()
        if entity.kind != "name" or entity.value not in self.entities:
            raise parse_error(entity, " ".join(f'"{name}" ...' for name in sorted(self.entities)))
        query.entity = entity.value
        if self.peek().is_keyword("WHERE"):
            self.take()
            query.conditions.append(self._condition())
            while self.peek().is_keyword("AND"):
                self.take()
                query.conditions.append(self._condition())
        if self.peek().is_keyword("ORDER", "ORDERBY"):
            if self.take().is_keyword("ORDER"):
                self.expect_keyword("BY")
            query.order.append(self._order_item())
            while self.peek().kind == "punct" and self.peek().value == ",":
                self.take()
                query.order.append(self._order_item())
        seen = set()
        while self.peek().is_keyword("STARTPOSITION", "MAXRESULTS") and self.peek().value.upper() not in seen:
            word = self.take().value.upper()
            seen.add(word)
            number = self.expect("number", expected="<INTEGER> ...")
            if "." in number.value:
                raise parse_error(number, "<INTEGER> ...")
            if word == "STARTPOSITION":
                query.start = int(number.value)
            else:
                query.max_results = int(number.value)
        token = self.take()
        if token.kind != "eof":
            raise parse_error(token, '"where" ... "orderby" ... "startposition" ... "maxresults" ... <EOF>')
        return query

    def _select_list(self, query):
        token = self.take()
        if token.is_keyword("COUNT"):
            self.expect("punct", "(")
            self.expect("punct", "*")
            self.expect("punct", ")")
            query.count = True
            return
        if token.kind != "punct" or token.value != "*":
            if token.kind != "name" or token.value.upper() in KEYWORDS:
                raise parse_error(token, '"*" ... "count" ... <IDENTIFIER> ...')
        # Projections are not supported (Intuit returns whole entities): extra properties are ignored.
        while self.peek().kind == "punct" and self.peek().value == ",":
            self.take()
            field = self.take()
            if field.kind != "name" or field.value.upper() in KEYWORDS:
                raise parse_error(field, "<IDENTIFIER> ...")

    def _property(self):
        token = self.take()
        if token.kind != "name" or token.value.upper() in KEYWORDS:
            raise parse_error(token, "<IDENTIFIER> ...")
        return token.value

    def _condition(self):
        prop = self._property()
        token = self.take()
        if token.is_keyword("IN"):
            self.expect("punct", "(")
            values = [self._value()]
            while self.peek().kind == "punct" and self.peek().value == ",":
                self.take()
                values.append(self._value())
            self.expect("punct", ")")
            return prop, "IN", values
        if token.is_keyword("LIKE"):
            value = self.expect("string", expected="<STRING> ...")
            return prop, "LIKE", _unquote(value.value)
        if token.kind != "operator" or token.value not in OPERATORS:
            raise parse_error(token, '"=" ... "<" ... ">" ... "<=" ... ">=" ... "in" ... "like" ...')
        return prop, token.value, self._value()

    def _value(self):
        token = self.take()
        if token.kind == "string":
            return _unquote(token.value)
        if token.kind == "number":
            return Decimal(token.value)
        if token.is_keyword("TRUE", "FALSE"):
            return token.value.lower() == "true"
        raise parse_error(token, "<STRING> ... <NUMBER> ... \"true\" ... \"false\" ...")

    def _order_item(self):
        prop = self._property()
        descending = False
        if self.peek().is_keyword("ASC", "DESC"):
            descending = self.take().value.upper() == "DESC"
        return prop, descending


def _unquote(text):
    return re.sub(r"\\(.)", r"\1", text[1:-1])


def parse(text, filterable_by_entity):
    """Parse and validate a statement.

    :param dict filterable_by_entity: entity name -> set of filterable properties
    :return: a ``Query``
    :raise QboFault: 4000 (syntax) or 4001 (validation)
    """
    query = Parser(text, filterable_by_entity).parse()
    allowed = filterable_by_entity[query.entity]
    for prop, _operator, _value in query.conditions:
        if prop not in allowed:
            raise validation_error(f"property '{prop}' is not queryable")
    for prop, _descending in query.order:
        if prop not in allowed:
            raise validation_error(f"property '{prop}' is not sortable")
    if query.max_results > MAX_RESULTS:
        raise validation_error(f"value {query.max_results} is too large. Max allowed value is {MAX_RESULTS}")
    if query.max_results < 1:
        raise validation_error(f"value {query.max_results} is too small. Min allowed value is 1")
    if query.start < 1:
        raise validation_error(f"value {query.start} is too small. Min allowed value is 1")
    return query


def run(company, text, filterable_by_entity, render):
    """Run a statement and return the ``QueryResponse`` object.

    :param render: record -> the JSON object to answer with (adds ``domain`` and ``sparse``)
    """
    query = parse(text, filterable_by_entity)
    conditions = list(query.conditions)
    for prop, _operator, operand in conditions:
        if prop in DATETIME_PROPERTIES:
            for value in operand if isinstance(operand, list) else [operand]:
                _check_datetime(company, prop, value)
    if "Active" in filterable_by_entity[query.entity] and not any(prop == "Active" for prop, *_rest in conditions):
        conditions.append(("Active", "=", True))
    rows = [doc for doc in _candidates(company, query.entity, conditions)
            if all(_matches(company, doc, *condition) for condition in conditions)]
    if query.count:
        return {"totalCount": len(rows)}
    rows.sort(key=_id_key)
    for prop, descending in reversed(query.order):
        rows.sort(key=lambda doc, prop=prop: _sort_key(company, prop, _field(doc, prop)), reverse=descending)
    page = rows[query.start - 1:query.start - 1 + query.max_results]
    if not page:
        return {}
    return {query.entity: [render(doc) for doc in page], "startPosition": query.start, "maxResults": len(page)}


# ---- Evaluation ----

def _candidates(company, entity, conditions):
    """The records a query may return: those an ``Id =`` or ``Id IN`` condition names, read directly (a
    scan of every record per query made reading 100 of 20,000 invoices take 3 s), else all of them."""
    for prop, operator, operand in conditions:
        if prop == "Id" and operator in ("=", "IN"):
            wanted = operand if operator == "IN" else [operand]
            found = (company.get(entity, str(value)) for value in dict.fromkeys(str(value) for value in wanted))
            return [doc for doc in found if doc is not None]
    return company.all(entity)


def _field(doc, prop):
    value = doc
    for part in prop.split("."):
        value = value.get(part) if isinstance(value, dict) else None
    if isinstance(value, dict):  # references, e-mail addresses, phones: their scalar
        for key in ("value", "Address", "FreeFormNumber", "URI"):
            if key in value:
                return value[key]
    if prop == "Active" and value is None:
        return True
    return value


def _id_key(doc):
    identifier = doc["Id"]
    return (1, int(identifier), "") if identifier.isdigit() else (0, 0, identifier)


def _as_datetime(company, value):
    if isinstance(value, datetime):
        moment = value
    elif len(value) == 10:
        moment = datetime.combine(date.fromisoformat(value), time())
    else:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    return moment if moment.tzinfo else moment.replace(tzinfo=company.tz)


def _check_datetime(company, prop, value):
    try:
        if isinstance(value, str):
            _as_datetime(company, value)
            return
    except ValueError:
        pass
    raise validation_error(f"value {value!r} is not a valid date-time for {prop}")


def _as_number(value):
    if isinstance(value, bool):
        return None
    try:
        return Decimal(str(value))
    except InvalidOperation:
        return None


def _comparable(company, prop, record_value, operand):
    """Return ``(record value, operand)`` in one comparable type, or None when they cannot compare."""
    if record_value is None:
        return None
    if prop in DATETIME_PROPERTIES:
        return _as_datetime(company, record_value), _as_datetime(company, operand)
    if isinstance(operand, bool) or isinstance(record_value, bool):
        return (record_value, operand) if isinstance(record_value, bool) and isinstance(operand, bool) else None
    if isinstance(operand, Decimal) or isinstance(record_value, (int, float, Decimal)) or prop == "Id":
        left, right = _as_number(record_value), _as_number(operand)
        if left is not None and right is not None:
            return left, right
    return str(record_value).casefold(), str(operand).casefold()


def _matches(company, doc, prop, operator, operand):
    record_value = _field(doc, prop)
    if operator == "IN":
        return any(_matches(company, doc, prop, "=", value) for value in operand)
    if operator == "LIKE":
        if record_value is None:
            return False
        pattern = ".*".join(re.escape(part) for part in operand.split("%"))
        return re.fullmatch(pattern, str(record_value), re.IGNORECASE | re.DOTALL) is not None
    pair = _comparable(company, prop, record_value, operand)
    if pair is None:
        return False
    left, right = pair
    return {"=": left == right, "<": left < right, ">": left > right,
            "<=": left <= right, ">=": left >= right}[operator]


def _sort_key(company, prop, value):
    if value is None:
        return (0, 0)
    if prop in DATETIME_PROPERTIES:
        return (1, _as_datetime(company, value).timestamp())
    number = _as_number(value) if not isinstance(value, str) or prop == "Id" else None
    if number is not None:
        return (1, number)
    return (2, str(value).casefold())
