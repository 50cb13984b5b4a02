"""The ``ecotone needs`` commands: the registry of unmet clinical needs (list, show, add, import)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from ._output import Format, console, emit, emit_record
from .app import DryRun, FormatOpt, _report, _run, needs_app

__all__ = ["needs_app"]


_TABLE = ("id", "statement", "clinical_area", "severity", "status", "hub", "raised_by", "innovations",
          "endorsements")


@needs_app.command("list")
def needs_list(
    ctx: typer.Context,
    hub: Annotated[Optional[str], typer.Option(help="Only this hub's needs (name or id).")] = None,
    status: Annotated[Optional[str], typer.Option(help="raised, validated, being_addressed or solved "
                                                  "(comma-separated for several).")] = None,
    area: Annotated[Optional[str], typer.Option(help="Clinical area (a part of it will do: cardio).")] = None,
    severity: Annotated[Optional[str], typer.Option(help="low, moderate, high or critical.")] = None,
    unaddressed: Annotated[bool, typer.Option("--unaddressed", help="Only the gaps: needs no innovation "
                                              "addresses.")] = False,
    fmt: FormatOpt = Format.table,
) -> None:
    """The clinical needs you may see, gravest first, each as its Biodesign statement with who raised it, the
    innovations addressing it and how many endorse it.

    Example: `ecotone needs list --hub 'Barcelona Health Hub' --unaddressed`
    """
    from ..services import needs

    result = _run(ctx, lambda atlas, p: needs.list_needs(atlas, hub=hub, status=status, area=area,
                                                         severity=severity, unaddressed=unaddressed), fmt)
    rows = result.tables["needs"]
    if fmt is Format.json:
        emit_record(result.as_dict(), fmt)
        return
    if fmt is Format.table:
        rows = [{**r, "status": str(r["status"] or "").replace("_", " ")} for r in rows]
    emit(rows, fmt, title="Clinical needs", table_columns=_TABLE if fmt is Format.table else None,
         footer=_counted(result.summary["needs"], result.summary["gaps"]))


def _counted(needs: int, gaps: int) -> str:
    """``3 needs, 1 of them a gap (…)`` in the right number."""
    return (f"{needs} need{'' if needs == 1 else 's'}, {gaps} of them {'a gap' if gaps == 1 else 'gaps'} "
            "(no innovation addresses them)")


@needs_app.command("show")
def needs_show(
    ctx: typer.Context,
    need: Annotated[str, typer.Argument(help="The need's id, or a part of its wording only it has.")],
    fmt: FormatOpt = Format.table,
) -> None:
    """One need with its endorsements and the innovations that address it.

    Example: `ecotone needs show 3`
    """
    from ..services import needs

    shown = _run(ctx, lambda atlas, p: needs.show_need(atlas, need), fmt)
    if fmt is Format.json:
        emit_record(shown, fmt)
        return
    fields = {k: v for k, v in shown.items() if k not in ("endorsements", "innovations")}
    if fmt is Format.table and fields.get("status"):
        fields["status"] = str(fields["status"]).replace("_", " ")
    emit_record(fields, fmt, title=f"Clinical need {shown['id']}")
    if fmt is Format.table:
        if shown["innovations"]:
            emit(shown["innovations"], fmt, title="Innovations addressing it")
        if shown["endorsements"]:
            emit(shown["endorsements"], fmt, title="Endorsed by")
        if shown["gap"]:
            console.print("[bold]A gap:[/bold] no innovation addresses this need yet.")


@needs_app.command("add")
def needs_add(
    ctx: typer.Context,
    problem: Annotated[str, typer.Option(help="A way to … (the problem to solve).")],
    population: Annotated[str, typer.Option(help="… in … (who has it).")],
    outcome: Annotated[str, typer.Option(help="… in order to … (the outcome that matters).")],
    area: Annotated[Optional[str], typer.Option(help="Clinical area (cardiology, oncology…).")] = None,
    severity: Annotated[Optional[str], typer.Option(help="low, moderate, high or critical.")] = None,
    prevalence: Annotated[Optional[float], typer.Option(help="People affected per 100,000.")] = None,
    evidence: Annotated[Optional[str], typer.Option(help="What shows the need (a study, an audit…).")] = None,
    status: Annotated[Optional[str], typer.Option(help="raised (default), validated, being_addressed or "
                                                  "solved.")] = None,
    hub: Annotated[Optional[str], typer.Option(help="The hub the need belongs to (name or id).")] = None,
    raised_by: Annotated[Optional[str], typer.Option(help="The organisation that raised it (name or id).")] = None,
    clinician: Annotated[Optional[str], typer.Option(help="The clinician who raised it (a person's name or "
                                                     "id).")] = None,
    innovation: Annotated[Optional[list[str]], typer.Option(help="An innovation that addresses it (name or id); "
                                                            "repeatable.")] = None,
    visibility: Annotated[Optional[str], typer.Option(help="public, network, hub or private.")] = None,
    fmt: FormatOpt = Format.table,
) -> None:
    """Add a clinical need.

    Example: `ecotone needs add --problem 'detect sepsis early' --population 'adults in the emergency room'
    --outcome 'reduce deaths' --severity critical --hub 'Barcelona Health Hub' --raised-by 'Hospital Clínic'`
    """
    from ..services import needs

    flags = {"problem": "--problem", "population": "--population", "outcome": "--outcome",
             "clinical_area": "--area", "severity": "--severity", "prevalence": "--prevalence",
             "evidence": "--evidence", "status": "--status", "hub": "--hub", "raised_by": "--raised-by",
             "clinician": "--clinician", "innovations": "--innovation", "visibility": "--visibility"}
    data = {"problem": problem, "population": population, "outcome": outcome, "clinical_area": area,
            "severity": severity, "prevalence": prevalence, "evidence": evidence, "status": status, "hub": hub,
            "raised_by": raised_by, "clinician": clinician, "innovations": innovation or [],
            "visibility": visibility}
    record = _run(ctx, lambda atlas, p: needs.add_need(atlas, {k: v for k, v in data.items() if v is not None},
                                                       flags=flags), fmt)
    emit_record({"id": record.id, "statement": record.statement, **record.model_dump(mode="json",
                exclude={"id"})}, fmt, title=f"Added clinical need {record.id}")


@needs_app.command("import")
def needs_import(
    ctx: typer.Context,
    path: Annotated[Path, typer.Argument(help="CSV or .xlsx: problem, population, outcome, [clinical_area], "
                                         "[severity], [prevalence], [evidence], [status], [hub], [raised_by], "
                                         "[clinician], [innovations] (names separated by ;).")],
    dry_run: DryRun = False,
    fmt: FormatOpt = Format.table,
) -> None:
    """Import a register of needs: every row or none; a need already there (same problem, population and outcome)
    is updated, not duplicated; each problem names the file, row and column.

    Example: `ecotone needs import needs.xlsx --dry-run`
    """
    from ..services import needs

    report = _run(ctx, lambda atlas, p: needs.import_needs(atlas, path, dry_run=dry_run), fmt)
    _report(report, fmt)
