"""Kumu-style spreadsheets: an .xlsx with Elements and Connections sheets (or two CSVs), read and written."""

from __future__ import annotations

import datetime as dt
import math
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..domain import Hub, Organization, StakeholderType, Tie, TieKind
from ..domain.batch import Batch, Origin
from ..domain.problems import InputRejected, Problem
from ._cells import xlsx_cell
from ._tabular import Table, cell_text, read_csv, read_xlsx
from .tables import write_csv

__all__ = ["read_kumu", "UnknownWord", "kumu_sheets", "write_kumu_xlsx", "write_kumu_csv", "ELEMENT_COLUMNS", "CONNECTION_COLUMNS", "HUB_COLUMNS"]

LIST_SEPARATOR = "|"


@dataclass(frozen=True)
class Column:
    """A spreadsheet column and the record field it carries."""

    header: str
    field: str
    kind: str = "text"  # text | list | float | int | year | date | ids
    aliases: tuple[str, ...] = ()
    preferred: tuple[str, ...] = ()

    @property
    def names(self) -> tuple[str, ...]:
        """The headers this column is read from, in order of preference."""
        return (*self.preferred, self.header, *self.aliases)


_COMMON = (
    Column("Visibility", "visibility"),
    Column("Source", "source"),
    Column("External IDs", "external_ids", "ids"),
)
ELEMENT_COLUMNS = (
    Column("Label", "name", aliases=("Name",)),
    # Our own "Stakeholder type" wins over Kumu's free "Type" when a sheet has both.
    Column("Type", "type", aliases=("Element type",), preferred=("Stakeholder type",)),
    Column("Description", "description"),
    Column("Tags", "tags", "list"),
    Column("Hub", "hub_id"),
    Column("Short name", "short_name"),
    Column("City", "city"),
    Column("Country", "country"),
    Column("Latitude", "latitude", "float", ("Lat",)),
    Column("Longitude", "longitude", "float", ("Lon", "Lng")),
    Column("Focus areas", "focus_areas", "list"),
    Column("Offers", "offers", "list"),
    Column("Needs", "needs", "list"),
    Column("Stage", "stage"),
    Column("Size", "size"),
    Column("Founded", "founded", "year"),
    Column("Website", "website", aliases=("URL",)),
    *_COMMON,
)
CONNECTION_COLUMNS = (
    Column("From", "source_id"),
    Column("To", "target_id"),
    Column("Type", "kind", aliases=("Connection type",)),
    Column("Direction", "directed"),
    Column("Strength", "weight", "float", ("Weight",)),
    Column("Label", "label"),
    Column("Tags", "tags", "list"),
    Column("Start", "start_date", "date", ("Start date",)),
    Column("End", "end_date", "date", ("End date",)),
    Column("Status", "status"),
    Column("Evidence", "evidence"),
    *_COMMON,
)
HUB_COLUMNS = (
    Column("Name", "name", aliases=("Label",)),
    Column("Kind", "kind", aliases=("Type",)),
    Column("City", "city"),
    Column("Region", "region"),
    Column("Country", "country"),
    Column("Latitude", "latitude", "float", ("Lat",)),
    Column("Longitude", "longitude", "float", ("Lon", "Lng")),
    Column("Description", "description"),
    Column("Website", "website"),
    *_COMMON,
)
_KUMU_ID = "kumu"  # the external-id scheme of Kumu's ID column


def _split(text: str) -> list[str]:
    return [p.strip() for p in text.split(LIST_SEPARATOR) if p.strip()]


