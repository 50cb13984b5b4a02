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
        field = ".".join(str(p) for p in err["loc"]) or "record"
        ctx = err.get("ctx") or {}
        if err["type"] == "enum":
            allowed = ctx.get("expected", "").replace("'", "")
            reason = f"{err['input']!r} is not allowed; use one of: {allowed}"
        elif err["type"] == "missing":
            reason = "is required"
        elif err["type"] == "value_error":
            reason = str(ctx.get("error", err["msg"]))
        else:
            reason = f"{err['msg']} (got {err['input']!r})" if "input" in err else err["msg"]
        out.append((field, reason))
    return out
