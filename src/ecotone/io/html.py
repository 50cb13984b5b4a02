"""A self-contained HTML page (no script, no download) with tables, a heatmap, SVG charts and embedded pictures."""

from __future__ import annotations

import base64
import html
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from ._graphfile import atomic_text

__all__ = ["Page", "table", "heatmap", "scatter", "bars", "picture"]

_STYLE = """
body{font:15px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;color:#1d2330;margin:0;background:#f6f7f9}
main{max-width:1180px;margin:0 auto;padding:24px}
h1{font-size:26px;margin:0 0 4px}h2{font-size:20px;margin:34px 0 8px;border-bottom:2px solid #d8dde6;padding-bottom:4px}
h3{font-size:15px;margin:14px 0 6px}.lead{color:#4b5563;margin:0 0 16px}
.figures{display:flex;flex-wrap:wrap;gap:10px}.figure{background:#fff;border:1px solid #d8dde6;border-radius:8px;
padding:10px 14px;min-width:120px}.figure b{display:block;font-size:22px}.figure span{color:#4b5563;font-size:13px}
table{border-collapse:collapse;background:#fff;font-size:13px;margin:6px 0 12px;width:100%}
th,td{border:1px solid #d8dde6;padding:4px 7px;text-align:left;vertical-align:top}th{background:#eef1f5}
td.n{text-align:right;font-variant-numeric:tabular-nums}.heat td{text-align:center;min-width:26px}
.heat td.missing{outline:2px solid #b42318;outline-offset:-2px;color:#b42318;font-weight:600}
.heat th.v{writing-mode:vertical-rl;transform:rotate(180deg);white-space:nowrap;font-weight:500}
.grid{display:flex;flex-wrap:wrap;gap:14px}.card{background:#fff;border:1px solid #d8dde6;border-radius:8px;padding:8px}
.note{color:#4b5563;font-size:13px}svg text{font:11px system-ui,sans-serif;fill:#1d2330}
figure.picture{margin:8px 0 14px;background:#fff;border:1px solid #d8dde6;border-radius:8px;padding:8px}
figure.picture img{display:block;max-width:100%;height:auto;margin:0 auto}
figure.picture figcaption{color:#4b5563;font-size:13px;margin-top:6px}
"""


def _cell(value: Any) -> tuple[str, bool]:
    if value is None:
        return "", False
    if isinstance(value, bool):
        return ("yes" if value else "no"), False
    if isinstance(value, int):
        return f"{value:,}", True
    if isinstance(value, float):
        return (f"{value:,.0f}" if abs(value) >= 1000 else f"{value:.3g}"), True
    if isinstance(value, list | tuple):
        return ", ".join(map(str, value)), False
    return str(value), False


def table(rows: Sequence[dict[str, Any]], columns: Sequence[str] | None = None, *, limit: int = 50,
          headings: Mapping[str, str] | None = None) -> str:
    """An HTML table of rows (the first ``limit``), numbers right-aligned; ``headings`` names columns for
    people (a column not in it is headed by its key).

    >>> table([{"name": "Clínic", "degree": 12}], headings={"degree": "ties"})
    '<table><tr><th>name</th><th>ties</th></tr><tr><td>Clínic</td><td class="n">12</td></tr></table>'
    """
    if not rows:
        return '<p class="note">Nothing to show.</p>'
    cols = list(columns or rows[0].keys())
    headings = headings or {}
    out = ["<table><tr>", *(f"<th>{html.escape(headings.get(c, c))}</th>" for c in cols), "</tr>"]
    for row in rows[:limit]:
        out.append("<tr>")
        for c in cols:
            text, numeric = _cell(row.get(c))
            out.append(f'<td class="n">{html.escape(text)}</td>' if numeric else f"<td>{html.escape(text)}</td>")
        out.append("</tr>")
    out.append("</table>")
    if len(rows) > limit:
        out.append(f'<p class="note">… and {len(rows) - limit:,} more rows (use the CLI with --format csv).</p>')
    return "".join(out)