def _parse(column: Column, raw: Any) -> Any:
    """The field value of a cell; raises ValueError with a reason a user understands."""
    if column.kind == "date" and isinstance(raw, dt.datetime):
        return raw.date()
    if column.kind == "date" and isinstance(raw, dt.date):
        return raw
    if column.kind == "year" and isinstance(raw, dt.date):  # a date cell: its year
        return raw.year
    text = cell_text(raw)
    if not text:
        return None
    if column.kind == "year":  # a year, or a date as Kumu users often write it (2020-01-01, 2020/03)
        head = text.replace("/", "-").split("-")[0].strip()
        if len(head) == 4 and head.isdigit():
            return int(head)
        raise ValueError(f"{text!r} is not a year; write a year such as 2020, or a date such as 2020-01-31")
    if column.kind == "list":
        return _split(text)
    if column.kind in ("float", "int"):
        try:
            number = float(text.replace(",", ".")) if text.count(",") == 1 and "." not in text else float(text)
        except ValueError:
            raise ValueError(f"{text!r} is not a number") from None
        if not math.isfinite(number):
            raise ValueError(f"{text!r} is not a finite number")
        if column.kind == "int":
            if not number.is_integer():
                raise ValueError(f"{text!r} is not a whole number")
            return int(number)
        return number
    if column.kind == "date":
        try:
            return dt.date.fromisoformat(text[:10])
        except ValueError:
            raise ValueError(f"{text!r} is not a date; write dates as 2024-01-31") from None
    if column.kind == "ids":
        ids = {}
        for part in _split(text):
            scheme, sep, value = part.partition(":")
            if not sep or not scheme.strip() or not value.strip():
                raise ValueError(f"{part!r} is not scheme:value (e.g. cordis_pic:999984059)")
            ids[scheme.strip()] = value.strip()
        return ids
    return text


@dataclass(frozen=True)
class UnknownWord(Problem):
    """A problem about an element type or connection type the vocabulary does not know: besides where and why, which
    vocabulary (``"types"`` for stakeholder types, ``"kinds"`` for tie kinds) and the value as the file writes it,
    so a page can offer to map it. Its :meth:`as_dict` is any problem's (reports keep one shape).

    Examples
    --------
    >>> p = UnknownWord("map.xlsx", "Elements", 3, "Type", "'Spin-off' is not a stakeholder type", None,
    ...                 vocabulary="types", value="Spin-off")
    >>> p.vocabulary, p.value, sorted(p.as_dict()) == sorted(Problem().as_dict())
    ('types', 'Spin-off', True)
    """

    vocabulary: str = ""
    value: str = ""

    def as_dict(self) -> dict[str, object]:
        return {k: v for k, v in super().as_dict().items() if k not in ("vocabulary", "value")}


#: The two vocabularies a Kumu file's own words may be mapped to: what the mapping calls them, how a reason names
#: one word of it, its words, and the command line's option.
VOCABULARIES = {"types": ("stakeholder type", StakeholderType, "--map-type"),
                "kinds": ("tie kind", TieKind, "--map-kind")}


def _mapped(vocabulary: str, mapping: dict[str, str], value: str, used: set[str]) -> str:
    """The vocabulary's word for ``value`` (after the user's mapping); raises ValueError saying what is allowed."""
    what, words, flag = VOCABULARIES[vocabulary]
    choices = words.choices()
    folded = {k.casefold(): (k, v) for k, v in mapping.items()}
    if value.casefold() in folded:
        key, value = folded[value.casefold()]
        used.add(key)
    norm = value.strip().lower().replace("-", "_").replace(" ", "_")
    if norm in choices:
        return norm
    raise ValueError(f"{value!r} is not a {what}; allowed: {', '.join(choices)}. "
                     f"To keep your own names, map them: {flag} '{value}={choices[0]}'")


