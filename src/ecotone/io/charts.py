"""Charts written as PNG or SVG (by the file's suffix): fan charts of scenarios, tornadoes, survival curves,
network pictures and power–interest grids."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import BinaryIO

import numpy as np
import pandas as pd

__all__ = ["fan_chart", "network_chart", "power_interest_chart", "survival_chart", "survival_panels", "tie_raster",
           "tornado_chart"]

#: Okabe–Ito: distinguishable by colour-blind readers.
PALETTE = ["#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#F0E442", "#000000"]


def _figure(width: float = 8, height: float = 4.5, panels: int = 1):
    import matplotlib

    matplotlib.use("Agg", force=True)
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, panels, figsize=(width, height), dpi=120, squeeze=False)
    for ax in axes[0]:
        ax.spines[["top", "right"]].set_visible(False)
        ax.grid(alpha=0.25)
    return plt, fig, (axes[0] if panels > 1 else axes[0][0])


def _save(plt, fig, path: str | Path) -> Path:
    path = Path(path)
    if path.suffix.lower() not in (".png", ".svg"):
        raise ValueError(f"{path.name}: charts are written as .png or .svg")
    fig.tight_layout()
    fig.savefig(path, format=path.suffix.lower().lstrip("."))
    plt.close(fig)
    return path


def _wrapped(text: str, width: int) -> str:
    r"""A title or label broken into lines of at most ``width`` characters.

    >>> _wrapped("Change against the baseline, same draws (median, 5–95%)", 30)
    'Change against the baseline,\nsame draws (median, 5–95%)'
    """
    import textwrap

    return "\n".join(textwrap.wrap(text, width, break_on_hyphens=False)) or text


def fan_chart(bands: pd.DataFrame, outcome: str, path: str | Path, *, title: str = "",
              time_units: str = "months") -> Path:
    """Each scenario's median trajectory of ``outcome`` with its 5–95% band (``bands``: scenario, outcome, time,
    p5, p50, p95); with several scenarios and differences (d5, d50, d95), a second panel draws each scenario's
    difference from the baseline in the same draws, where an intervention's effect shows through the
    parameters' uncertainty. The baseline is drawn last, dashed, so no scenario hides it; the legend sits below
    the panels (one for both: a scenario has the same colour in each) and long titles are wrapped.

    >>> import tempfile
    >>> t = np.arange(0, 25, 12.0)
    >>> b = pd.DataFrame({"scenario": ["baseline"] * 3 + ["a much longer scenario name than fits"] * 3,
    ...                   "outcome": "on_market", "time": np.tile(t, 2), "p5": 0.0, "p50": 1.0, "p95": 2.0,
    ...                   "d5": 0.0, "d50": 0.0, "d95": 0.0})
    >>> fan_chart(b, "on_market", Path(tempfile.mkdtemp()) / "fan.svg").suffix
    '.svg'
    """
    rows = bands[bands["outcome"] == outcome]
    if rows.empty:
        raise ValueError(f"no bands for {outcome!r}")
    scenarios = list(dict.fromkeys(rows["scenario"]))
    paired = len(scenarios) > 1 and "d50" in rows.columns
    plt, fig, axes = _figure(13 if paired else 8, 6.0, 2 if paired else 1)
    level, diff = (axes[0], axes[1]) if paired else (axes, None)
    years = time_units.startswith("month")
    label = outcome.replace("_", " ")
    handles = {}
    # scenarios first, the baseline last and on top (dashed, dark): it is what every scenario is read against
    order = [s for s in scenarios if s != "baseline"] + [s for s in scenarios if s == "baseline"]
    for name in order:
        i = scenarios.index(name)
        g = rows[rows["scenario"] == name]
        t = g["time"].to_numpy() / (12 if years else 1)
        base = name == "baseline"
        colour = "#333333" if base else PALETTE[i % len(PALETTE)]
        style = dict(color=colour, linewidth=2, linestyle="--" if base else "-", zorder=5 if base else 3)
        level.fill_between(t, g["p5"], g["p95"], color=colour, alpha=0.08 if base else 0.12, linewidth=0,
                           zorder=1)
        handles[name] = level.plot(t, g["p50"], **style)[0]
        if diff is not None and not base:
            diff.fill_between(t, g["d5"], g["d95"], color=colour, alpha=0.2, linewidth=0, zorder=1)
            diff.plot(t, g["d50"], **style)
    wide = 55 if paired else 60
    for ax in [level, diff] if diff is not None else [level]:
        ax.set_xlabel("years" if years else time_units)
    level.set_ylabel(label)
    level.set_title(_wrapped(title or f"{label}: median and 5–95% band", wide), fontsize=10)
    if diff is not None:
        diff.axhline(0, color="#333333", linewidth=1.2, linestyle="--", zorder=4)
        diff.set_ylabel(f"{label}, scenario − baseline")
        diff.set_title(_wrapped("Change against the baseline, same draws (median, 5–95% band)", wide), fontsize=10)
    shown = [handles[s] for s in scenarios]
    names = [_wrapped(s, 60) for s in scenarios]
    columns = min(len(scenarios), 3 if paired else 2)
    lines = sum(max(n.count("\n") + 1 for n in names[k:k + columns]) for k in range(0, len(names), columns))
    below = min(0.45, (0.3 + 0.16 * lines) / fig.get_figheight())  # the legend's share of the height
    fig.legend(shown, names, frameon=False, fontsize=8, ncol=columns, loc="lower center",
               bbox_to_anchor=(0.5, 0.01))
    path = Path(path)
    if path.suffix.lower() not in (".png", ".svg"):
        raise ValueError(f"{path.name}: charts are written as .png or .svg")
    fig.tight_layout(rect=(0, below, 1, 1))  # the panels above the legend, never under it
    fig.savefig(path, format=path.suffix.lower().lstrip("."))
    plt.close(fig)
    return path


def tornado_chart(table: pd.DataFrame, outcome: str, path: str | Path, *, title: str = "", top: int = 12) -> Path:
    """Bars from the outcome at each parameter's low to its high value, largest swing on top (``table`` as
    :func:`ecotone.simulate.sensitivity.tornado` returns it); Sobol tables (S1, ST) are drawn as paired bars."""
    plt, fig, ax = _figure(8, 0.45 * min(len(table), top) + 1.5)
    rows = table.head(top).iloc[::-1]
    y = np.arange(len(rows))
    if "S1" in rows.columns:
        ax.barh(y + 0.2, rows["ST"], height=0.4, color=PALETTE[0], label="total (ST)")
        ax.barh(y - 0.2, rows["S1"], height=0.4, color=PALETTE[1], label="first order (S1)")
        ax.set_xlabel(f"share of the variance of {outcome.replace('_', ' ')}")
        ax.legend(frameon=False, fontsize=8)
    else:
        base = float(rows["baseline"].iloc[0])
        ax.barh(y, rows["at_low"] - base, left=base, color=PALETTE[0], label="parameter at its 10th percentile")
        ax.barh(y, rows["at_high"] - base, left=base, color=PALETTE[1], label="parameter at its 90th percentile")
        ax.axvline(base, color="black", linewidth=0.8)
        ax.set_xlabel(outcome.replace("_", " "))
        ax.legend(frameon=False, fontsize=8, loc="upper center", bbox_to_anchor=(0.5, -0.1), ncol=2)
    ax.set_yticks(y, [p.replace("_", " ") for p in rows["parameter"]])
    ax.set_title(title or f"What moves {outcome.replace('_', ' ')} most")
    return _save(plt, fig, path)


def survival_chart(curves: Mapping[str, tuple[Sequence[float], ...]], path: str | Path, *,
                   title: str = "Time in stage (Kaplan–Meier)", xlabel: str = "months in stage") -> Path:
    """Step curves of the share still in a stage over time, one per label: ``label → (times, survival)``, or
    ``label → (times, survival, lower, upper, censored)`` to shade each curve's confidence band and tick the
    times where spells were censored (still running when measured), as lifelines' plots do."""
    plt, fig, ax = _figure()
    banded = _survival_axes(ax, curves, colours={label: PALETTE[i % len(PALETTE)] for i, label in enumerate(curves)})
    ax.set_xlabel(xlabel)
    ax.set_ylabel("share still in the stage")
    ax.set_title(title)
    handles, labels = ax.get_legend_handles_labels()
    ax.legend(*_band_legend(handles, labels, banded), frameon=False, fontsize=8)
    return _save(plt, fig, path)


