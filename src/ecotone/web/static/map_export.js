// The map's exports: the current view as PNG (@sigma/export-image redraws sigma's WebGL layers on a canvas of its
// own, white behind, the legend beside), as SVG (the visible actors and ties where the screen shows them, with
// their colours, sizes and labels) and as GEXF (the server writes the view's actors and ties, as it lets the
// caller see them, at the browser's positions, colours and sizes).
"use strict";
(function () {
  const $ = (id) => document.getElementById(id);
  const WHITE = "#ffffff", INK = "#1f2933", MUTED = "#5b6670";
  const LEGEND = { width: 280, pad: 16, row: 22, swatch: 12, title: 15, text: 13, max: 30 };
  const FONT = "system-ui, -apple-system, 'Segoe UI', sans-serif";

  const map = () => window.ecotoneMap;
  const ready = () => Boolean(map() && map().ready && map().sigma && map().graph);

  function say(text) {
    const box = $("map-export-status");
    if (box) box.textContent = text;
  }

  function download(blob, name) {
    const url = URL.createObjectURL(blob);
    const link = document.createElement("a");
    link.href = url;
    link.download = name;
    link.hidden = true;
    document.body.appendChild(link);
    link.click();
    link.remove();
    setTimeout(() => URL.revokeObjectURL(url), 10_000);  // the download has its copy by then
  }

  // -- What the view shows -----------------------------------------------------------------------------------------
  // The legend as the page shows it: its title and its items, at most LEGEND.max, then how many more
  function legendOf() {
    const items = typeof map().legend === "function" ? map().legend() : [];
    const heading = document.querySelector("#legend h2");
    const title = heading ? heading.textContent.trim() : "Legend";
    const shown = items.slice(0, LEGEND.max);
    const rest = items.length - shown.length;
    return { title, items: shown, more: rest > 0 ? `and ${rest.toLocaleString()} more` : "" };
  }

  const isHidden = (data) => !data || data.hidden;

  // The nodes and ties sigma draws now (the reducers' hidden ones left out), as sigma's display data
  function visible() {
    const { graph, sigma } = map();
    const nodes = [];
    graph.forEachNode((key) => {
      const data = sigma.getNodeDisplayData(key);
      if (!isHidden(data)) nodes.push([key, data]);
    });
    const shown = new Set(nodes.map(([key]) => key));
    const edges = [];
    graph.forEachEdge((key, attrs, source, target) => {
      if (!shown.has(source) || !shown.has(target)) return;
      const data = sigma.getEdgeDisplayData(key);
      if (!isHidden(data)) edges.push([key, data, source, target]);
    });
    return { nodes, edges };
  }

  // -- PNG ---------------------------------------------------------------------------------------------------------
  function legendHeight(legend) {
    return LEGEND.pad * 2 + LEGEND.title + 10 + LEGEND.row * (legend.items.length + (legend.more ? 1 : 0));
  }

  function drawLegend(ctx, legend, left, scale) {
    const px = (v) => v * scale;
    ctx.save();
    ctx.textBaseline = "middle";
    ctx.fillStyle = INK;
    ctx.font = `600 ${px(LEGEND.title)}px ${FONT}`;
    let y = px(LEGEND.pad + LEGEND.title / 2);
    ctx.fillText(legend.title, left + px(LEGEND.pad), y);
    y += px(LEGEND.title / 2 + 10 + LEGEND.row / 2);
    ctx.font = `${px(LEGEND.text)}px ${FONT}`;
    for (const item of legend.items) {
      ctx.fillStyle = item.colour;
      ctx.fillRect(left + px(LEGEND.pad), y - px(LEGEND.swatch / 2), px(LEGEND.swatch), px(LEGEND.swatch));
      ctx.strokeStyle = "rgba(0,0,0,0.25)";
      ctx.lineWidth = scale;
      ctx.strokeRect(left + px(LEGEND.pad), y - px(LEGEND.swatch / 2), px(LEGEND.swatch), px(LEGEND.swatch));
      ctx.fillStyle = INK;
      const count = item.count !== undefined && item.count !== null ? ` (${Number(item.count).toLocaleString()})` : "";
      ctx.fillText(`${item.label}${count}`, left + px(LEGEND.pad + LEGEND.swatch + 8), y, px(LEGEND.width - LEGEND.pad * 2 - LEGEND.swatch - 8));
      y += px(LEGEND.row);
    }
    if (legend.more) {
      ctx.fillStyle = MUTED;
      ctx.fillText(legend.more, left + px(LEGEND.pad), y);
    }
    ctx.restore();
  }

  // The map as @sigma/export-image draws it (every layer, white behind), the legend in a column on its right
  async function pngBlob() {
    const { sigma } = map();
    const picture = await window.EcotoneGraph.drawOnCanvas(sigma, { backgroundColor: WHITE });
    const legend = legendOf();
    const scale = window.devicePixelRatio || 1;
    const out = document.createElement("canvas");
    out.width = picture.width + Math.round(LEGEND.width * scale);
    out.height = Math.max(picture.height, Math.round(legendHeight(legend) * scale));
    const ctx = out.getContext("2d");
    ctx.fillStyle = WHITE;
    ctx.fillRect(0, 0, out.width, out.height);
    ctx.drawImage(picture, 0, 0);
    ctx.strokeStyle = "#d9dee3";
    ctx.lineWidth = scale;
    ctx.beginPath();
    ctx.moveTo(picture.width + scale / 2, 0);
    ctx.lineTo(picture.width + scale / 2, out.height);
    ctx.stroke();
    drawLegend(ctx, legend, picture.width, scale);
    return new Promise((resolve, reject) => out.toBlob((blob) => (blob ? resolve(blob) : reject(new Error("the browser could not encode the picture"))), "image/png"));
  }

  // -- SVG ---------------------------------------------------------------------------------------------------------
  const XML_UNSAFE = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]/g;
  const xml = (text) => String(text ?? "").replace(XML_UNSAFE, "")
    .replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&apos;" }[c]));
  const num = (v) => (Number.isFinite(v) ? Math.round(v * 100) / 100 : 0);

  function svgText() {
    const { sigma } = map();
    const { width, height } = sigma.getDimensions();
    const { nodes, edges } = visible();
    const legend = legendOf();
    const total = width + LEGEND.width, tall = Math.max(height, legendHeight(legend));
    const at = new Map(nodes.map(([key, data]) => [key, sigma.framedGraphToViewport(data)]));
    const thin = sigma.getSetting("defaultEdgeType") === "line";
    const labelSize = sigma.getSetting("labelSize") || 14;
    const labelColour = (sigma.getSetting("labelColor") || {}).color || "#000";
    const labelled = new Set(sigma.getNodeDisplayedLabels());
    const out = [`<?xml version="1.0" encoding="UTF-8"?>`,
      `<svg xmlns="http://www.w3.org/2000/svg" width="${total}" height="${tall}" viewBox="0 0 ${total} ${tall}" font-family="${xml(FONT)}">`,
      `<title>${xml(document.title || "Ecotone map")}</title>`,
      `<rect x="0" y="0" width="${total}" height="${tall}" fill="${WHITE}"/>`,
      `<svg x="0" y="0" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" overflow="hidden">`,
      `<g class="edges" fill="none" stroke-linecap="round">`];
    for (const [, data, source, target] of edges) {
      const a = at.get(source), b = at.get(target);
      const stroke = thin ? 1 : Math.max(0.5, sigma.scaleSize(data.size || 1));
      out.push(`<line x1="${num(a.x)}" y1="${num(a.y)}" x2="${num(b.x)}" y2="${num(b.y)}" stroke="${xml(data.color)}" stroke-width="${num(stroke)}"/>`);
    }
    out.push(`</g>`, `<g class="nodes">`);
    for (const [key, data] of nodes) {
      const p = at.get(key);
      out.push(`<circle cx="${num(p.x)}" cy="${num(p.y)}" r="${num(sigma.scaleSize(data.size))}" fill="${xml(data.color)}" data-key="${xml(key)}"><title>${xml(data.label)}</title></circle>`);
    }
    out.push(`</g>`, `<g class="labels" font-size="${labelSize}" fill="${xml(labelColour)}">`);
    for (const [key, data] of nodes) {
      if (!data.label || !(labelled.has(key) || data.forceLabel || data.highlighted)) continue;
      const p = at.get(key), r = sigma.scaleSize(data.size);
      out.push(`<text x="${num(p.x + r + 3)}" y="${num(p.y + labelSize / 3)}">${xml(data.label)}</text>`);
    }
    out.push(`</g>`, `</svg>`);
    // the legend: squares, so that the map's circles are its nodes alone
    out.push(`<g class="legend" transform="translate(${width} 0)">`,
      `<line x1="0.5" y1="0" x2="0.5" y2="${tall}" stroke="#d9dee3"/>`,
      `<text x="${LEGEND.pad}" y="${LEGEND.pad + LEGEND.title * 0.8}" font-size="${LEGEND.title}" font-weight="600" fill="${INK}">${xml(legend.title)}</text>`);
    let y = LEGEND.pad + LEGEND.title + 10 + LEGEND.row / 2;
    for (const item of legend.items) {
      const count = item.count !== undefined && item.count !== null ? ` (${Number(item.count).toLocaleString()})` : "";
      out.push(`<rect x="${LEGEND.pad}" y="${num(y - LEGEND.swatch / 2)}" width="${LEGEND.swatch}" height="${LEGEND.swatch}" fill="${xml(item.colour)}" stroke="rgba(0,0,0,0.25)"/>`,
        `<text x="${LEGEND.pad + LEGEND.swatch + 8}" y="${num(y + LEGEND.text / 3)}" font-size="${LEGEND.text}" fill="${INK}">${xml(item.label + count)}</text>`);
      y += LEGEND.row;
    }
    if (legend.more) out.push(`<text x="${LEGEND.pad}" y="${num(y + LEGEND.text / 3)}" font-size="${LEGEND.text}" fill="${MUTED}">${xml(legend.more)}</text>`);
    out.push(`</g>`, `</svg>`, "");
    return out.join("\n");
  }

  // -- GEXF --------------------------------------------------------------------------------------------------------
  // A colour as #rrggbb (sigma takes any CSS colour; the file takes hex)
  const probe = document.createElement("canvas").getContext("2d");
  function hex(colour) {
    if (/^#[0-9a-f]{6}$/i.test(colour || "")) return colour;
    probe.fillStyle = "#000000";
    probe.fillStyle = colour || "#000000";
    const value = probe.fillStyle;  // the browser's own reading: #rrggbb, or rgba(…) with transparency
    if (/^#[0-9a-f]{6}$/i.test(value)) return value;
    const parts = value.match(/[\d.]+/g) || [0, 0, 0];
    return "#" + parts.slice(0, 3).map((v) => Math.round(Number(v)).toString(16).padStart(2, "0")).join("");
  }

  // positions to seven significant digits, sizes to four: what the screen can show, in few bytes a node
  const precise = (v, digits = 7) => Number(Number(v).toPrecision(digits));

  // What the server needs of the view: its filters (as the map asked the server for them) and its visible nodes
  function viewBody() {
    const m = map(), state = m.state || {}, { graph } = m;
    const level = m.level === "hubs" ? "hubs" : "actors";
    const slider = $("year");
    const anyYear = slider && slider.max ? Number(slider.max) : Infinity;
    const year = Number(state.year);
    const list = (v) => (v === null || v === undefined || v === "" ? [] : [String(v)]);
    const nodes = { id: [], x: [], y: [], size: [], color: [] };
    for (const [key, data] of visible().nodes) {
      const attrs = graph.getNodeAttributes(key);
      nodes.id.push(key === "none" ? null : Number(key));
      nodes.x.push(precise(attrs.x));
      nodes.y.push(precise(attrs.y));
      nodes.size.push(precise(data.size, 4));
      nodes.color.push(hex(data.color));
    }
    const selected = state.selected === null || state.selected === undefined || state.selected === "none" ? null : Number(state.selected);
    return {
      level, hub: list(state.hub),
      // "keep their neighbours": the map asked for every type and kept the type's actors and their partners
      type: state.neighbours ? [] : list(state.type), kind: list(state.kind),
      year: Number.isFinite(year) && year < anyYear ? year : null,
      ego: Boolean(state.ego && selected !== null), selected,
      colour: level === "hubs" ? "hub" : state.colour || null, size: level === "hubs" ? "actors" : state.size || null, nodes,
    };
  }

  async function gexfBlob() {
    const response = await Ecotone.api("/api/v1/exports/gexf", {
      method: "POST", headers: { "content-type": "application/json", accept: "application/xml, application/problem+json" },
      body: JSON.stringify(viewBody()), raw: true,
    });
    if (!response) return null;  // the server did not answer: Ecotone.api said so
    if (!response.ok) {
      let problem;
      try { problem = await response.json(); } catch (err) { problem = { title: `Error ${response.status}`, detail: await response.text() }; }
      if (Ecotone.showProblems) Ecotone.showProblems(problem);
      throw new Error([problem.title, problem.detail].filter(Boolean).join(": "));
    }
    return response.blob();
  }

  // -- The buttons ---------------------------------------------------------------------------------------------------
  const EXPORTS = {
    png: { name: "ecotone-map.png", make: pngBlob, what: "PNG picture" },
    svg: { name: "ecotone-map.svg", make: async () => new Blob([svgText()], { type: "image/svg+xml" }), what: "SVG drawing" },
    gexf: { name: "ecotone-map.gexf", make: gexfBlob, what: "GEXF file" },
  };

  async function run(kind, button) {
    if (!ready()) { say("The map is still loading: export it once it is drawn."); return; }
    const job = EXPORTS[kind];
    button.disabled = true;
    say(`Preparing the ${job.what}…`);
    try {
      const blob = await job.make();
      if (!blob) { say(`The ${job.what} could not be made: the message above says why.`); return; }
      download(blob, job.name);
      say(`${job.name} is downloaded.`);
      map().lastExport = { kind, bytes: blob.size };
    } catch (err) {
      say(`The ${job.what} could not be made: ${err.message || err}`);
    } finally {
      button.disabled = false;
    }
  }

  // After map.js has set the page up (its DOMContentLoaded listener runs first): the slot's buttons become ours
  document.addEventListener("DOMContentLoaded", () => {
    const slot = $("map-exports");
    if (!slot) return;
    slot.innerHTML = `<button type="button" id="export-png" class="secondary" title="A picture of the map as it is on screen, with its legend">Export PNG</button>
      <button type="button" id="export-svg" class="secondary" title="A drawing of the visible actors and ties, with labels and legend">Export SVG</button>
      <button type="button" id="export-gexf" class="secondary" title="The visible actors and ties for Gephi, at their positions, colours and sizes">Export GEXF</button>
      <p id="map-export-status" class="muted" aria-live="polite"></p>`;
    for (const kind of Object.keys(EXPORTS)) {
      const button = $(`export-${kind}`);
      button.addEventListener("click", () => run(kind, button));
    }
  });

  window.ecotoneMapExport = { pngBlob, svgText, viewBody, gexfBlob };
})();