class _Reader:
    def __init__(self, type_map: dict[str, str], kind_map: dict[str, str]) -> None:
        self.batch = Batch()
        self.type_map = type_map
        self.kind_map = kind_map
        self.used: set[str] = set()  # the mapping's names that some row had
        self.hubs: dict[str, int] = {}
        self.ids: dict[str, int] = {}

    @staticmethod
    def _unknown(origin: Origin, exc: ValueError, column: str, vocabulary: str, value: str) -> UnknownWord:
        return UnknownWord(origin.file, origin.sheet, origin.row, column, str(exc), vocabulary=vocabulary,
                           value=value)

    def unused(self) -> None:
        """Warn of the mapping's names that no row had (a misspelt name maps nothing)."""
        for vocabulary, mapping in (("types", self.type_map), ("kinds", self.kind_map)):
            left = sorted(k for k in mapping if k not in self.used)
            if left:
                what = "element" if vocabulary == "types" else "connection"
                self.batch.warnings.append(f"the mapping names {', '.join(map(repr, left))}, which no {what} has "
                                           f"as its type: nothing was read as {'them' if len(left) > 1 else 'it'}")

    def _columns(self, table: Table, columns: Iterable[Column]) -> dict[str, Column]:
        present: dict[str, Column] = {}
        for col in columns:
            header = table.column(*col.names)
            if header is not None and header not in present:
                present[header] = col
        extra = [h for h in table.header if h and h not in present and h.upper() not in ("ID", "IMAGE")]
        where = f"{table.file}{f', sheet {table.sheet}' if table.sheet else ''}"
        if extra:
            self.batch.warnings.append(f"{where}: columns not kept (Ecotone has no field for them): {', '.join(extra)}")
        return present

    def _fields(self, table: Table, number: int, row: dict, columns: dict[str, Column]) -> tuple[dict, Origin]:
        origin = Origin(table.file, table.sheet, number)
        if number in table.hidden_rows:
            self.batch.warnings.append(f"{table.file}, sheet {table.sheet}, row {number} is hidden in the workbook; "
                                       "it was read like the others")
        data: dict[str, Any] = {}
        for header, col in columns.items():
            try:
                value = _parse(col, row.get(header))
            except ValueError as exc:
                self.batch.problems.append(origin.problem(str(exc), column=header))
                continue
            if value is not None:
                data[col.field] = value
        # A record's source: its Source cell, else the row it is read from. Whatever an import changes in a record
        # already in the atlas records the row as that field's provenance (the merge does), not the Source cell.
        data["source"] = data.get("source") or origin.label
        return data, origin

    def hub(self, name: str, origin: Origin, column: str) -> int | None:
        key = name.casefold()
        if key not in self.hubs:
            hub = self.batch.build(Hub, {"name": name, "source": origin.label}, origin, {"name": column})
            if hub is None:
                return None
            # The cell names the hub, it does not vouch for it: a hub the import creates says which row first named
            # it, and an atlas hub of that name keeps its own source (a merge takes only the fields an input gives).
            hub = Hub.model_construct(_fields_set=hub.model_fields_set - {"source"}, **dict(hub))
            self.hubs[key] = self.batch.add(hub, origin)
        return self.hubs[key]

    def read_hubs(self, table: Table) -> None:
        columns = self._columns(table, HUB_COLUMNS)
        header_of = {c.field: h for h, c in columns.items()}
        for number, row in table.rows:
            data, origin = self._fields(table, number, row, columns)
            hub = self.batch.build(Hub, data, origin, header_of)
            if hub is None:
                continue
            if hub.name.casefold() in self.hubs:
                self.batch.problems.append(origin.problem(f"hub {hub.name!r} is listed twice", column=header_of["name"]))
                continue
            self.hubs[hub.name.casefold()] = self.batch.add(hub, origin)

    def read_elements(self, table: Table) -> dict[str, list[tuple[int, str, int]]]:
        """Read organisations; returns label (folded) → [(local id, type, row)] and fills ``self.ids``."""
        columns = self._columns(table, ELEMENT_COLUMNS)
        header_of = {c.field: h for h, c in columns.items()}
        id_col = table.column("ID")
        if "name" not in header_of and id_col is None:
            raise InputRejected([Problem(table.file, table.sheet, 1, "Label",
                                         "the elements need a Label column", f"the header has: {', '.join(table.header)}")])
        labels: dict[str, list[tuple[int, str, int]]] = {}
        keys: dict[tuple, int] = {}
        for number, row in table.rows:
            data, origin = self._fields(table, number, row, columns)
            element_id = cell_text(row.get(id_col)) if id_col else ""
            if "name" not in data:
                data["name"] = element_id
            if "type" in data:
                try:
                    data["type"] = _mapped("types", self.type_map, data["type"], self.used)
                except ValueError as exc:
                    self.batch.problems.append(self._unknown(origin, exc, header_of["type"], "types", data["type"]))
                    continue
            else:
                self.batch.problems.append(origin.problem(
                    "the stakeholder type is missing", column=header_of.get("type", "Type"),
                    hint=f"use one of: {', '.join(StakeholderType.choices())}"))
                continue
            if "hub_id" in data:
                data["hub_id"] = self.hub(data["hub_id"], origin, header_of["hub_id"])
                if data["hub_id"] is None:
                    continue
            if element_id:
                data.setdefault("external_ids", {})[_KUMU_ID] = element_id
            key = ("id", element_id) if element_id else ("label", data["name"].casefold(), data["type"])
            if key in keys:
                what = f"ID {element_id!r}" if element_id else f"label {data['name']!r} and type {data['type']}"
                self.batch.problems.append(origin.problem(
                    f"duplicate element: row {keys[key]} has the same {what}",
                    column="ID" if element_id else header_of.get("name", "Label"),
                    hint="merge the two rows, or give each its own ID"))
                continue
            keys[key] = number
            org = self.batch.build(Organization, data, origin, header_of)
            if org is None:
                continue
            local = self.batch.add(org, origin)
            labels.setdefault(org.name.casefold(), []).append((local, org.type.value, number))
            if element_id:
                self.ids[element_id] = local
        return labels

    def _endpoint(self, ref: str, labels: dict, origin: Origin, column: str) -> int | None:
        if ref in self.ids:
            return self.ids[ref]
        found = labels.get(ref.casefold(), [])
        if len(found) == 1:
            return found[0][0]
        if len(found) > 1:
            rows = ", ".join(str(r) for _, _, r in found)
            self.batch.problems.append(origin.problem(
                f"{ref!r} names {len(found)} elements (rows {rows})", column=column,
                hint="give the elements IDs and refer to the ID"))
            return None
        return self.batch.lookup("organization", ref, origin)

    def read_connections(self, table: Table, labels: dict) -> None:
        columns = self._columns(table, CONNECTION_COLUMNS)
        header_of = {c.field: h for h, c in columns.items()}
        for needed in ("source_id", "target_id"):
            if needed not in header_of:
                raise InputRejected([Problem(table.file, table.sheet, 1, "From" if needed == "source_id" else "To",
                                             "the connections need From and To columns",
                                             f"the header has: {', '.join(table.header)}")])
        seen: dict[tuple, int] = {}
        for number, row in table.rows:
            data, origin = self._fields(table, number, row, columns)
            sources = _split(cell_text(row.get(header_of["source_id"])))
            targets = _split(cell_text(row.get(header_of["target_id"])))
            if not sources or not targets:
                self.batch.problems.append(origin.problem("a connection needs both From and To",
                                                          column=header_of["target_id" if sources else "source_id"]))
                continue
            try:
                data["kind"] = _mapped("kinds", self.kind_map, data.get("kind", "partnership"), self.used)
            except ValueError as exc:
                self.batch.problems.append(self._unknown(origin, exc, header_of.get("kind", "Type"), "kinds",
                                                         data.get("kind", "partnership")))
                continue
            direction = str(data.pop("directed", "directed")).lower()
            if direction not in ("directed", "undirected", "mutual"):
                self.batch.problems.append(origin.problem(
                    f"direction {direction!r} is not directed, undirected or mutual", column=header_of["directed"]))
                continue
            data["directed"] = direction == "directed"
            for src in sources:
                for tgt in targets:
                    a = self._endpoint(src, labels, origin, header_of["source_id"])
                    b = self._endpoint(tgt, labels, origin, header_of["target_id"])
                    if a is None or b is None:
                        continue
                    pair = (a, b, data["kind"]) if data["directed"] else (min(a, b), max(a, b), data["kind"])
                    if pair in seen:
                        self.batch.problems.append(origin.problem(
                            f"duplicate connection: row {seen[pair]} already joins {src!r} and {tgt!r} "
                            f"as {data['kind']}", hint="delete one row, or give them different types"))
                        continue
                    seen[pair] = number
                    tie = self.batch.build(Tie, {**data, "source_id": a, "target_id": b}, origin, header_of)
                    if tie is not None:
                        self.batch.add(tie, origin)


