"""Problems found in users' input: where (file, sheet, row, column), why, and what to do about it."""

from __future__ import annotations

from dataclasses import asdict, dataclass

from pydantic import ValidationError

__all__ = ["Problem", "InputRejected", "describe_validation_error"]


@dataclass(frozen=True)
class Problem:
    """One thing wrong with an input, located as precisely as the input allows.

    Examples
    --------
    >>> print(Problem("orgs.csv", row=4, column="Type", reason="'bank' is not allowed", hint="map it"))
    orgs.csv, row 4, column Type: 'bank' is not allowed (map it)
    """

    file: str | None = None
    sheet: str | None = None
    row: int | None = None
    column: str | None = None
    reason: str = ""
    hint: str | None = None

    def __str__(self) -> str:
        where = [p for p in (self.file, self.sheet and f"sheet {self.sheet}", self.row and f"row {self.row}",
                             self.column and f"column {self.column}") if p]
        text = f"{', '.join(where)}: {self.reason}" if where else self.reason
        return f"{text} ({self.hint})" if self.hint else text

    def as_dict(self) -> dict[str, object]:
        """The problem as a plain mapping (for JSON and CSV reports)."""
        return asdict(self)


class InputRejected(Exception):
    """Raised when an input has problems; nothing was written."""

    def __init__(self, problems: list[Problem], report: object | None = None) -> None:
        self.problems = problems
        self.report = report
        super().__init__("\n".join(str(p) for p in problems[:20]))


def describe_validation_error(exc: ValidationError) -> list[tuple[str, str]]:
    """Turn a pydantic error into (field, reason) pairs a user can act on; enums list their allowed values.

    Examples
    --------
    >>> from ecotone.domain import Organization
    >>> try:
    ...     Organization(name="Banco", type="bank")
    ... except ValidationError as e:
    ...     describe_validation_error(e)[0][0]
    'type'
    """
    out = []
    for err in exc.errors(include_url=False):
        reason = plain_reason(err)
        # a rule of the whole record is said next to the field it is about
        field = ".".join(str(p) for p in err["loc"]) or next(
            (f for start, f in _RULE_FIELDS.items() if reason.startswith(start)), "record")
        out.append((field, reason))
    return out


#: The rules of whole records (model validators), by the start of their reason → the field they are about.
_RULE_FIELDS = {"an e-mail is personal data": "email", "owner_kind and owner_id": "owner_id",
                "end_date": "end_date", "met_on": "met_on", "pilot_on": "pilot_on", "partnered_on": "partnered_on",
                "closes_on": "closes_on", "judged_by": "judged_by", "awarded_on": "awarded_on",
                "winners (": "winners", "an endorsement names": "person_id"}


#: pydantic's error types → what a person reads next to the field.
_REASONS = {
    "missing": "is required", "string_too_short": "cannot be empty", "bool_parsing": "must be yes or no",
    "bool_type": "must be yes or no", "int_parsing": "must be a whole number", "int_type": "must be a whole number",
    "int_from_float": "must be a whole number", "float_parsing": "must be a number", "float_type": "must be a number",
    "finite_number": "must be a number", "date_parsing": "must be a date such as 2024-01-31",
    "date_from_datetime_parsing": "must be a date such as 2024-01-31", "date_type": "must be a date such as 2024-01-31",
    "list_type": "must be a list", "dict_type": "must be a set of name–value pairs",
    "string_type": "must be text", "extra_forbidden": "is not a field of this record",
    "json_invalid": "is not valid JSON", "model_attributes_type": "must be a record (a JSON object)",
}


def plain_reason(err: dict) -> str:
    """One pydantic error in words a user can act on (no validator jargon); choices list their allowed values.

    >>> plain_reason({"type": "greater_than_equal", "ctx": {"ge": 1000}, "msg": "", "input": 20})
    'must be at least 1000'
    >>> plain_reason({"type": "enum", "ctx": {"expected": "'seed' or 'growth'"}, "msg": "", "input": "x"})
    "'x' is not one of the choices: seed or growth"
    """
    ctx = err.get("ctx") or {}
    kind = err["type"]
    if kind in ("enum", "literal_error"):
        return f"{err.get('input')!r} is not one of the choices: {ctx.get('expected', '').replace(chr(39), '')}"
    if kind in ("value_error", "assertion_error"):
        return str(ctx.get("error", err["msg"])).removeprefix("Value error, ")
    bounds = {"greater_than_equal": ("at least", "ge"), "greater_than": ("more than", "gt"),
              "less_than_equal": ("at most", "le"), "less_than": ("less than", "lt")}
    if kind in bounds:
        words, key = bounds[kind]
        bound = ctx.get(key)
        return f"must be {words} {int(bound) if isinstance(bound, float) and bound.is_integer() else bound}"
    if kind == "string_too_long":
        return f"is too long: at most {ctx.get('max_length')} characters"
    if kind in ("too_long", "too_short"):
        return f"must hold {'at most' if kind == 'too_long' else 'at least'} " \
               f"{ctx.get('max_length', ctx.get('min_length'))} items"
    if kind == "string_pattern_mismatch":
        return "is not in the expected form"
    return _REASONS.get(kind, err["msg"])
