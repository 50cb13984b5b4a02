// The ecosystem map: sigma.js over a graphology graph laid out on the server (Gephi Lite's stack), explored like
// Gephi Lite: search, camera buttons, drag and pin, a data table, a legend, ego views, ForceAtlas2 on demand, and
// the whole view in the page's address, so that a copied link opens the same view.
"use strict";
(function () {
  const { Graph, Sigma, FA2Layout, forceAtlas2, EdgeLineProgram } = window.EcotoneGraph;
  const $ = (id) => document.getElementById(id);
  const ANY_YEAR = 2030;            // the year slider's end: ties of any year
  const NONE_COLOUR = "#9aa3b2";
  // solid colours: sigma's WebGL layers composite a translucent tie as nearly white, so it vanishes
  const EDGE_COLOUR = "#c7ccd1", EDGE_FAINT = "#dadee2", EDGE_SELECTED = "#27323d";
  const COLOURS = ["type", "helix", "hub", "community", "country"];
  const SIZES = ["degree", "strength", "pagerank", "coreness", "none"];
  const LEVELS = ["", "auto", "actors", "hubs"];
  const PREVIEW_TIES = 50000;       // above this many ties the actors are drawn first, their ties a frame later

  // What the address holds (C3): the view as someone would share it
  const state = { hub: "", type: "", kind: "", level: "", year: ANY_YEAR, colour: "type", size: "degree", ego: false,
                  neighbours: false, selected: null, camera: { x: 0.5, y: 0.5, ratio: 1, angle: 0 } };
  // What the page derives from it: the graph, the renderer and the small sets the reducers consult
  const view = { graph: null, sigma: null, layout: null, data: null, level: "actors", table: null, legend: [],
                 selectedEdges: new Set(), focus: new Set(), hoverEdges: new Set(), ego: null, yearLimit: Infinity,
                 byYear: null, dragged: null, dragMoved: false, resumeLayout: false, restoring: null, loadCount: 0 };
  const listeners = { loaded: [], selected: [], changed: [] };

  function emit(event, detail) {
    for (const fn of listeners[event] || []) {
      try { fn(detail); } catch (err) { console.error(err); }  // one listener's mistake must not stop the map
    }
  }

  // -- Words and colours: the shared vocabulary (Ecotone.label, Ecotone.colour) when the page has it ---------------
  const words = (value) => {
    if (value === null || value === undefined || value === "") return "";
    if (Ecotone.label) return Ecotone.label(value);
    const text = String(value).replaceAll("_", " ");
    return text.charAt(0).toUpperCase() + text.slice(1);
  };

  function colourFor(attribute, value) {
    if (value === null || value === undefined || value === "") return Ecotone.colour ? Ecotone.colour(attribute, null) : NONE_COLOUR;
    if (Ecotone.colour) return Ecotone.colour(attribute, value);
    let h = 0x811c9dc5;  // the same value, the same colour, until the shared tables arrive
    for (const ch of String(value)) h = Math.imul(h ^ ch.charCodeAt(0), 0x01000193) >>> 0;
    return Ecotone.palette[h % Ecotone.palette.length];
  }

  // The attribute a colour choice reads (sigma takes `type` for its drawing program: the stakeholder type is kept
  // as `stakeholder`); a hub summary is coloured by hub, whatever was chosen for actors
  const colourAttribute = () => (view.level === "hubs" ? "hub" : state.colour);
  const valueOf = (attrs, by) => {
    if (view.level === "hubs") return attrs.hub_id === null || attrs.hub_id === undefined ? null : attrs.hub ?? attrs.label;
    return by === "type" ? attrs.stakeholder : attrs[by];
  };

  // -- The address -------------------------------------------------------------------------------------------------
  const round = (v, digits) => Number(Number(v).toFixed(digits));

  function viewQuery() {
    const p = new URLSearchParams();
    for (const key of ["hub", "type", "kind", "level"]) if (state[key]) p.set(key, state[key]);
    if (state.year < ANY_YEAR) p.set("year", String(state.year));
    p.set("colour", state.colour);
    p.set("size", state.size);
    if (state.ego) p.set("ego", "1");
    if (state.neighbours) p.set("neighbours", "1");
    if (state.selected !== null) p.set("selected", state.selected);
    const c = state.camera;
    p.set("x", String(round(c.x, 4)));
    p.set("y", String(round(c.y, 4)));
    p.set("ratio", String(round(c.ratio, 4)));
    if (Math.abs(c.angle) > 1e-6) p.set("angle", String(round(c.angle, 4)));
    return p.toString();
  }

  function readQuery(search) {
    const p = new URLSearchParams(search);
    const number = (key, fallback) => { const v = Number(p.get(key)); return p.has(key) && Number.isFinite(v) ? v : fallback; };
    state.hub = p.get("hub") || "";
    state.type = p.get("type") || "";
    state.kind = p.get("kind") || "";
    state.level = LEVELS.includes(p.get("level") || "") ? (p.get("level") || "") : "";
    state.year = Math.min(ANY_YEAR, Math.max(1990, Math.round(number("year", ANY_YEAR))));
    state.colour = COLOURS.includes(p.get("colour")) ? p.get("colour") : "type";
    state.size = SIZES.includes(p.get("size")) ? p.get("size") : "degree";
    state.ego = p.get("ego") === "1";
    state.neighbours = p.get("neighbours") === "1";
    state.selected = p.get("selected") || null;
    const camera = p.has("x") && p.has("y") && p.has("ratio")
      ? { x: number("x", 0.5), y: number("y", 0.5), ratio: Math.max(1e-4, number("ratio", 1)), angle: number("angle", 0) } : null;
    return { camera };
  }

  // A replaceState while the page is leaving (a link was clicked just after a change) would cancel the navigation
  let addressTimer = null, leaving = false;
  function leave() {
    clearTimeout(addressTimer);
    leaving = true;
    setTimeout(() => { leaving = false; }, 3000);  // a download, not a navigation: the address follows again
  }
  window.addEventListener("beforeunload", leave);
  if (window.navigation) window.navigation.addEventListener("navigate", (ev) => { if (!ev.destination.sameDocument) leave(); });

  function changed() {
    clearTimeout(addressTimer);
    if (leaving) return;
    addressTimer = setTimeout(() => {
      if (leaving) return;
      const query = viewQuery();
      history.replaceState(history.state, "", `${location.pathname}${query ? "?" + query : ""}`);
      emit("changed", query);
    }, 250);
  }

  // Put the state into the form's controls (after reading an address); a hub given by name or an unknown id
  // is offered as it was asked for, since the server reads hub ids and names
  function showState() {
    for (const key of ["hub", "type", "kind"]) {
      const select = $(key);
      if (state[key] && ![...select.options].some((o) => o.value === state[key])) {
        const byName = [...select.options].find((o) => o.textContent.trim() === state[key]);
        if (byName) state[key] = byName.value;
        else select.add(new Option(state[key], state[key]));
      }
      select.value = state[key];
    }
    $("year").value = String(state.year);
    showYear();
    $("color-by").value = state.colour;
    $("size-by").value = state.size;
    $("ego").checked = state.ego;
    $("neighbours").checked = state.neighbours;
  }

  function showYear() {
    $("year-label").textContent = state.year >= ANY_YEAR ? "any year" : String(state.year);
  }

  // -- The graph ---------------------------------------------------------------------------------------------------
  function serverQuery() {
    const p = new URLSearchParams();
    if (state.hub) p.set("hub", state.hub);
    // "keep their neighbours": ask for every type, keep the type and its neighbours here
    if (state.type && !state.neighbours) p.set("type", state.type);
    if (state.kind) p.set("kind", state.kind);
    if (state.level) p.set("level", state.level);
    return p;
  }

  // Until the server lays the map out (C2's x and y), each hub gets its own patch of a circle sized for the hubs
  function fallbackPositions(n) {
    const groups = new Map();
    const key = (i) => String((n.hub_id && n.hub_id[i]) ?? (n.hub && n.hub[i]) ?? "");
    for (let i = 0; i < n.id.length; i++) groups.set(key(i), (groups.get(key(i)) || 0) + 1);
    const order = [...groups.keys()], total = Math.max(1, order.length);
    const radius = 10 * Math.sqrt(total);
    const place = new Map(order.map((g, k) => [g, { x: radius * Math.cos(2 * Math.PI * k / total), y: radius * Math.sin(2 * Math.PI * k / total),
                                                     spread: 2 + Math.sqrt(groups.get(g)) }]));
    const x = new Array(n.id.length), y = new Array(n.id.length);
    for (let i = 0; i < n.id.length; i++) {
      const p = place.get(key(i)), r = p.spread * Math.sqrt(Math.random()), a = 2 * Math.PI * Math.random();
      x[i] = p.x + r * Math.cos(a);
      y[i] = p.y + r * Math.sin(a);
    }
    return { x, y };
  }

  // ties: false builds the actors only (the first picture of a large map)
  function build(data, { ties = true } = {}) {
    const n = data.nodes, e = data.edges, count = n.id.length, level = data.level || "actors";
    const col = (name) => n[name] || [];
    const at = (name, i) => { const c = n[name]; return c && c[i] !== undefined ? c[i] : null; };
    // C2 sends each tie's ends as row indices (used as they come); the older answer sent actor ids
    const asIndex = ("level" in data || Array.isArray(n.x)) && e.source.every((v) => Number.isInteger(v) && v >= 0 && v < count)
      && e.target.every((v) => Number.isInteger(v) && v >= 0 && v < count);
    let sources = e.source, targets = e.target;
    if (!asIndex) {
      const byId = new Map(n.id.map((id, i) => [String(id), i]));
      const row = (v) => (Number.isInteger(v) && v >= 0 && v < count ? v : byId.get(String(v)));
      sources = e.source.map(row); targets = e.target.map(row);
    }
    // Keep the chosen type and its direct neighbours (the ties between all of them come with them)
    let keep = null;
    if (state.neighbours && state.type && level === "actors") {
      const types = col("type"), chosen = new Uint8Array(count);
      keep = new Uint8Array(count);
      for (let i = 0; i < count; i++) if (types[i] === state.type) { chosen[i] = 1; keep[i] = 1; }
      for (let k = 0; k < sources.length; k++) {
        const s = sources[k], t = targets[k];
        if (s === undefined || t === undefined) continue;
        if (chosen[s]) keep[t] = 1;
        if (chosen[t]) keep[s] = 1;
      }
    }
    const where = Array.isArray(n.x) && n.x.length === count ? { x: n.x, y: n.y } : fallbackPositions(n);
    const g = new Graph({ type: "undirected", multi: false, allowSelfLoops: false });
    const keys = new Array(count);
    for (let i = 0; i < count; i++) {
      if (keep && !keep[i]) continue;
      const id = n.id[i];
      keys[i] = id === null || id === undefined ? "none" : String(id);
      g.addNode(keys[i], {
        label: at("label", i) ?? "", stakeholder: at("type", i), hub: at("hub", i), hub_id: at("hub_id", i),
        helix: at("helix", i), country: at("country", i), stage: at("stage", i), community: at("community", i),
        degree: at("degree", i) ?? 0, strength: at("strength", i) ?? 0, coreness: at("coreness", i) ?? 0,
        pagerank: at("pagerank", i) ?? 0, actors: at("actors", i) ?? 0, forceLabel: level === "hubs" && count <= 60,
        x: Number(where.x[i]) || 0, y: Number(where.y[i]) || 0, size: 3, color: NONE_COLOUR,
      });
    }
    if (!ties) return g;
    const weights = e.weight || [];
    let maxWeight = 1;
    for (const w of weights) if (w > maxWeight) maxWeight = w;
    const faint = e.source.length > 5000;
    for (let k = 0; k < sources.length; k++) {
      const a = keys[sources[k]], b = keys[targets[k]];
      if (a === undefined || b === undefined || a === b || g.hasUndirectedEdge(a, b)) continue;
      const w = weights[k] ?? 1;
      // keyed by the tie's row: no random keys to make, and the same key for the same tie on every load
      g.addUndirectedEdgeWithKey(String(k), a, b, { kind: e.kind ? e.kind[k] : null, start: e.start ? e.start[k] : null, weight: w,
        size: level === "hubs" ? 1 + 7 * Math.sqrt(w / maxWeight) : 0.5 + Math.min(2, w / 2),
        color: faint ? EDGE_FAINT : EDGE_COLOUR });
    }
    return g;
  }

  // Ties by start year, so that moving the year slider touches only the ties whose side of it changed (made when
  // first needed: most visits never move the slider)
  function yearIndex() {
    if (view.byYear) return view.byYear;
    const byYear = [];
    view.graph.forEachEdge((edge, attrs) => { if (attrs.start) byYear.push([attrs.start, edge]); });
    byYear.sort((a, b) => a[0] - b[0]);
    view.byYear = byYear;
    return byYear;
  }

  // -- Drawing -----------------------------------------------------------------------------------------------------
  // Reducers consult small sets only: the selection's ties, a few labels, the ego network, the year
  function nodeReducer(node, attrs) {
    if (view.ego && !view.ego.has(node)) { attrs.hidden = true; return attrs; }
    if (node === state.selected) { attrs.highlighted = true; attrs.forceLabel = true; }
    else if (view.focus.has(node)) attrs.forceLabel = true;
    return attrs;
  }

  function edgeReducer(edge, attrs) {
    if (attrs.start && attrs.start > view.yearLimit) { attrs.hidden = true; return attrs; }
    if (view.selectedEdges.has(edge) || view.hoverEdges.has(edge)) { attrs.color = EDGE_SELECTED; attrs.size = Math.max(1.5, attrs.size * 1.6); }
    return attrs;
  }

  function sizeRange(order) {
    if (view.level === "hubs") return [5, 28];
    if (order <= 300) return [3, 13];
    if (order <= 3000) return [2.5, 11];
    if (order <= 30000) return [1.5, 10];
    return [1, 8];
  }

  // Sizes in one pass over the nodes; the label grid depends on them, so sigma reindexes once
  function resize() {
    const g = view.graph, by = view.level === "hubs" ? "actors" : state.size;
    let max = 0;
    g.forEachNode((node, a) => { const v = by === "none" ? 1 : Number(a[by]) || 0; if (v > max) max = v; });
    const [lo, hi] = sizeRange(g.order);
    g.updateEachNodeAttributes((node, a) => {
      const v = by === "none" || !max ? (by === "none" ? 1 : 0) : (Number(a[by]) || 0) / max;
      a.size = lo + (hi - lo) * Math.sqrt(Math.max(0, v));
      return a;
    }, { attributes: ["size"] });
    if (view.sigma) view.sigma.scheduleRefresh();
  }

  // Colours in one pass over the nodes (sigma then re-draws the nodes only), and the legend from the same pass
  function recolour() {
    const started = performance.now();
    const g = view.graph, by = colourAttribute(), counts = new Map(), colours = new Map();
    g.updateEachNodeAttributes((node, a) => {
      const value = valueOf(a, by) ?? null;
      let colour = colours.get(value);
      // a hub is coloured by its id (the palette in id order: no two of the first hubs alike), named by its name
      if (colour === undefined) { colour = colourFor(by, by === "hub" && Number.isInteger(a.hub_id) ? a.hub_id : value); colours.set(value, colour); }
      a.color = colour;
      counts.set(value, (counts.get(value) || 0) + (view.level === "hubs" ? Number(a.actors) || 0 : 1));
      return a;
    }, { attributes: ["color"] });
    view.legend = [...counts.entries()].sort((a, b) => b[1] - a[1])
      .map(([value, n]) => ({ value, label: value === null ? `no ${by} recorded` : by === "community" ? `community ${value}` : words(value), colour: colours.get(value), count: n }));
    drawLegend(by);
    timed("recolour", started);
  }

  function drawLegend(by) {
    if (!view.legend.length) { $("legend").innerHTML = ""; return; }  // an empty map says why below
    const shown = view.legend.slice(0, 24), rest = view.legend.length - shown.length;
    const title = view.level === "hubs" ? "Hubs (actors)" : { type: "Stakeholder type", helix: "Helix", hub: "Hub", community: "Community (Leiden)", country: "Country" }[by] || by;
    $("legend").innerHTML = `<h2>${Ecotone.escape(title)}</h2><ul>${shown.map((item) =>
      `<li><span class="swatch" style="background:${Ecotone.escape(item.colour)}"></span>${Ecotone.escape(item.label)} <span class="muted">${item.count.toLocaleString()}</span></li>`).join("")}
      ${rest > 0 ? `<li class="muted">and ${rest.toLocaleString()} more</li>` : ""}</ul>`;
  }

  // How long an interaction took until the frame that shows it (for the benchmark: select and recolour)
  function timed(what, started) {
    if (!view.sigma) return;
    view.sigma.once("afterRender", () => {
      window.ecotoneMap.last = { ...(window.ecotoneMap.last || {}), [what]: performance.now() - started };
    });
  }

  function settingsFor(g) {
    const big = g.size > 20000 || g.order > 5000;
    // hairlines (two vertices a tie, where sigma's default quads take six) when there are many ties: software
    // WebGL spends its time in the vertex shader
    const hairlines = EdgeLineProgram && g.size > 20000 ? { edgeProgramClasses: { line: EdgeLineProgram } } : {};
    return {
      ...hairlines,
      zIndex: false, defaultEdgeType: "line", hideEdgesOnMove: big, hideLabelsOnMove: g.order > 20000,
      // about one label per cell of the screen, bigger nodes first; zooming in shows more
      labelDensity: g.order > 5000 ? 0.35 : g.order > 1000 ? 0.6 : 0.8,
      labelGridCellSize: g.order > 5000 ? 200 : g.order > 1000 ? 160 : 130,
      labelRenderedSizeThreshold: g.order > 5000 ? 6 : 5,
      labelFont: "system-ui, sans-serif", minCameraRatio: 0.005, maxCameraRatio: 4,
      nodeReducer, edgeReducer,
    };
  }

  // Re-draw what a change touched: those nodes and ties only, without reindexing
  function repaint(nodes, edges) {
    const g = view.graph;
    try {
      view.sigma.refresh({ partialGraph: { nodes: [...nodes].filter((n) => g.hasNode(n)), edges: [...edges].filter((e) => g.hasEdge(e)) },
                           skipIndexation: true, schedule: true });
    } catch (err) {
      // sigma repaints in place only what it drew before: a tie hidden when the map was last indexed (by the year
      // slider, the ego view) has no place yet, so the whole map is indexed again
      view.sigma.refresh({ schedule: true });
    }
  }

  // -- Selection, ego and camera -------------------------------------------------------------------------------------
  function select(node, { centre = false } = {}) {
    const started = performance.now();
    const g = view.graph;
    if (!g) return;
    node = node === null || node === undefined || !g.hasNode(String(node)) ? null : String(node);
    const touchedNodes = new Set(view.focus), touchedEdges = new Set(view.selectedEdges);
    if (state.selected !== null) touchedNodes.add(state.selected);
    state.selected = node;
    view.selectedEdges = new Set(node ? g.edges(node) : []);
    view.focus = new Set(node && g.degree(node) <= 40 ? g.neighbors(node) : []);
    for (const n of view.focus) touchedNodes.add(n);
    for (const e of view.selectedEdges) touchedEdges.add(e);
    if (node) touchedNodes.add(node);
    if (state.ego) showEgo();
    else if (view.sigma) repaint(touchedNodes, touchedEdges);
    timed("select", started);
    if (view.table) view.table.select(node);
    card(node);
    if (centre && node && !state.ego) centreOn(node);
    emit("selected", node);
    changed();
  }

  // The selected actor and its partners only (the ties among them come with them), the camera on them
  function showEgo() {
    const g = view.graph, node = state.selected;
    view.ego = state.ego && node ? new Set([node, ...g.neighbors(node)]) : null;
    view.focus = view.ego && view.ego.size <= 200 ? new Set(view.ego) : view.focus;
    if (view.sigma) view.sigma.refresh();  // hiding most of the map: a full pass, once
    fillTable();
    if (view.ego && !view.restoring) zoomToEgo(node);
  }

  function zoomToEgo(node) {
    const s = view.sigma, centre = s.getNodeDisplayData(node);
    let reach = 0;
    for (const other of view.ego) {
      const d = s.getNodeDisplayData(other);
      if (d) reach = Math.max(reach, Math.abs(d.x - centre.x), Math.abs(d.y - centre.y));
    }
    // at ratio 1 the camera shows the whole framed graph (a unit square, fitted to the smaller side of the screen)
    const ratio = Math.min(1, Math.max(0.02, reach * 3));  // room for the farthest partner's label
    s.getCamera().animate({ x: centre.x, y: centre.y, ratio }, { duration: 450 });
  }

  // sigma's camera lives in the framed graph's normalised coordinates, which getNodeDisplayData gives (not x, y)
  function centreOn(node, ratio) {
    const s = view.sigma, d = s.getNodeDisplayData(node), camera = s.getCamera();
    if (!d) return;
    camera.animate({ x: d.x, y: d.y, ratio: ratio ?? Math.min(camera.getState().ratio, 0.35) }, { duration: 450 });
  }

  async function card(node) {
    const box = $("card");
    if (box.dataset.node === String(node)) return;  // shown already
    box.dataset.node = String(node);
    if (!node || view.level === "hubs") { box.innerHTML = "<p>Click an actor to see its card.</p>"; return; }
    const attrs = view.graph.getNodeAttributes(node);
    box.innerHTML = `<h2>${Ecotone.escape(attrs.label)}</h2><p class="muted">Loading the card…</p>`;
    const data = await Ecotone.api(`/api/v1/organizations/${encodeURIComponent(node)}/card`);
    if (!data) { box.dataset.node = ""; return; }
    if (state.selected !== node) return;
    const list = (xs) => xs && xs.length ? `<ul>${xs.map((x) => `<li>${Ecotone.escape(x)}</li>`).join("")}</ul>` : "<p>none recorded</p>";
    const partners = view.graph.degree(node);
    box.innerHTML = `<h2><a href="/actors/${node}">${Ecotone.escape(data.name)}</a></h2>
      <p>${Ecotone.escape(words(data.type))} · ${Ecotone.escape(data.hub || "no hub")}${data.country ? " · " + Ecotone.escape(data.country) : ""}</p>
      <p>${data.ties} ties, ${partners} partner${partners === 1 ? "" : "s"} on this map${attrs.fixed ? " · pinned where you dropped it" : ""}</p>
      <h3>Innovations</h3>${list(data.innovations)}<h3>Deals</h3>${list(data.deals)}
      <p><a href="/actors/${node}">Open the actor's page</a></p>
      ${data.may_change ? `<nav class="actions" aria-label="Add to this actor">
        <a class="button secondary" href="/records/ties/new?source_id=${node}">Add a tie</a>
        <a class="button secondary" href="/records/people/new?organization_id=${node}">Add a person</a>
        <a class="button secondary" href="/records/innovations/new?organization_id=${node}">Add an innovation</a></nav>` : ""}`;
  }

  // A hub of the summary opens as its own map of actors
  function openHub(node) {
    const attrs = view.graph.getNodeAttributes(node);
    if (attrs.hub_id === null || attrs.hub_id === undefined) {
      status(`${attrs.actors.toLocaleString()} actors have no hub, so they have no hub map: pick a type, or search one by name.`);
      return;
    }
    state.hub = String(attrs.hub_id);
    state.level = "";
    state.selected = null;
    showState();
    load({ camera: null });
  }

  function search() {
    const text = $("search").value.trim().toLowerCase(), g = view.graph;
    if (!text || !g) return;
    const named = (n, a) => (a.label || "").toLowerCase();
    const node = g.findNode((n, a) => named(n, a) === text) || g.findNode((n, a) => named(n, a).startsWith(text)) ||
                 g.findNode((n, a) => named(n, a).includes(text));
    if (!node) { status(`No ${view.level === "hubs" ? "hub" : "actor"} named like “${$("search").value}” on this map${filtered() ? ": clear the filters to search the whole atlas" : ""}.`); return; }
    if (view.level === "hubs") { openHub(node); return; }
    // the search box's change on leaving it repeats the Enter before it: the card stays (a click on its link goes on)
    if (node !== state.selected) select(node);
    centreOn(node, 0.2);
  }

  // -- ForceAtlas2, on demand --------------------------------------------------------------------------------------
  function layoutRunning() { return Boolean(view.layout && view.layout.isRunning()); }

  function startLayout() {
    const g = view.graph;
    if (!g || !g.order) return;
    if (!view.layout) {
      const settings = forceAtlas2.inferSettings(g);
      view.layout = new FA2Layout(g, { settings: { ...settings, barnesHutOptimize: g.order > 2000 } });
    }
    view.sigma.setCustomBBox(null);  // the frame follows the layout again
    view.layout.start();
    $("layout").textContent = "Stop ForceAtlas2";
    $("layout").setAttribute("aria-pressed", "true");
  }

  function stopLayout() {
    if (view.layout) view.layout.stop();
    $("layout").textContent = "Run ForceAtlas2";
    $("layout").setAttribute("aria-pressed", "false");
  }

  // -- Dragging: a dropped node stays where it is put (`fixed`, which ForceAtlas2 leaves alone) ---------------------
  function bindDrag(s) {
    s.on("downNode", ({ node }) => {
      view.dragged = node;
      view.dragMoved = false;
      view.resumeLayout = layoutRunning();
      if (view.resumeLayout) view.layout.stop();  // the worker would overwrite the position; it resumes on drop
      if (!s.getCustomBBox()) s.setCustomBBox(s.getBBox());  // keep the frame still under the mouse
    });
    s.on("moveBody", ({ event }) => {
      if (!view.dragged) return;
      const p = s.viewportToGraph(event);
      view.graph.mergeNodeAttributes(view.dragged, { x: p.x, y: p.y, fixed: true });
      view.dragMoved = true;
      event.preventSigmaDefault();
      event.original.preventDefault();
      event.original.stopPropagation();
    });
    const drop = () => {
      if (!view.dragged) return;
      const node = view.dragged;
      view.dragged = null;
      if (view.resumeLayout) view.layout.start();
      setTimeout(() => { view.dragMoved = false; }, 0);  // the click that ends a drag is not a click on the stage
      if (view.dragMoved) { status(`${view.graph.getNodeAttribute(node, "label")} is pinned where you dropped it.`); changed(); }
    };
    s.on("upNode", drop);
    s.on("upStage", drop);
  }

  // -- The data table ----------------------------------------------------------------------------------------------
  const fixed3 = (v) => (v === null || v === undefined ? "" : Number(v).toLocaleString(undefined, { maximumFractionDigits: 3 }));
  const ACTOR_COLUMNS = [
    { key: "name", label: "Name" }, { key: "type", label: "Type", format: words }, { key: "hub", label: "Hub" },
    { key: "country", label: "Country" }, { key: "degree", label: "Degree", numeric: true },
    { key: "strength", label: "Strength", numeric: true, format: fixed3 }, { key: "pagerank", label: "PageRank", numeric: true, format: fixed3 },
    { key: "coreness", label: "k-core", numeric: true }];
  const HUB_COLUMNS = [
    { key: "name", label: "Hub" }, { key: "actors", label: "Actors", numeric: true }, { key: "degree", label: "Ties", numeric: true },
    { key: "country", label: "Country" }];

  function fillTable() {
    if (!view.table || !view.graph) return;
    const rows = [];
    view.graph.forEachNode((key, a) => {
      if (view.ego && !view.ego.has(key)) return;
      rows.push({ key, name: a.label, type: a.stakeholder, hub: a.hub, country: a.country, degree: a.degree,
                  strength: a.strength, pagerank: a.pagerank, coreness: a.coreness, actors: a.actors });
    });
    if (view.level === "hubs") view.table.setColumns(HUB_COLUMNS, "Hubs on the map: open one to see its actors");
    else view.table.setColumns(ACTOR_COLUMNS, view.ego ? "The selected actor's ego network" : "Actors on the map");
    view.table.setRows(rows);
    view.table.select(state.selected);
  }

  function pickFromTable(key) {
    if (view.level === "hubs") { openHub(key); return; }
    select(key, { centre: true });
  }

  // -- Loading -----------------------------------------------------------------------------------------------------
  const status = (text) => { $("map-status").textContent = text; };
  const filtered = () => Boolean(state.hub || state.type || state.kind);

  function showEmpty(data) {
    const box = $("map-empty");
    if (data.nodes.id.length) { box.hidden = true; box.innerHTML = ""; return; }
    box.hidden = false;
    if (filtered()) {
      box.innerHTML = `<p><strong>No actor matches these filters.</strong> Choose another hub, type or tie kind, or
        <button type="button" class="secondary small" id="clear-filters">clear the filters</button> to see the whole map.</p>`;
      $("clear-filters").addEventListener("click", () => {
        Object.assign(state, { hub: "", type: "", kind: "", neighbours: false, selected: null });
        showState();
        load({ camera: null });
      });
    } else if (document.querySelector("header a[href^='/login']")) {  // a visitor: only public records show
      box.innerHTML = `<p><strong>There are no actors to show you yet.</strong> Visitors see the public actors only:
        <a href="/login?next=/">sign in</a> to see those your hub shares with you. A new atlas fills from the
        <a href="/records/organizations/new">Registry</a> or an <a href="/import">import</a>.</p>`;
    } else {
      box.innerHTML = `<p><strong>The atlas has no actors yet.</strong> Add organisations and their ties in the
        <a href="/records/organizations/new">Registry</a>, or <a href="/import">import</a> a Kumu workbook, an Ecotone
        bundle or a CORDIS extract; the map draws them as soon as they are saved.</p>`;
    }
  }

  function describe(data) {
    const g = view.graph, summary = data.summary || {};
    if (!g.order) return filtered() ? "No actor matches these filters." : "Nothing to draw yet.";
    if (view.level === "hubs") {
      let hubs = 0;
      g.forEachNode((n, a) => { if (a.hub_id !== null && a.hub_id !== undefined) hubs += 1; });
      return `hub summary: ${(summary.actors ?? 0).toLocaleString()} actors in ${hubs.toLocaleString()} hubs — click a hub to open it`;
    }
    const kept = state.neighbours && state.type ? ` (${words(state.type)} and their neighbours)` : "";
    const layout = summary.layout ? " · laid out on the server" : "";
    $("map-status").title = summary.layout ? `Layout: ${summary.layout}` : "";
    const ties = view.yearLimit === Infinity ? g.size : g.size - yearIndex().filter(([start]) => start > view.yearLimit).length;
    const by = view.yearLimit === Infinity ? "" : ` started by ${view.yearLimit}`;
    return `${g.order.toLocaleString()} actors, ${ties.toLocaleString()} ties${by}, ${summary.communities ?? 0} communities${kept} · drawn in ${Math.round(window.ecotoneMap.ms)} ms${layout}`;
  }

  async function load(restore = {}) {
    const started = performance.now(), ticket = ++view.loadCount;
    window.ecotoneMap.ready = false;
    status("Loading the map…");
    const data = await Ecotone.api(`/api/v1/map?${serverQuery()}`);
    if (ticket !== view.loadCount) return;  // a newer request is on its way
    if (!data) { status("The map could not load: the message above says why."); return; }
    const timings = { fetched: performance.now() - started };
    if (view.layout) { view.layout.kill(); view.layout = null; stopLayout(); }
    if (view.sigma) { view.sigma.kill(); view.sigma = null; }
    view.data = data;
    view.level = data.level || "actors";
    // Many ties: the actors first, where the server laid them out (hubs and communities as regions), and their ties
    // a frame later; graphology and sigma take about a second each for 200,000 ties on software WebGL
    if (data.edges.source.length > PREVIEW_TIES && !state.ego) {
      view.graph = build(data, { ties: false });
      recolour();
      resize();
      view.sigma = new Sigma(view.graph, $("graph"), settingsFor(view.graph));
      if (restore.camera) view.sigma.getCamera().setState(restore.camera);
      timings.actors = performance.now() - started;
      requestAnimationFrame(() => { window.ecotoneMap.shownSinceNavigation = performance.now(); });
      status(`${view.graph.order.toLocaleString()} actors drawn; drawing their ties…`);
      await new Promise((resolve) => requestAnimationFrame(() => setTimeout(resolve, 0)));
      if (ticket !== view.loadCount) return;  // a newer map replaced this one (and its first picture)
    }
    const preview = view.sigma;
    view.graph = build(data);
    view.byYear = null;  // indexed when the year slider first moves
    view.yearLimit = state.year >= ANY_YEAR ? Infinity : state.year;
    view.selectedEdges = new Set(); view.focus = new Set(); view.hoverEdges = new Set(); view.ego = null;
    timings.built = performance.now() - started;
    recolour();
    resize();
    timings.styled = performance.now() - started;
    if (preview) {  // the whole map replaces the actors-only picture in the same task: no blank frame between
      restore = { ...restore, camera: preview.getCamera().getState() };  // where the person has looked meanwhile
      preview.kill();
    }
    const s = new Sigma(view.graph, $("graph"), settingsFor(view.graph));
    view.sigma = s;
    // sigma draws the graph once, synchronously, as it is created: the picture is up now
    const ms = performance.now() - started;
    Object.assign(window.ecotoneMap, { ms, timings: { ...timings, rendered: ms }, nodes: view.graph.order, edges: view.graph.size,
                                       sigma: s, graph: view.graph, level: view.level, data });
    requestAnimationFrame(() => {
      const now = performance.now();
      if (!preview) window.ecotoneMap.shownSinceNavigation = now;
      window.ecotoneMap.completeSinceNavigation = now;  // every tie drawn
    });
    bindEvents(s);
    showEmpty(data);
    $("size-by").disabled = view.level === "hubs";
    $("color-by").disabled = view.level === "hubs";
    // The view asked for: its selection, its ego network, then its camera (what the person who shared it saw)
    view.restoring = restore;
    const wanted = state.selected;
    state.selected = null;
    if (wanted && view.graph.hasNode(wanted)) select(wanted);
    else {
      card(null);
      if (state.ego) showEgo();
    }
    view.restoring = null;
    const camera = s.getCamera();
    if (restore.camera) camera.setState(restore.camera);
    else if (state.ego && state.selected) zoomToEgo(state.selected);
    state.camera = camera.getState();
    camera.on("updated", (c) => { state.camera = { x: c.x, y: c.y, ratio: c.ratio, angle: c.angle }; changed(); });
    status(describe(data));
    // The table and the search box's names come after the first frame: the picture first, then what is beside it
    requestAnimationFrame(() => setTimeout(() => {
      if (ticket !== view.loadCount) return;  // a newer map replaced this one
      fillNames();
      fillTable();
      window.ecotoneMap.ready = true;
      changed();
      emit("loaded", { level: view.level, nodes: view.graph.order, edges: view.graph.size });
    }, 0));
  }

  // The search box offers the best-connected names (a datalist of 20,000 would slow every keystroke)
  function fillNames() {
    const names = [];
    view.graph.forEachNode((n, a) => names.push([a.degree || 0, a.label]));
    names.sort((a, b) => b[0] - a[0]);
    $("actor-names").innerHTML = names.slice(0, 3000).map(([, l]) => `<option value="${Ecotone.escape(l)}">`).join("");
  }

  function bindEvents(s) {
    const g = view.graph;
    s.on("clickNode", ({ node }) => { if (view.level === "hubs") openHub(node); else select(node); });
    s.on("clickStage", () => { if (!view.dragMoved) select(null); });
    // hover: the hovered actor's own ties darken; sigma draws the node and its label on its hover layer itself
    s.on("enterNode", ({ node }) => {
      if (view.dragged || g.degree(node) > 2000) return;
      view.hoverEdges = new Set(g.edges(node));
      repaint([], view.hoverEdges);
    });
    s.on("leaveNode", () => {
      if (!view.hoverEdges.size) return;
      const was = view.hoverEdges;
      view.hoverEdges = new Set();
      repaint([], was);
    });
    if (view.level === "actors") bindDrag(s);
  }

  function setYear(year) {
    const before = view.yearLimit;
    state.year = year;
    view.yearLimit = year >= ANY_YEAR ? Infinity : year;
    showYear();
    if (!view.sigma || before === view.yearLimit) return;
    // only the ties that started between the old and the new year change sides
    const lo = Math.min(before, view.yearLimit), hi = Math.max(before, view.yearLimit), touched = [];
    for (const [start, edge] of yearIndex()) {
      if (start <= lo) continue;
      if (start > hi) break;
      touched.push(edge);
    }
    repaint([], touched);
    status(describe(view.data));  // the ties counted are the ties shown
  }

  function legend() { return view.legend.map(({ label, colour, value, count }) => ({ label, colour, value, count })); }

  // A whole view from a query string (a saved view), without reloading the page when only styles changed
  function apply(query) {
    const restore = readQuery(query);
    showState();
    load(restore);
  }

  const ZOOM_STEP = 1.5;

  function zoomStep(factor) {
    const camera = view.sigma && view.sigma.getCamera();
    if (!camera) return;
    // from where a running zoom is heading, so two quick clicks are two steps, not one and a bit
    const from = camera.isAnimated() && view.zoomTo != null ? view.zoomTo : camera.ratio;
    view.zoomTo = camera.getBoundedRatio(from * factor);
    camera.animate({ ratio: view.zoomTo }, { duration: 300 });
  }

  window.ecotoneMap = {
    ready: false, level: null, ms: null, graph: null, sigma: null, state, viewQuery, legend, select, apply,
    on(event, fn) { (listeners[event] || (listeners[event] = [])).push(fn); return this; },
    get table() { return view.table; },
    zoomIn() { zoomStep(1 / ZOOM_STEP); },
    zoomOut() { zoomStep(ZOOM_STEP); },
    fit() { view.sigma && view.sigma.getCamera().animatedReset({ duration: 300 }); },
  };

  document.addEventListener("DOMContentLoaded", () => {
    // option labels in words, from the shared vocabulary when the page has it
    if (Ecotone.label) for (const id of ["type", "kind"]) for (const o of $(id).options) if (o.value) o.textContent = Ecotone.label(o.value);
    view.table = EcotoneMapTable.create($("map-table"), { columns: ACTOR_COLUMNS, onSelect: pickFromTable, sortBy: "degree" });
    const restore = readQuery(location.search);
    showState();
    for (const id of ["hub", "type", "kind"]) {
      $(id).addEventListener("change", () => {
        state[id] = $(id).value;
        if (id === "hub") state.level = "";  // a hub opens at actors level
        load({ camera: null });
      });
    }
    $("neighbours").addEventListener("change", () => {
      state.neighbours = $("neighbours").checked;
      if (state.type) load({ camera: null }); else changed();
    });
    $("color-by").addEventListener("change", () => { state.colour = $("color-by").value; if (view.graph) recolour(); changed(); });
    $("size-by").addEventListener("change", () => { state.size = $("size-by").value; if (view.graph) resize(); changed(); });
    $("year").addEventListener("input", () => { setYear(Number($("year").value)); changed(); });
    $("ego").addEventListener("change", () => {
      state.ego = $("ego").checked;
      if (!view.graph) return;
      if (!state.ego) { view.ego = null; view.focus = new Set(); view.sigma.refresh(); fillTable(); select(state.selected); }
      else showEgo();
      changed();
    });
    $("search").addEventListener("change", search);
    $("search").addEventListener("keydown", (ev) => { if (ev.key === "Enter") { ev.preventDefault(); search(); } });
    $("layout").addEventListener("click", () => (layoutRunning() ? stopLayout() : startLayout()));
    $("zoom-in").addEventListener("click", () => window.ecotoneMap.zoomIn());
    $("zoom-out").addEventListener("click", () => window.ecotoneMap.zoomOut());
    $("zoom-fit").addEventListener("click", () => window.ecotoneMap.fit());
    load(restore);
  });
})();