def _sheet(tables: dict[str, Table], name: str) -> Table | None:
    for title, table in tables.items():
        if "(ignore)" in title.lower():
            continue
        if title.strip().lower() == name:
            return table
    return None


def read_kumu(paths: list[Path], *, type_map: dict[str, str] | None = None,
              kind_map: dict[str, str] | None = None) -> Batch:
    r"""Read a Kumu spreadsheet: one .xlsx (sheets Elements, Connections and optionally Hubs; sheets whose name
    contains ``(ignore)`` are skipped) or CSV files named like ``elements.csv``, ``connections.csv``, ``hubs.csv``.

    Parameters
    ----------
    paths : list of Path
        One workbook, or the CSV files.
    type_map : dict, optional
        The user's own element types → stakeholder types (``{"University Hospital": "hospital"}``).
    kind_map : dict, optional
        The user's own connection types → tie kinds.

    Returns
    -------
    Batch
        Hubs, organisations and ties, with every problem and warning found. Each record's ``source`` is the file,
        sheet and row it was read from (``atlas.xlsx · Elements · row 12``; ``elements.csv · row 12``).

    Examples
    --------
    >>> import pathlib, tempfile
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (folder / "elements.csv").write_text("Label,Type,Tags\nKardio,startup,ai|cardiology\nSant Pau,Hospital,\n")
    >>> _ = (folder / "connections.csv").write_text("From,To,Type\nSant Pau,Kardio,clinical pilot\n")
    >>> batch = read_kumu([folder / "elements.csv", folder / "connections.csv"])
    >>> [(o.name, o.type.value, o.tags) for o, _ in batch.records["organization"]]
    [('Kardio', 'startup', ['ai', 'cardiology']), ('Sant Pau', 'hospital', [])]
    >>> [t.kind.value for t, _ in batch.records["tie"]], batch.problems
    (['clinical_pilot'], [])
    >>> batch.records["organization"][1][0].source, batch.records["tie"][0][0].source
    ('elements.csv · row 3', 'connections.csv · row 2')
    """
    reader = _Reader(type_map or {}, kind_map or {})
    if len(paths) == 1 and paths[0].suffix.lower() in (".xlsx", ".xls", ".xlsm"):
        tables = read_xlsx(paths[0])
        elements, connections, hubs = (_sheet(tables, n) for n in ("elements", "connections", "hubs"))
        if elements is None:
            raise InputRejected([Problem(str(paths[0]), reason="has no Elements sheet",
                                         hint=f"its sheets are: {', '.join(tables)}; name the actors' sheet Elements")])
    else:
        by_role: dict[str, Table] = {}
        for path in paths:
            stem = path.stem.lower()
            role = next((r for r in ("element", "connection", "hub") if r in stem), None)
            if role is None:
                raise InputRejected([Problem(str(path), reason="cannot tell whether it holds elements, connections "
                                             "or hubs", hint="name the files elements.csv, connections.csv, hubs.csv")])
            by_role[role] = read_csv(path)
        if "element" not in by_role and "connection" not in by_role:
            raise InputRejected([Problem(", ".join(map(str, paths)), reason="no elements or connections file",
                                         hint="give elements.csv and/or connections.csv")])
        elements, connections, hubs = by_role.get("element"), by_role.get("connection"), by_role.get("hub")
    if hubs is not None:
        reader.read_hubs(hubs)
    labels = reader.read_elements(elements) if elements is not None else {}
    if connections is not None:
        reader.read_connections(connections, labels)
    reader.unused()
    return reader.batch