def heatmap(rows: Sequence[dict[str, Any]], row_key: str, columns: Sequence[str],
            flagged: dict[str, set[str]] | None = None, *, headings: Mapping[str, str] | None = None) -> str:
    """A table whose cells are shaded by their count; flagged (row, column) cells are outlined in red;
    ``headings`` names columns for people."""
    flagged = flagged or {}
    headings = headings or {}
    top = max((int(r[c]) for r in rows for c in columns), default=0) or 1
    out = ['<table class="heat"><tr><th></th>',
           *(f'<th class="v">{html.escape(headings.get(c, c))}</th>' for c in columns), "</tr>"]
    for r in rows:
        out.append(f"<tr><th>{html.escape(str(r[row_key]))}</th>")
        for c in columns:
            v = int(r[c])
            alpha = 0.08 + 0.85 * (v / top) ** 0.5 if v else 0
            style = f' style="background:rgba(37,99,235,{alpha:.2f});color:{"#fff" if alpha > 0.55 else "#1d2330"}"'
            missing = c in flagged.get(str(r[row_key]), set())
            cls = ' class="missing"' if missing else ""
            out.append(f"<td{cls}{style if v else ''} title=\"{html.escape(str(r[row_key]))}: {v} "
                       f"{html.escape(headings.get(c, c))}\">"
                       f"{v if v else ('✕' if missing else '')}</td>")
        out.append("</tr>")
    out.append("</table>")
    return "".join(out)