def survival_panels(panels: Mapping[str, Mapping[str, tuple[Sequence[float], ...]]], path: str | Path, *,
                    title: str = "Time in stage (Kaplan–Meier)", xlabel: str = "months in stage",
                    columns: int = 4) -> Path:
    """Small multiples: one panel of :func:`survival_chart`'s curves per group (``group → label → curve``), on
    shared axes so the groups compare at a glance, each stage in the same colour in every panel, one legend.
    A group without spells in a stage has no curve for it."""
    import math

    import matplotlib

    matplotlib.use("Agg", force=True)
    import matplotlib.pyplot as plt

    if not panels:
        raise ValueError("no group has a stage history to draw")
    labels = list(dict.fromkeys(label for curves in panels.values() for label in curves))
    colours = {label: PALETTE[i % len(PALETTE)] for i, label in enumerate(labels)}
    cols = min(columns, len(panels))
    rows = math.ceil(len(panels) / cols)
    fig, axes = plt.subplots(rows, cols, figsize=(max(3.3 * cols, 7.5), 2.7 * rows + 0.9), dpi=120, squeeze=False,
                             sharex=True, sharey=True)
    banded = False
    for ax, (group, curves) in zip(axes.flat, panels.items()):
        ax.spines[["top", "right"]].set_visible(False)
        ax.grid(alpha=0.25)
        banded = _survival_axes(ax, curves, colours=colours, band_alpha=0.08, prefix=f"{group}/") or banded
        ax.set_title(group if len(group) <= 34 else group[:33] + "…", fontsize=9)
        ax.set_gid(f"panel-{group}")
        ax.tick_params(labelsize=7)
    for ax in axes.flat[len(panels):]:
        ax.set_visible(False)
    for col in range(cols):  # the lowest panel of each column carries the months
        lowest = axes[(len(panels) - 1 - col) // cols, col] if col < len(panels) else None
        if lowest is not None:
            lowest.xaxis.set_tick_params(labelbottom=True)
            lowest.set_xlabel(xlabel, fontsize=8)
    for ax in axes[:, 0]:
        ax.set_ylabel("share still in the stage", fontsize=8)
    from matplotlib.lines import Line2D

    handles = [Line2D([], [], color=colours[label], linewidth=2) for label in labels]
    handles, names = _band_legend(handles, [label.replace("_", " ") for label in labels], banded)
    fig.suptitle(title, fontsize=11)
    fig.legend(handles, names, loc="lower center", ncol=min(len(names), 5), frameon=False, fontsize=8)
    height = 2.7 * rows + 0.9
    fig.tight_layout(rect=(0, 0.55 / height, 1, 1 - 0.35 / height))
    path = Path(path)
    if path.suffix.lower() not in (".png", ".svg"):
        plt.close(fig)
        raise ValueError(f"{path.name}: charts are written as .png or .svg")
    fig.savefig(path, format=path.suffix.lower().lstrip("."))
    plt.close(fig)
    return path


def _survival_axes(ax, curves: Mapping[str, tuple[Sequence[float], ...]], *, colours: Mapping[str, str],
                   band_alpha: float = 0.15, prefix: str = "") -> bool:
    """Draw the step curves (with bands and censoring ticks when given) on ``ax``, their SVG ids ``band-`` and
    ``censored-`` + ``prefix`` + label; True when a band was drawn."""
    banded = False
    for label, curve in curves.items():
        times, survival = np.asarray(curve[0], float), np.asarray(curve[1], float)
        colour = colours[label]
        ax.step(times, survival, where="post", color=colour, linewidth=2, label=label.replace("_", " "))
        if len(curve) >= 5:
            lower, upper, censored = (np.asarray(c, float) for c in curve[2:5])
            ax.fill_between(times, lower, upper, step="post", color=colour, alpha=band_alpha, linewidth=0,
                            gid=f"band-{prefix}{label}")
            banded = True
            if len(censored):
                # the curve's height at each censored time: the step in force just after it
                at = survival[np.clip(np.searchsorted(times, censored, side="right") - 1, 0, len(times) - 1)]
                ax.plot(censored, at, linestyle="none", marker="|", markersize=9, markeredgewidth=1.5,
                        color=colour, gid=f"censored-{prefix}{label}")
    ax.axhline(0.5, color="grey", linewidth=0.8, linestyle="--")
    ax.set_ylim(0, 1.02)
    return banded


def _band_legend(handles: list, labels: list, banded: bool) -> tuple[list, list]:
    if banded:
        from matplotlib.lines import Line2D
        from matplotlib.patches import Patch

        handles = [*handles, Patch(color="grey", alpha=0.25, linewidth=0),
                   Line2D([], [], linestyle="none", marker="|", markersize=9, markeredgewidth=1.5, color="grey")]
        labels = [*labels, "95% band (Greenwood)", "censored (still in the stage)"]
    return handles, labels


def network_chart(x: Sequence[float], y: Sequence[float], colours: Sequence[str], ties: np.ndarray,
                  out: str | Path | BinaryIO, *, sizes: Sequence[float] | None = None,
                  labels: Mapping[int, str] | None = None, legend: Sequence[tuple[str, str]] = (),
                  muted: Sequence[bool] | None = None, title: str = "", width: float = 11.0,
                  height: float = 7.5, dpi: int = 100) -> str | Path | BinaryIO:
    """A network drawn at given positions: ties rasterised with numpy (:func:`tie_raster`: one translucent
    line each, darker where ties crowd), actors as one scatter, so 20,000 actors and 200,000 ties take two
    drawing calls (both embedded images in an SVG); the ``labels`` (row → text) beside their actors without
    overlapping each other, and a legend of ``(label, colour)`` pairs.

    ``ties`` holds (source, target) row indices; ``muted`` actors (and ties between two of them) are drawn
    pale, for a picture of one hub within the whole network. ``out`` is a .png or .svg path, or a binary file
    (PNG is written to it).

    >>> import io
    >>> buf = network_chart([0, 1, 0.5], [0, 0, 1], ["#0072B2"] * 3, np.array([[0, 1], [1, 2]]), io.BytesIO(),
    ...                     labels={2: "Clínic"}, legend=[("Hospital", "#0072B2")])
    >>> buf.getvalue()[:4]
    b'\\x89PNG'
    """
    from matplotlib.lines import Line2D

    plt, fig, ax = _figure(width, height)
    fig.set_dpi(dpi)
    ax.set_axis_off()
    ax.grid(False)
    xy = np.column_stack([np.asarray(x, float), np.asarray(y, float)])
    n = len(xy)
    ties = np.asarray(ties, dtype=np.int64).reshape(-1, 2)
    faded = np.zeros(n, bool) if muted is None else np.asarray(muted, bool)
    rgba = _rgba(colours)
    rgba[faded] = (0.80, 0.82, 0.86, 0.5)
    if sizes is None:
        s = np.full(n, 18.0 if n < 2000 else 6.0)
    else:
        v = np.asarray(sizes, float)
        top = 36 if n >= 2000 else 110  # a crowd of big discs hides the ties
        s = (3 if n >= 2000 else 10) + top * np.sqrt(v / v.max()) if n and v.max() > 0 else np.full(n, 10.0)
    order = np.argsort(~faded, kind="stable")  # the muted first, the shown on top
    ax.scatter(xy[order, 0], xy[order, 1], s=s[order], c=rgba[order], linewidths=0.3 if n < 2000 else 0,
               edgecolors="white", zorder=2)
    ax.set_rasterization_zorder(3)  # ties and actors are pixels in an SVG too; labels and legend stay text
    ax.margins(0.03)
    ax.set_aspect("equal", adjustable="datalim")
    if title:
        ax.set_title(_wrapped(title, 90), fontsize=11, loc="left")
    if legend:
        handles = [Line2D([], [], linestyle="none", marker="o", markersize=7, markerfacecolor=c,
                          markeredgecolor="white") for _, c in legend]
        ax.legend(handles, [name for name, _ in legend], loc="upper left", bbox_to_anchor=(1.0, 1.0),
                  frameon=False, fontsize=8.5)
    fig.tight_layout()
    ax.apply_aspect()  # the final limits: the ties are rasterised, and the labels placed, where they are drawn
    if len(ties):
        box = ax.get_window_extent()
        w, h = max(int(round(box.width)), 1), max(int(round(box.height)), 1)
        ends = ax.transData.transform(xy) - [box.x0, box.y0]
        pale = faded[ties[:, 0]] & faded[ties[:, 1]]
        # Thin, translucent ties: the picture darkens where ties crowd (hubs) and shows the lone bridges.
        alpha = float(np.clip(25 / np.sqrt(len(ties)), 0.04, 0.45))
        clear = (1 - alpha) ** tie_raster(ends[ties[~pale, 0]], ends[ties[~pale, 1]], w, h)
        if pale.any():
            clear = clear * (1 - alpha / 3) ** tie_raster(ends[ties[pale, 0]], ends[ties[pale, 1]], w, h)
        image = np.empty((h, w, 4))
        image[..., :3] = (0.35, 0.40, 0.48)
        image[..., 3] = 1 - clear  # n translucent lines over a pixel let (1 − alpha)ⁿ of the paper through
        limits = ax.get_xlim(), ax.get_ylim()
        ax.imshow(image, extent=(*limits[0], *limits[1]), origin="lower", interpolation="nearest", aspect="auto",
                  zorder=1)
        ax.set_xlim(*limits[0])
        ax.set_ylim(*limits[1])
    if labels:
        _place_labels(fig, ax, xy, labels)
    return _write(plt, fig, out, tight=False)


def tie_raster(a: np.ndarray, b: np.ndarray, width: int, height: int, *, chunk: int = 4_000_000) -> np.ndarray:
    """How many of the straight lines from ``a[i]`` to ``b[i]`` (pixel coordinates, origin bottom left) cross
    each pixel of a ``height`` × ``width`` grid: each line stepped one pixel at a time along its longer axis
    (the DDA algorithm), so it counts once in each pixel it crosses, vectorised over all lines in chunks of
    about ``chunk`` steps (a million ties take seconds and bounded memory, no Python call per tie).

    >>> tie_raster(np.array([[0.5, 0.5], [0.5, 2.5]]), np.array([[3.5, 0.5], [0.5, 0.5]]), 4, 3)
    array([[2, 1, 1, 1],
           [1, 0, 0, 0],
           [1, 0, 0, 0]])
    >>> int(tie_raster(np.array([[0.1, 0.2]]), np.array([[2.6, 0.9]]), 3, 1).sum())  # three pixels, once each
    3
    """
    a, b = np.asarray(a, float).reshape(-1, 2), np.asarray(b, float).reshape(-1, 2)
    counts = np.zeros(width * height, dtype=np.int64)
    if not len(a):
        return counts.reshape(height, width)
    delta = b - a
    # one step per pixel along the longer axis, capped at the picture's size (a line leaving it is clipped)
    steps = np.clip(np.ceil(np.abs(delta).max(axis=1)).astype(np.int64), 0, 2 * (width + height)) + 1
    ends = np.cumsum(steps)
    start = 0
    while start < len(a):
        stop = int(np.searchsorted(ends, (ends[start - 1] if start else 0) + chunk, side="right"))
        stop = max(stop, start + 1)
        k = steps[start:stop]
        line = np.repeat(np.arange(start, stop), k)
        first = np.repeat(np.cumsum(k) - k, k)
        t = (np.arange(line.size) - first) / np.repeat(np.maximum(k - 1, 1), k)
        px = np.floor(a[line, 0] + delta[line, 0] * t).astype(np.int64)
        py = np.floor(a[line, 1] + delta[line, 1] * t).astype(np.int64)
        pixel = py * width + px
        # a step shorter than a pixel can land where the last one did: count each pixel once per line
        fresh = np.ones(line.size, bool)
        fresh[1:] = (pixel[1:] != pixel[:-1]) | (line[1:] != line[:-1])
        inside = fresh & (px >= 0) & (px < width) & (py >= 0) & (py < height)
        counts += np.bincount(pixel[inside], minlength=width * height)
        start = stop
    return counts.reshape(height, width)


def power_interest_chart(panels: Mapping[str, pd.DataFrame], out: str | Path | BinaryIO, *,
                         quadrants: Mapping[tuple[bool, bool], str], legend: Sequence[tuple[str, str]] = (),
                         columns: int = 4, density_above: int = 1500, panel: float = 3.4,
                         dpi: int = 100) -> str | Path | BinaryIO:
    """Power–interest grids, one panel per group (``panels``: title → frame with ``power``, ``interest``,
    ``colour`` and ``label``, the text to write beside a dot or empty): the cross at 0.5, each quadrant's name
    written faintly in its middle, under the dots (``quadrants`` maps (high power, high interest) to a name), the
    labelled actors named beside their dots. A panel of more than ``density_above`` actors is a density plot (hexagons,
    darker where more actors sit) with only the labelled actors as dots, so it stays readable at 20,000.

    >>> import io
    >>> frame = pd.DataFrame({"power": [0.9, 0.2], "interest": [0.8, 0.3], "colour": ["#0072B2", "#E69F00"],
    ...                       "label": ["Clínic", ""]})
    >>> q = {(True, True): "manage closely", (True, False): "keep satisfied", (False, True): "keep informed",
    ...      (False, False): "monitor"}
    >>> power_interest_chart({"Barcelona": frame}, io.BytesIO(), quadrants=q).getvalue()[:4]
    b'\\x89PNG'
    """
    import math

    import matplotlib

    matplotlib.use("Agg", force=True)
    import matplotlib.patheffects as pe
    import matplotlib.pyplot as plt
    from matplotlib.colors import LinearSegmentedColormap
    from matplotlib.lines import Line2D

    # pale to slate: the crowd stays a background for the labelled actors' coloured dots
    density = LinearSegmentedColormap.from_list("density", ["#e6e9ef", "#5b6472"])
    if not panels:
        raise ValueError("no actors to place on the power–interest grid")
    cols = min(columns, len(panels))
    rows = math.ceil(len(panels) / cols)
    across = max(2, min(6, int(panel * cols / 1.9)))  # legend entries in a row that fit the width
    extra = 0.5 + 0.22 * math.ceil((len(legend) + 1) / across) if legend else 0.5
    fig, axes = plt.subplots(rows, cols, figsize=(panel * cols, panel * rows + extra), dpi=dpi, squeeze=False)
    placing, dense = [], False
    for k, (ax, (name, frame)) in enumerate(zip(axes.flat, panels.items())):
        px, py = frame["power"].to_numpy(float), frame["interest"].to_numpy(float)
        named = frame["label"].fillna("").astype(str).to_numpy()
        ax.set_xlim(-0.04, 1.04)  # room for the dots at 0 and 1 (shares reach both ends)
        ax.set_ylim(-0.04, 1.04)
        ax.set_aspect("equal")
        ax.set_xticks([])
        ax.set_yticks([])
        for side in ax.spines.values():
            side.set_color("#9aa3b2")
        ax.axvline(0.5, color="#c3c9d4", linestyle="--", linewidth=0.9, zorder=0)
        ax.axhline(0.5, color="#c3c9d4", linestyle="--", linewidth=0.9, zorder=0)
        # each quadrant's name in its middle, faint and under the dots: it never hides an actor in a corner
        for (high_power, high_interest), text in quadrants.items():
            ax.text(0.75 if high_power else 0.25, 0.75 if high_interest else 0.25, text, ha="center", va="center",
                    fontsize=min(7.5 * panel / 2.8, 13), color="#4b5563", alpha=0.6, style="italic",
                    fontweight="bold", zorder=1.5,
                    path_effects=[pe.withStroke(linewidth=3, foreground="white", alpha=0.7)])
        shown = np.flatnonzero(named != "")
        dense = dense or len(frame) > density_above
        if len(frame) > density_above:
            ax.hexbin(px, py, gridsize=28, extent=(0, 1, 0, 1), cmap=density, mincnt=1, bins="log",
                      linewidths=0, zorder=1, rasterized=True)
            dots = shown
        else:
            dots = np.arange(len(frame))
        ax.scatter(px[dots], py[dots], s=26, c=_rgba(frame["colour"].to_numpy()[dots]), edgecolors="white",
                   linewidths=0.5, zorder=2, rasterized=True)
        title = name if len(name) <= 34 else name[:33] + "…"
        ax.set_title(f"{title} ({len(frame):,})", fontsize=9)
        if k >= len(panels) - cols:  # the lowest panel of each column and the first of each row say the axes
            ax.set_xlabel("power →", fontsize=8)
        if k % cols == 0:
            ax.set_ylabel("interest →", fontsize=8)
        placing.append((ax, np.column_stack([px, py]), {int(i): named[i] for i in shown}))
    for ax in axes.flat[len(panels):]:
        ax.set_visible(False)
    if legend or dense:
        handles = [Line2D([], [], linestyle="none", marker="o", markersize=6, markerfacecolor=c,
                          markeredgecolor="white") for _, c in legend]
        names = [name for name, _ in legend]
        if dense:  # what the hexagons of a density panel mean
            handles.append(Line2D([], [], linestyle="none", marker="h", markersize=9, markerfacecolor="#8a93a3",
                                  markeredgecolor="white"))
            names.append("actors (darker: more)")
        fig.legend(handles, names, loc="lower center", ncol=min(len(names), across), frameon=False, fontsize=8)
    fig.tight_layout(rect=(0, extra / fig.get_figheight(), 1, 1 - 0.08 / fig.get_figheight()), h_pad=1.6)
    for ax, xy, labels in placing:  # after the layout, so the labels are placed where they will be drawn
        ax.apply_aspect()
        _place_labels(fig, ax, xy, labels, fontsize=7)
    return _write(plt, fig, out, tight=False)


def _rgba(colours: Sequence[str], alpha: float = 1.0) -> np.ndarray:
    """Hex colours as an (n, 4) array (each distinct colour converted once: 20,000 actors have a dozen)."""
    from matplotlib.colors import to_rgba

    colours = np.asarray(colours, dtype=object)
    out = np.zeros((len(colours), 4))
    if len(colours):
        values, inverse = np.unique(colours.astype(str), return_inverse=True)
        out[:] = np.array([to_rgba(v, alpha) for v in values])[inverse.ravel()]
    return out


def _place_labels(fig, ax, xy: np.ndarray, labels: Mapping[int, str], *, fontsize: float = 8,
                  avoid: Sequence = ()) -> None:
    """Write each label beside its point (labels in order of importance: the first gets the best spot), in the
    spot around it that covers the fewest other points among those that overlap no label placed before nor the
    ``avoid`` artists (the quadrants' names) and stay inside the axes; a label with no such spot is left out
    rather than written over another."""
    import matplotlib.patheffects as pe

    renderer = fig.canvas.get_renderer()
    frame = ax.get_window_extent(renderer)
    screen = ax.transData.transform(xy) if len(xy) else np.zeros((0, 2))
    placed = [a.get_window_extent(renderer).expanded(1.05, 1.2) for a in avoid]
    offsets = [(6, 4, "left", "bottom"), (-6, 4, "right", "bottom"), (6, -4, "left", "top"),
               (-6, -4, "right", "top"), (0, 8, "center", "bottom"), (0, -8, "center", "top"),
               (12, 10, "left", "bottom"), (-12, -10, "right", "top"), (12, -10, "left", "top"),
               (-12, 10, "right", "bottom"), (0, -18, "center", "top"), (0, 18, "center", "bottom"),
               (18, -18, "left", "top"), (-18, -18, "right", "top"), (18, 18, "left", "bottom"),
               (-18, 18, "right", "bottom")]
    for row, text in labels.items():
        text = text if len(text) <= 34 else text[:33] + "…"
        best = None
        for dx, dy, ha, va in offsets:
            # a hairline from the label to its point, so a name never seems to belong to a neighbour
            t = ax.annotate(text, xy[row], xytext=(dx, dy), textcoords="offset points", ha=ha, va=va,
                            fontsize=fontsize, color="#1d2330", zorder=4,
                            path_effects=[pe.withStroke(linewidth=2.5, foreground="white")],
                            arrowprops=dict(arrowstyle="-", color="#6b7280", linewidth=0.6, shrinkA=0,
                                            shrinkB=2.5))
            box = t.get_window_extent(renderer).expanded(1.04, 1.1)
            inside = frame.x0 <= box.x0 and box.x1 <= frame.x1 and frame.y0 <= box.y0 and box.y1 <= frame.y1
            if not inside or any(box.overlaps(other) for other in placed):
                t.remove()
                continue
            covered = int(np.count_nonzero((screen[:, 0] >= box.x0) & (screen[:, 0] <= box.x1)
                                           & (screen[:, 1] >= box.y0) & (screen[:, 1] <= box.y1)))
            if best is None or covered < best[0]:
                if best is not None:
                    best[1].remove()
                best = (covered, t, box)
            else:
                t.remove()
            if covered == 0:
                break
        if best is not None:
            placed.append(best[2])


def _write(plt, fig, out: str | Path | BinaryIO, *, tight: bool = True) -> str | Path | BinaryIO:
    """Save ``fig`` to a .png or .svg path, or as PNG to a binary file, at the figure's own resolution, and
    close it."""
    if tight:
        fig.tight_layout()
    if isinstance(out, str | Path):
        path = Path(out)
        if path.suffix.lower() not in (".png", ".svg"):
            plt.close(fig)
            raise ValueError(f"{path.name}: charts are written as .png or .svg")
        fig.savefig(path, format=path.suffix.lower().lstrip("."), dpi=fig.dpi)
    else:
        fig.savefig(out, format="png", dpi=fig.dpi)
    plt.close(fig)
    return out