# -- writing --------------------------------------------------------------------------------------------------------
def _cell(column: Column, value: Any) -> Any:
    if value is None:
        return None
    if column.kind == "list":
        return LIST_SEPARATOR.join(value) or None
    if column.kind == "ids":
        return LIST_SEPARATOR.join(f"{k}:{v}" for k, v in sorted(value.items()) if k != _KUMU_ID) or None
    if column.kind == "date":
        return value.isoformat()
    return value


def kumu_sheets(hubs: list[dict], organizations: list[dict], ties: list[dict]) -> dict[str, list[list[Any]]]:
    """The Hubs, Elements and Connections sheets (header first) of atlas rows.

    An element's ID is its Kumu id when the atlas knows one; elements whose label is shared by another get
    ``org-<id>`` so connections can tell them apart; the others have no ID and are referred to by label, so
    importing the export back adds nothing.
    """
    hub_name = {h["id"]: h["name"] for h in hubs}
    shared = Counter(o["name"].casefold() for o in organizations)
    element_id = {o["id"]: o["external_ids"].get(_KUMU_ID)
                  or (f"org-{o['id']}" if shared[o["name"].casefold()] > 1 else None) for o in organizations}
    reference = {o["id"]: element_id[o["id"]] or o["name"] for o in organizations}
    sheets: dict[str, list[list[Any]]] = {}
    sheets["Elements"] = [["ID"] + [c.header for c in ELEMENT_COLUMNS]] + [
        [element_id[o["id"]]] + [hub_name.get(o["hub_id"]) if c.field == "hub_id" else _cell(c, o[c.field])
                                 for c in ELEMENT_COLUMNS] for o in organizations]
    direction = {True: "directed", False: "undirected"}
    sheets["Connections"] = [[c.header for c in CONNECTION_COLUMNS]] + [
        [reference[t[c.field]] if c.field in ("source_id", "target_id")
         else direction[t["directed"]] if c.field == "directed" else _cell(c, t[c.field])
         for c in CONNECTION_COLUMNS] for t in ties]
    sheets["Hubs"] = [[c.header for c in HUB_COLUMNS]] + [[_cell(c, h[c.field]) for c in HUB_COLUMNS] for h in hubs]
    return sheets