def scatter(points: Sequence[dict[str, Any]], *, x: str, y: str, label: str, colour: str, title: str,
            quadrants: Sequence[str] = (), size: int = 300) -> str:
    """An SVG scatter on [0, 1] × [0, 1] with a cross at 0.5 and the quadrants' names in their corners."""
    pad = 26
    inner = size - 2 * pad
    colours = _colours(sorted({str(p[colour]) for p in points}))
    legend_rows = (len(colours) + 2) // 3
    height = size + 18 + legend_rows * 14 + 4
    out = [f'<svg width="{size}" height="{height}" viewBox="0 0 {size} {height}" role="img" '
           f'aria-label="{html.escape(title)}"><text x="{pad}" y="13" font-weight="600">{html.escape(title)}</text>',
           f'<g transform="translate(0,18)"><rect x="{pad}" y="{pad}" width="{inner}" height="{inner}" fill="#fff" '
           f'stroke="#9aa3b2"/><line x1="{pad + inner / 2}" y1="{pad}" x2="{pad + inner / 2}" y2="{pad + inner}" '
           f'stroke="#c3c9d4" stroke-dasharray="4 3"/><line x1="{pad}" y1="{pad + inner / 2}" x2="{pad + inner}" '
           f'y2="{pad + inner / 2}" stroke="#c3c9d4" stroke-dasharray="4 3"/>']
    corners = [(pad + inner - 4, pad + 12, "end"), (pad + 4, pad + 12, "start"), (pad + inner - 4, pad + inner - 5,
                                                                                  "end"), (pad + 4, pad + inner - 5, "start")]
    for (cx, cy, anchor), name in zip(corners, quadrants):
        out.append(f'<text x="{cx}" y="{cy}" text-anchor="{anchor}" fill="#6b7280">{html.escape(name)}</text>')
    out.append(f'<text x="{pad + inner / 2}" y="{size - 6}" text-anchor="middle">{html.escape(x)} →</text>'
               f'<text transform="translate(11,{pad + inner / 2}) rotate(-90)" text-anchor="middle">'
               f'{html.escape(y)} →</text>')
    for p in points:
        px = pad + float(p[x]) * inner
        py = pad + (1 - float(p[y])) * inner
        out.append(f'<circle cx="{px:.1f}" cy="{py:.1f}" r="4.5" fill="{colours[str(p[colour])]}" fill-opacity="0.8" '
                   f'stroke="#fff"><title>{html.escape(str(p[label]))} ({html.escape(str(p[colour]))}): '
                   f'{x} {float(p[x]):.2f}, {y} {float(p[y]):.2f}</title></circle>')
    for j, (name, fill) in enumerate(colours.items()):
        lx, ly = 4 + (j % 3) * (size // 3), size + 4 + (j // 3) * 14
        out.append(f'<circle cx="{lx + 4}" cy="{ly - 4}" r="4" fill="{fill}"/>'
                   f'<text x="{lx + 11}" y="{ly}">{html.escape(name[:16])}</text>')
    out.append("</g></svg>")
    return "".join(out)


def bars(rows: Sequence[dict[str, Any]], *, label: str, parts: Sequence[str], title: str, width: int = 760) -> str:
    """Horizontal stacked bars, one per row, with a legend of the parts."""
    colours = _colours(list(parts))
    bar_h, left = 18, 250
    height = 34 + len(rows) * (bar_h + 6) + 24
    top = max((sum(float(r[p]) for p in parts) for r in rows), default=0) or 1
    out = [f'<svg width="{width}" height="{height}" viewBox="0 0 {width} {height}" role="img" '
           f'aria-label="{html.escape(title)}"><text x="0" y="14" font-weight="600">{html.escape(title)}</text>']
    for i, row in enumerate(rows):
        y = 30 + i * (bar_h + 6)
        name = str(row[label])
        out.append(f'<text x="{left - 6}" y="{y + 13}" text-anchor="end">{html.escape(name[:38])}</text>')
        x = float(left)
        for p in parts:
            w = float(row[p]) / top * (width - left - 60)
            if w > 0:
                out.append(f'<rect x="{x:.1f}" y="{y}" width="{w:.1f}" height="{bar_h}" fill="{colours[p]}">'
                           f'<title>{html.escape(name)}: {float(row[p]):,.0f} {p}</title></rect>')
            x += w
        total = sum(float(row[p]) for p in parts)
        out.append(f'<text x="{x + 4:.1f}" y="{y + 13}">{total:,.0f}</text>')
    ly = height - 8
    for j, p in enumerate(parts):
        out.append(f'<rect x="{left + j * 110}" y="{ly - 10}" width="10" height="10" fill="{colours[p]}"/>'
                   f'<text x="{left + j * 110 + 14}" y="{ly}">{html.escape(p)}</text>')
    out.append("</svg>")
    return "".join(out)


def picture(png: bytes, alt: str, *, caption: str = "", width: int | None = None,
            height: int | None = None) -> str:
    """A PNG embedded in the page (a data URL: the page stays one file), with its alternative text for readers
    who cannot see it and an optional caption.

    >>> picture(b"\\x89PNG", "The network", width=2, height=1)
    '<figure class="picture"><img src="data:image/png;base64,iVBORw==" alt="The network" width="2" height="1"></figure>'
    """
    size = (f' width="{int(width)}"' if width else "") + (f' height="{int(height)}"' if height else "")
    text = f"<figcaption>{html.escape(caption)}</figcaption>" if caption else ""
    return (f'<figure class="picture"><img src="data:image/png;base64,{base64.b64encode(png).decode("ascii")}" '
            f'alt="{html.escape(alt)}"{size}>{text}</figure>')


def _colours(names: Sequence[str]) -> dict[str, str]:
    # Okabe–Ito: distinguishable with the common colour-vision deficiencies; repeated with a darker tone after eight.
    base = ["#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#000000",
            "#004c78", "#9a6a00", "#006b4e", "#8a5170", "#3a7a9e", "#8f3f00", "#a19a2e", "#555555"]
    return {n: base[i % len(base)] for i, n in enumerate(names)}


class Page:
    """An HTML report being assembled: a title, a lead, then sections of HTML fragments."""

    def __init__(self, title: str, lead: str = "") -> None:
        self.title, self.lead = title, lead
        self.parts: list[str] = []

    def figures(self, figures: dict[str, Any]) -> None:
        cells = "".join(f'<div class="figure"><b>{html.escape(_cell(v)[0])}</b><span>{html.escape(k)}</span></div>'
                        for k, v in figures.items())
        self.parts.append(f'<div class="figures">{cells}</div>')

    def section(self, heading: str, *fragments: str, note: str | None = None) -> None:
        self.parts.append(f"<h2>{html.escape(heading)}</h2>")
        if note:
            self.parts.append(f'<p class="note">{html.escape(note)}</p>')
        self.parts.extend(fragments)

    def write(self, path: Path) -> Path:
        with atomic_text(path) as out:
            out.write(f'<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" '
                      f'content="width=device-width,initial-scale=1"><title>{html.escape(self.title)}</title>'
                      f"<style>{_STYLE}</style></head><body><main><h1>{html.escape(self.title)}</h1>"
                      f'<p class="lead">{html.escape(self.lead)}</p>{"".join(self.parts)}</main></body></html>\n')
        return Path(path)
