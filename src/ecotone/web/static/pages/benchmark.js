// Hub benchmarking: the ecosystem index with rank intervals (dot and interval), each hub's contributions (stacked
// bars), strengths, weaknesses and levers in words, the published top five against ours, the index year by year,
// and the indicators with their coverage. The controls re-rank on the server (GET /api/v1/benchmark).
"use strict";
(function () {
  const form = document.getElementById("benchmark-form");
  const status = document.getElementById("status");
  const percent = (v) => (typeof v === "number" ? `${Math.round(v * 100)}%` : "");
  const words = (list) => (Array.isArray(list) && list.length ? list.map((p) => Ecotone.label(p.replace(/ /g, "_"))).join(", ") : "none");
  const sentence = (text) => (text ? text.charAt(0).toUpperCase() + text.slice(1) : "");

  function query() {
    const data = new FormData(form);
    const params = new URLSearchParams();
    for (const key of ["group_by", "normalisation", "aggregation", "draws", "min_actors"]) {
      if (data.get(key) !== "") params.set(key, data.get(key));
    }
    const weights = [...form.querySelectorAll("input[data-pillar]")]
      .filter((input) => input.value !== "" && Number(input.value) !== 1)
      .map((input) => `${input.dataset.pillar}=${input.value}`);
    if (weights.length) params.set("weights", weights.join(","));
    return params;
  }

  function groupWord() {
    return { hub: "Hub", city: "City", country: "Country", region: "Region" }[new FormData(form).get("group_by")] || "Hub";
  }

  async function ranks(rows) {
    const order = rows.map((r) => r.group);
    const values = rows.map((r) => ({ group: r.group, rank: r.rank, low: r.rank_low, high: r.rank_high,
                                      score: r.score, interval: `${r.rank_low}–${r.rank_high}` }));
    const y = { field: "group", type: "nominal", sort: order, title: null, axis: { labelLimit: 260 } };
    const tooltip = [{ field: "group", title: groupWord() }, { field: "rank", title: "Rank" },
                     { field: "interval", title: "Rank interval (90%)" }, { field: "score", title: "Score", format: ".1f" }];
    await Ecotone.chart("ranks-chart", {
      height: Math.max(120, 22 * values.length), data: { values },
      encoding: { y, tooltip },
      layer: [
        { mark: { type: "rule", strokeWidth: 3, color: "#56B4E9" },
          encoding: { x: { field: "low", type: "quantitative", title: "Rank (1 is best)", scale: { reverse: false, zero: false } },
                      x2: { field: "high" } } },
        { mark: { type: "point", filled: true, size: 80, color: "#0072B2" },
          encoding: { x: { field: "rank", type: "quantitative" } } }],
      description: "Each hub's rank (dot) and its 90% rank interval over the Monte Carlo draws (line)." });
  }

  async function contributions(rows, order) {
    const values = [];
    for (const r of rows) for (const [pillar, points] of Object.entries(r)) {
      if (pillar === "group" || typeof points !== "number") continue;
      values.push({ group: r.group, pillar: Ecotone.label(pillar), points });
    }
    await Ecotone.chart("contributions-chart", {
      height: Math.max(120, 22 * rows.length), data: { values },
      mark: { type: "bar" },
      encoding: { y: { field: "group", type: "nominal", sort: order, title: null, axis: { labelLimit: 260 } },
                  x: { field: "points", type: "quantitative", stack: "zero", title: "Points of the score (0–100)" },
                  color: { field: "pillar", type: "nominal", title: "Pillar" },
                  tooltip: [{ field: "group", title: groupWord() }, { field: "pillar", title: "Pillar" },
                            { field: "points", title: "Points", format: ".1f" }] },
      description: "The points each pillar adds to each hub's score, stacked." });
  }

  function ranking(rows, notes) {
    Ecotone.table("ranking", rows, {
      columns: ["rank", "group", "interval", "score", "coverage", "strengths", "weaknesses", "levers"],
      headers: { group: groupWord(), interval: "Rank interval", coverage: "Indicators observed" },
      formats: { interval: (_, r) => `${r.rank_low}–${r.rank_high}`, score: (v) => v.toFixed(1), coverage: percent,
                 strengths: (v) => words(v), weaknesses: (v) => words(v),
                 levers: (v) => (v && v.length ? v.map(sentence).join("; ") : "none found") } });
    const box = document.getElementById("ranking");
    for (const note of notes || []) {
      const p = document.createElement("p");
      p.className = "muted";
      p.textContent = note;
      box.appendChild(p);
    }
  }

  function published(rows) {
    Ecotone.table("published", rows, {
      columns: ["published_rank", "hub", "our_rank_among_them", "rank", "interval", "why"],
      headers: { published_rank: "Published rank", our_rank_among_them: "Our rank among the five",
                 rank: "Our rank of all", interval: "Rank interval", why: "Why (pillar sub-scores, points)" },
      formats: { interval: (_, r) => `${r.rank_low}–${r.rank_high}`, why: (v) => sentence(v) },
      caption: "Source: Biocat, as reported by Apiumhub (dev.to)" });
  }

  function indicators(rows) {
    Ecotone.table("indicators", rows, {
      columns: ["pillar", "indicator", "definition", "higher_is_better", "coverage"],
      headers: { higher_is_better: "Higher is better", coverage: "Coverage" },
      formats: { pillar: (v) => Ecotone.label(v), indicator: (v) => Ecotone.label(v), coverage: percent } });
  }

  async function overTime(params) {
    const p = new URLSearchParams(params);
    p.set("over_time", "true");
    p.delete("draws");
    const el = document.getElementById("over-time-chart");
    el.innerHTML = '<p class="muted" role="status">Scoring each year as it stood at its end…</p>';
    const data = await Ecotone.api(`/api/v1/benchmark?${p}`);
    if (!data) { el.innerHTML = '<p class="empty">The index could not be followed over the years.</p>'; return; }
    const values = data.over_time || [];
    if (!values.length) { el.innerHTML = '<p class="empty">No dated records: nothing to follow over time.</p>'; return; }
    await Ecotone.chart(el, {
      height: 280, data: { values },
      mark: { type: "line", point: true },
      encoding: { x: { field: "year", type: "ordinal", title: "Year" },
                  y: { field: "score", type: "quantitative", title: "Score (0–100)" },
                  color: { field: "group", type: "nominal", title: groupWord() },
                  tooltip: [{ field: "group", title: groupWord() }, { field: "year", title: "Year" },
                            { field: "score", title: "Score", format: ".1f" }, { field: "rank", title: "Rank" }] },
      description: "Each hub's index at the end of each year." });
  }

  async function load() {
    const params = query();
    status.textContent = "Ranking…";
    window.ecotoneBenchmark = { ready: false };
    const data = await Ecotone.api(`/api/v1/benchmark?${params}`);
    if (!data) {  // nothing of an earlier ranking is left on the page as if it answered this one
      for (const id of ["ranks-chart", "contributions-chart", "ranking", "published", "over-time-chart", "indicators"]) {
        document.getElementById(id).innerHTML = "";
      }
      status.textContent = "Not ranked: see the problem above.";
      return;
    }
    const rows = data.ranking || [];
    const order = rows.map((r) => r.group);
    await ranks(rows);
    await contributions(data.contributions || [], order);
    ranking(rows, data.notes);
    published(data.published || []);
    document.getElementById("published-note").hidden = !(data.published || []).length && params.get("group_by") !== "hub";
    indicators(data.indicators || []);
    const s = data.summary || {};
    status.textContent = `${s.groups} ranked; leader ${s.leader}. Following the index year by year…`;
    await overTime(params);
    status.textContent = `${s.groups} ranked; leader ${s.leader}.`;
    window.ecotoneBenchmark = { ready: true, groups: order };  // for tests: the ranking the page shows
  }

  form.addEventListener("submit", (event) => { event.preventDefault(); load(); });
  document.addEventListener("DOMContentLoaded", load);
})();