def write_kumu_xlsx(sheets: dict[str, list[list[Any]]], path: Path) -> None:
    """Write the sheets as an .xlsx workbook that Kumu imports (Hubs is Ecotone's own; Kumu skips it).

    Text that a spreadsheet would run as a formula (``=HYPERLINK(…)``, ``+SUM(A1)``, ``-2+3``, ``@cmd``) is written
    as a text cell (:func:`~ecotone.io._cells.xlsx_cell`), never as a formula; numbers stay numbers.
    """
    import openpyxl
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    def writable(value: Any) -> Any:
        # a stray control character in a record would make openpyxl refuse the whole workbook
        return ILLEGAL_CHARACTERS_RE.sub("", value) if isinstance(value, str) else value

    book = openpyxl.Workbook(write_only=True)
    for title in ("Elements", "Connections", "Hubs"):
        ws = book.create_sheet(title)
        for row in sheets[title]:
            ws.append([xlsx_cell(ws, writable(v)) for v in row])
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".part")
    book.save(tmp)
    tmp.replace(path)


def write_kumu_csv(sheets: dict[str, list[list[Any]]], folder: Path) -> list[Path]:
    """Write the sheets as elements.csv, connections.csv and hubs.csv in ``folder`` (formula-like text marked with
    a leading ``'``, as in every CSV Ecotone writes: :func:`~ecotone.io.tables.write_csv`)."""
    folder.mkdir(parents=True, exist_ok=True)
    out = []
    for title in ("Elements", "Connections", "Hubs"):
        path = folder / f"{title.lower()}.csv"
        write_csv(path, sheets[title])
        out.append(path)
    return out

