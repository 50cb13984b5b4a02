// The stakeholder map: power–interest grid, coverage heat map and priority list, for all hubs or one.
// Up to DENSE actors the grid draws one dot per actor; above, a density plot (actors per cell) with the actors a
// manager must act on first (by priority) drawn as labelled dots, so 20,000 actors stay readable.
"use strict";
(function () {
  const DENSE = 1500, BINS = 20, LABELLED = 12, LABELLED_DENSE = 25;
  // Mendelow's quadrants, named where they are: power up, interest right
  const QUADRANTS = [
    { name: "Keep satisfied", x: 0.01, y: 0.99, align: "left", baseline: "top" },
    { name: "Manage closely", x: 0.99, y: 0.99, align: "right", baseline: "top" },
    { name: "Monitor", x: 0.01, y: 0.01, align: "left", baseline: "bottom" },
    { name: "Keep informed", x: 0.99, y: 0.01, align: "right", baseline: "bottom" }];
  const COMPONENTS = { power_authority: "Power: authority", power_resources: "Power: resources",
                       power_position: "Power: network position" };
  const two = (v) => (typeof v === "number" ? v.toFixed(2) : Ecotone.format(v));
  const sentence = (text) => (text ? text.charAt(0).toUpperCase() + text.slice(1) : "");

  const PARTS = { authority: "authority (by role)", resources: "resources (funding, size)", position: "network position" };

  // The weights the analysis gives power ({component: weight}, or a sentence), and the authority of each role.
  function weightsNote(data) {
    const w = data.weights ?? (data.summary || {}).weights;
    if (!w) return null;
    if (typeof w === "string") return w;
    let text = "Power = " + Object.entries(w).map(([k, v]) => `${Ecotone.format(v)} × ${PARTS[k] || Ecotone.label(k).toLowerCase()}`).join(" + ") + ".";
    if (data.authority) {
      const byValue = new Map();
      for (const [type, v] of Object.entries(data.authority)) byValue.set(v, [...(byValue.get(v) || []), Ecotone.label(type)]);
      text += " Authority by role: " + [...byValue].sort((a, b) => b[0] - a[0]).map(([v, types]) => `${types.join(", ")} ${Ecotone.format(v)}`).join("; ") + ".";
    }
    return text;
  }

  const quadrantLayers = () => [
    { data: { values: [{ x: 0.5, x2: 1, y: 0.5, y2: 1 }] }, mark: { type: "rect", color: "#0072B2", opacity: 0.06, aria: false },
      encoding: { x: { field: "x", type: "quantitative" }, x2: { field: "x2" }, y: { field: "y", type: "quantitative" }, y2: { field: "y2" } } },
    { mark: { type: "rule", strokeDash: [4, 4], color: "#888", aria: false }, encoding: { x: { datum: 0.5 } } },
    { mark: { type: "rule", strokeDash: [4, 4], color: "#888", aria: false }, encoding: { y: { datum: 0.5 } } },
    ...QUADRANTS.map((q, n) => ({ name: `quadrant_${n}`, data: { values: [q] },
      mark: { type: "text", fontSize: 14, fontWeight: "bold", color: "#4b5563", opacity: 0.85, align: q.align, baseline: q.baseline },
      encoding: { x: { field: "x", type: "quantitative" }, y: { field: "y", type: "quantitative" }, text: { field: "name" } } }))];

  const axes = {
    // five ticks a side: the quadrant lines sit at 0.5, and a narrow grid does not crowd its axis
    x: { field: "interest", type: "quantitative", scale: { domain: [0, 1] }, axis: { tickCount: 5, format: ".1f", labelOverlap: true },
         title: "Interest (ties and programmes, ranked 0–1)" },
    y: { field: "power", type: "quantitative", scale: { domain: [0, 1] }, axis: { tickCount: 5, format: ".1f" },
         title: "Power (authority, resources, position)" } };
  const tooltip = [{ field: "name", title: "Actor" }, { field: "type", title: "Type" }, { field: "where", title: "Hub or group" },
                   { field: "quadrant", title: "Quadrant" }, { field: "priority", title: "Priority", format: ".2f" },
                   { field: "power", title: "Power", format: ".2f" }, { field: "interest", title: "Interest", format: ".2f" }];

  // Which of the ranked actors get their name written, and where: greedily, in priority order, beside the dot if
  // the name (about 6.8 px a letter) fits there, else further out with a leader line, never over another name,
  // another named dot or the plot's edge.
  const RADII = [8, 30, 55, 85, 120], ANGLES = [0, 180, 30, -30, 150, 210, 60, -60, 120, 240, 90, 270];
  function placeLabels(ranked, width, height) {
    const dotsAt = ranked.map((r) => ({ x: r.interest * width, y: (1 - r.power) * height }));
    const boxes = dotsAt.map((d) => ({ x1: d.x - 5, y1: d.y - 5, x2: d.x + 5, y2: d.y + 5 }));
    for (const q of QUADRANTS) {  // the quadrants' names stay readable
      const w = 9 * q.name.length, x1 = q.align === "left" ? q.x * width : q.x * width - w;
      const y1 = q.baseline === "top" ? (1 - q.y) * height : (1 - q.y) * height - 20;
      boxes.push({ x1, y1, x2: x1 + w, y2: y1 + 20 });
    }
    const overlaps = (b) => boxes.some((o) => b.x1 < o.x2 && b.x2 > o.x1 && b.y1 < o.y2 && b.y2 > o.y1);
    const placed = [];
    ranked.forEach((r, n) => {
      const text = r.name.length > 30 ? r.name.slice(0, 29) + "…" : r.name;
      const w = 6.8 * text.length + 4, h = 16, { x: px, y: py } = dotsAt[n];
      for (const radius of RADII) {
        for (const angle of ANGLES) {
          const cos = Math.cos(angle * Math.PI / 180), sin = Math.sin(angle * Math.PI / 180);
          const ax = px + radius * cos, ay = py - radius * sin;
          const align = Math.abs(cos) < 0.3 ? "center" : cos > 0 ? "left" : "right";
          const x1 = align === "left" ? ax : align === "right" ? ax - w : ax - w / 2;
          const b = { x1, y1: ay - h / 2, x2: x1 + w, y2: ay + h / 2 };
          if (b.x1 < 0 || b.x2 > width || b.y1 < 0 || b.y2 > height || overlaps(b)) continue;
          boxes.push(b);
          placed.push({ ...r, short: text, align, lx: ax / width, ly: 1 - ay / height, leader: radius > RADII[0] });
          return;
        }
      }
    });
    return placed;
  }

  function dots(rows, colour, named) {
    const layers = [];
    const led = named.filter((r) => r.leader);
    if (led.length) layers.push({ name: "leaders", data: { values: led }, mark: { type: "rule", color: "#6b7280", strokeWidth: 0.8, aria: false },
      encoding: { x: { field: "interest", type: "quantitative" }, y: { field: "power", type: "quantitative" }, x2: { field: "lx" }, y2: { field: "ly" } } });
    layers.push({ name: "actors", data: { values: rows }, mark: { type: "point", filled: true, opacity: 0.8, stroke: "#1d2330", strokeWidth: 0.4 },
      encoding: { ...axes, color: { field: "type", type: "nominal", title: "Type", scale: colour },
                  size: { field: "priority", type: "quantitative", legend: null, scale: { range: [30, 260] } },
                  href: { field: "link" }, tooltip } });
    // one text layer per alignment (align is the mark's, not a channel)
    for (const align of ["left", "right", "center"]) {
      const these = named.filter((r) => r.align === align);
      if (these.length) layers.push({ name: `names_${align}`, data: { values: these },
        mark: { type: "text", align, baseline: "middle", fontSize: 11, color: "#1d2330" },
        encoding: { x: { field: "lx", type: "quantitative" }, y: { field: "ly", type: "quantitative" }, text: { field: "short" }, href: { field: "link" },
                    tooltip: [{ field: "name", title: "Actor" }, { field: "type", title: "Type" }] } });
    }
    return layers;
  }

  function density(rows) {
    const counts = new Map();
    for (const r of rows) {
      const bx = Math.min(BINS - 1, Math.max(0, Math.floor(r.interest * BINS)));
      const by = Math.min(BINS - 1, Math.max(0, Math.floor(r.power * BINS)));
      const key = by * BINS + bx;
      counts.set(key, (counts.get(key) || 0) + 1);
    }
    const cells = [...counts].map(([key, n]) => {
      const bx = key % BINS, by = Math.floor(key / BINS);
      return { x: bx / BINS, x2: (bx + 1) / BINS, y: by / BINS, y2: (by + 1) / BINS, actors: n };
    });
    return { name: "density", data: { values: cells }, mark: { type: "rect", opacity: 0.9 },
      encoding: { x: { ...axes.x, field: "x" }, x2: { field: "x2" }, y: { ...axes.y, field: "y" }, y2: { field: "y2" },
                  color: { field: "actors", type: "quantitative", title: "Actors per cell", scale: { scheme: "greys", type: "sqrt" } },
                  tooltip: [{ field: "actors", title: "Actors" }] } };
  }

  function drawGrid(data) {
    const rows = data.grid.map((r) => ({ ...r, type: Ecotone.label(r.type), quadrant: sentence(r.quadrant), where: r.hub ?? r.group,
                                          link: `/actors/${r.id}` }));
    const ranked = [...rows].sort((a, b) => b.priority - a.priority);
    const dense = rows.length > DENSE;
    const top = ranked.slice(0, dense ? LABELLED_DENSE : LABELLED);
    const el = document.getElementById("grid-chart");
    const width = Math.max(240, el.clientWidth - 230), height = 440;  // the legend and axes take the rest
    const named = placeLabels(top, width, height);
    const colour = Ecotone.scale("type", { values: (dense ? top : rows).map((r) => r.type), words: true });
    const layer = dense ? [density(rows), ...quadrantLayers(), ...dots(top, colour, named)]
      : [...quadrantLayers(), ...dots(rows, colour, named)];
    window.ecotoneStakeholders = { mode: dense ? "density" : "points", actors: rows.length, drawn: dense ? top.length : rows.length,
                                   labelled: named.map((r) => r.name) };
    document.getElementById("grid-mode").textContent = dense
      ? `${rows.length.toLocaleString()} actors: each cell shaded by how many sit in it; the ${top.length} with the highest priority drawn as dots, ${named.length} named.`
      : `${rows.length.toLocaleString()} actors; ${named.length} of those with the highest priority named (hover a dot for any other).`;
    return Ecotone.chart(el, { width, height, autosize: { type: "pad" }, layer, resolve: { scale: { color: "independent" } } });
  }

  function drawCoverage(data) {
    const order = Ecotone.colours && Object.keys(Ecotone.colours.type).length ? Object.keys(Ecotone.colours.type) : null;
    const cells = data.coverage.flatMap((r) => Object.entries(r).filter(([k, v]) => typeof v === "number" && k !== "total")
      .map(([k, v]) => ({ hub: r.hub, type: Ecotone.label(k), n: v })));
    return Ecotone.chart("heatmap", { data: { values: cells }, mark: "rect", height: { step: 18 },
      encoding: { y: { field: "hub", type: "nominal", title: null },
                  x: { field: "type", type: "nominal", title: null, axis: { labelAngle: -40 }, sort: order ? order.map(Ecotone.label) : null },
                  color: { field: "n", type: "quantitative", scale: { scheme: "blues" }, title: "Actors" },
                  tooltip: [{ field: "hub", title: "Hub" }, { field: "type", title: "Type" }, { field: "n", title: "Actors" }] } });
  }

  function drawPriority(data) {
    const rows = [...data.grid].sort((a, b) => b.priority - a.priority).slice(0, 40);
    const parts = Object.keys(COMPONENTS).filter((c) => rows.some((r) => r[c] !== undefined && r[c] !== null));
    const byGroup = data.grouping && data.grouping !== "hub" && rows.some((r) => r.group !== undefined);
    const columns = ["name", "type", byGroup ? "group" : "hub", "quadrant", "priority", "power", ...parts, "interest", "needs"];
    if (rows.some((r) => r.reasons)) columns.push("reasons");
    const formats = { quadrant: (v) => sentence(v), priority: two, power: two, interest: two };
    for (const c of parts) formats[c] = two;
    Ecotone.table("priority", rows, { columns, headers: { ...COMPONENTS, group: Ecotone.label(data.grouping || "group") }, formats,
                                      links: { name: (r) => `/actors/${r.id}` } });
    const note = [data.note, weightsNote(data)].filter(Boolean).join(" ");
    const box = document.getElementById("weights");
    box.textContent = note;
    box.hidden = !note;
  }

  async function loadStakeholders() {
    const focus = document.getElementById("focus").value;
    const data = await Ecotone.api(`/api/v1/analysis/stakeholders${focus ? `?focus=${encodeURIComponent(focus)}` : ""}`);
    if (!data) return;
    drawPriority(data);
    await Promise.all([drawGrid(data), drawCoverage(data)]);
  }
  document.addEventListener("DOMContentLoaded", () => {
    document.getElementById("focus").addEventListener("change", loadStakeholders);
    loadStakeholders();
  });
})();
