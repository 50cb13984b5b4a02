// The ecosystem map: sigma.js over a graphology graph, ForceAtlas2 in a web worker (Gephi Lite's stack).
"use strict";
(function () {
  const { Graph, Sigma, FA2Layout, forceAtlas2 } = window.EcotoneGraph;
  const $ = (id) => document.getElementById(id);
  const state = { graph: null, sigma: null, layout: null, data: null, selected: null, hovered: null,
                  neighbours: new Set(), colours: {} };
  window.ecotoneMap = { ready: false };

  function query() {
    const params = new URLSearchParams();
    for (const id of ["hub", "type", "kind"]) if ($(id).value) params.append(id, $(id).value);
    return params;
  }

  function colourOf(attribute, value) {
    const table = state.colours[attribute] || (state.colours[attribute] = {});
    if (!(value in table)) table[value] = Ecotone.palette[Object.keys(table).length % Ecotone.palette.length];
    return table[value];
  }

  function build(data) {
    const g = new Graph({ type: "undirected", multi: false });
    const n = data.nodes, e = data.edges, hubs = {};
    n.id.forEach((id, i) => {
      const hub = n.hub[i] || "(none)";
      if (!(hub in hubs)) hubs[hub] = Object.keys(hubs).length;
      const angle = 2 * Math.PI * hubs[hub] / 13 + Math.random() * 0.6;
      const radius = 10 + Math.random() * 4;
      // sigma reads `type` as the drawing program's name, so the stakeholder type is kept as `stakeholder`
      g.addNode(String(id), { label: n.label[i], stakeholder: n.type[i], hub, helix: n.helix[i],
        country: n.country[i], stage: n.stage[i], community: n.community[i], degree: n.degree[i],
        strength: n.strength[i], coreness: n.coreness[i], pagerank: n.pagerank[i], x: radius * Math.cos(angle) + Math.random(), y: radius * Math.sin(angle) + Math.random() });
    });
    e.source.forEach((s, i) => {
      const a = String(s), b = String(e.target[i]);
      if (a === b || g.hasEdge(a, b)) return;
      g.addEdge(a, b, { kind: e.kind[i], start: e.start[i], size: 0.5 + Math.min(2, (e.weight[i] || 1) / 2), color: "#c7ccd1" });
    });
    return g;
  }

  function reducers() {
    const year = Number($("year").value), ego = $("ego").checked;
    return {
      nodeReducer: (node, attrs) => {
        const out = { ...attrs };
        if (ego && state.selected && node !== state.selected && !state.neighbours.has(node)) out.hidden = true;
        if (node === state.selected || node === state.hovered) { out.highlighted = true; out.zIndex = 2; }
        return out;
      },
      edgeReducer: (edge, attrs) => {
        const out = { ...attrs };
        if (year < 2030 && attrs.start && attrs.start > year) out.hidden = true;
        if (ego && state.selected && !state.graph.hasExtremity(edge, state.selected)) out.hidden = true;
        if (state.selected && state.graph.hasExtremity(edge, state.selected)) { out.color = "#444"; out.zIndex = 1; }
        return out;
      },
    };
  }

  async function select(node) {
    state.selected = node;
    state.neighbours = new Set(node ? state.graph.neighbors(node) : []);
    state.sigma.setSetting("nodeReducer", reducers().nodeReducer);
    state.sigma.setSetting("edgeReducer", reducers().edgeReducer);
    if (!node) { $("card").innerHTML = "<p>Click an actor to see its card.</p>"; return; }
    const card = await Ecotone.api(`/api/v1/organizations/${node}/card`);
    if (!card) return;
    const list = (xs) => xs && xs.length ? `<ul>${xs.map((x) => `<li>${Ecotone.escape(x)}</li>`).join("")}</ul>` : "<p>none recorded</p>";
    $("card").innerHTML = `<h2><a href="/actors/${node}">${Ecotone.escape(card.name)}</a></h2>
      <p>${Ecotone.escape((card.type || "").replaceAll("_", " "))} · ${Ecotone.escape(card.hub || "no hub")} · ${Ecotone.escape(card.country || "")}</p>
      <p>${card.ties} ties, ${state.neighbours.size} partners on this map</p>
      <h3>Innovations</h3>${list(card.innovations)}<h3>Deals</h3>${list(card.deals)}
      <p><a href="/actors/${node}">Open the actor's page</a></p>
      ${card.may_change ? `<nav class="actions" aria-label="Add to this actor">
        <a class="button secondary" href="/records/ties/new?source_id=${node}">Add a tie</a>
        <a class="button secondary" href="/records/people/new?organization_id=${node}">Add a person</a>
        <a class="button secondary" href="/records/innovations/new?organization_id=${node}">Add an innovation</a></nav>` : ""}`;
  }

  function runLayout(seconds) {
    if (state.layout) state.layout.kill();
    const settings = forceAtlas2.inferSettings(state.graph);
    state.layout = new FA2Layout(state.graph, { settings: { ...settings, barnesHutOptimize: state.graph.order > 2000 } });
    state.layout.start();
    $("layout").textContent = "Stop ForceAtlas2";
    setTimeout(() => { if (state.layout && state.layout.isRunning()) stopLayout(); }, seconds * 1000);
  }

  function stopLayout() {
    if (state.layout) state.layout.stop();
    $("layout").textContent = "Run ForceAtlas2";
  }

  function exportPng() {
    const canvases = state.sigma.getCanvases();
    const { width, height } = state.sigma.getDimensions();
    const out = document.createElement("canvas");
    const ratio = window.devicePixelRatio || 1;
    out.width = width * ratio; out.height = height * ratio;
    const ctx = out.getContext("2d");
    ctx.fillStyle = "#fff"; ctx.fillRect(0, 0, out.width, out.height);
    for (const layer of ["edges", "nodes", "edgeLabels", "labels", "hovers", "hoverNodes"]) {
      if (canvases[layer]) ctx.drawImage(canvases[layer], 0, 0, out.width, out.height);
    }
    const link = document.createElement("a");
    link.download = "ecotone-map.png"; link.href = out.toDataURL("image/png"); link.click();
  }

  async function load() {
    const started = performance.now();
    $("map-status").textContent = "Loading the map…";
    const data = await Ecotone.api(`/api/v1/map?${query()}`);
    if (!data) { $("map-status").textContent = "The map could not load."; return; }
    const timings = { fetched: performance.now() - started };
    state.data = data;
    if (state.layout) { state.layout.kill(); state.layout = null; }
    if (state.sigma) { state.sigma.kill(); state.sigma = null; }
    state.graph = build(data);
    timings.built = performance.now() - started;
    recolour();
    resize();
    timings.styled = performance.now() - started;
    state.sigma = new Sigma(state.graph, $("graph"), { labelRenderedSizeThreshold: 9, zIndex: true,
      defaultEdgeType: "line", ...reducers() });
    // sigma draws the graph once, synchronously, as it is created: the picture is up now
    const ms = performance.now() - started;
    Object.assign(window.ecotoneMap, { ready: true, ms, timings: { ...timings, rendered: ms }, nodes: state.graph.order,
                                        edges: state.graph.size, sigma: state.sigma, graph: state.graph, select });
    // the frame that puts the picture on screen, on the browser's clock (0 = the page was requested)
    requestAnimationFrame(() => { window.ecotoneMap.shownSinceNavigation = performance.now(); });
    $("map-status").textContent = `${data.summary.actors.toLocaleString()} actors, ${data.summary.ties.toLocaleString()} ties, ${data.summary.communities} communities · drawn in ${Math.round(ms)} ms`;
    state.sigma.on("enterNode", ({ node }) => { state.hovered = node; state.sigma.refresh(); });
    state.sigma.on("leaveNode", () => { state.hovered = null; state.sigma.refresh(); });
    state.sigma.on("clickNode", ({ node }) => select(node));
    state.sigma.on("clickStage", () => select(null));
    $("actor-names").innerHTML = data.nodes.label.slice(0, 5000).map((l) => `<option value="${Ecotone.escape(l)}">`).join("");
    $("export-gexf").href = `/api/v1/exports/gexf?${query()}`;
    runLayout(state.graph.order > 5000 ? 8 : 4);
  }

  function recolour() {
    const by = $("color-by").value;
    state.colours = {};
    state.graph.forEachNode((n, a) => {
      const value = by === "type" ? a.stakeholder : a[by];
      state.graph.setNodeAttribute(n, "color", colourOf(by, value ?? "(none)"));
    });
    const legend = Object.entries(state.colours[by] || {}).slice(0, 16)
      .map(([k, c]) => `<li><span class="swatch" style="background:${c}"></span>${Ecotone.escape(String(k).replaceAll("_", " "))}</li>`);
    $("legend").innerHTML = `<h2>Colour: ${by}</h2><ul>${legend.join("")}</ul>`;
    if (state.sigma) state.sigma.refresh();
  }

  function resize() {
    const by = $("size-by").value, values = [];
    state.graph.forEachNode((n, a) => values.push(by === "none" ? 1 : a[by] || 0));
    const max = Math.max(1e-9, ...values);
    state.graph.forEachNode((n, a) => {
      const v = by === "none" ? 1 : (a[by] || 0) / max;
      state.graph.setNodeAttribute(n, "size", 3 + 12 * Math.sqrt(v));
    });
    if (state.sigma) state.sigma.refresh();
  }

  function search() {
    const label = $("search").value.trim().toLowerCase();
    if (!label || !state.graph) return;
    const node = state.graph.findNode((n, a) => (a.label || "").toLowerCase() === label) ||
                 state.graph.findNode((n, a) => (a.label || "").toLowerCase().includes(label));
    if (!node) { $("map-status").textContent = `No actor named like “${$("search").value}” on this map.`; return; }
    select(node);
    const pos = state.sigma.getNodeDisplayData(node);
    state.sigma.getCamera().animate({ x: pos.x, y: pos.y, ratio: 0.25 }, { duration: 500 });
  }

  document.addEventListener("DOMContentLoaded", () => {
    for (const id of ["hub", "type", "kind"]) $(id).addEventListener("change", load);
    $("color-by").addEventListener("change", () => recolour());
    $("size-by").addEventListener("change", resize);
    $("year").addEventListener("input", () => {
      $("year-label").textContent = Number($("year").value) >= 2030 ? "any year" : $("year").value;
      state.sigma && state.sigma.setSetting("edgeReducer", reducers().edgeReducer);
    });
    $("ego").addEventListener("change", () => select(state.selected));
    $("search").addEventListener("change", search);
    $("search").addEventListener("keydown", (ev) => { if (ev.key === "Enter") { ev.preventDefault(); search(); } });
    $("layout").addEventListener("click", () => (state.layout && state.layout.isRunning() ? stopLayout() : runLayout(10)));
    $("export-png").addEventListener("click", exportPng);
    load();
  });
})();
