// Scenarios: run the interventions as a simulation job and draw their bands against the baseline.
"use strict";
(function () {
  let lastResult = null;
  function draw() {
    if (!lastResult) return;
    const outcome = document.getElementById("outcome").value;
    const rows = lastResult.bands.filter((r) => r.outcome === outcome).map((r) => ({ ...r, year: r.time / 12 }));
    const names = [...new Set(lastResult.bands.map((r) => r.scenario))];  // the same colour for a scenario in both charts
    const enc = { x: { field: "year", type: "quantitative", title: "years" },
                  color: { field: "scenario", type: "nominal", scale: { domain: names } } };
    Ecotone.chart("levels", { data: { values: rows }, height: 300, layer: [
      { mark: { type: "area", opacity: 0.15 }, encoding: { ...enc, y: { field: "p5", type: "quantitative", title: outcome.replaceAll("_", " ") }, y2: { field: "p95" } } },
      { mark: "line", encoding: { ...enc, y: { field: "p50", type: "quantitative" }, tooltip: [{ field: "scenario" }, { field: "year", format: ".1f" }, { field: "p50", format: ".2f" }] } }] });
    const diff = rows.filter((r) => r.scenario !== "baseline");
    Ecotone.chart("changes", { data: { values: diff }, height: 300, layer: [
      { mark: { type: "area", opacity: 0.2 }, encoding: { ...enc, y: { field: "d5", type: "quantitative", title: "scenario − baseline" }, y2: { field: "d95" } } },
      { mark: "line", encoding: { ...enc, y: { field: "d50", type: "quantitative" }, tooltip: [{ field: "scenario" }, { field: "year", format: ".1f" }, { field: "d50", format: ".3f" }] } },
      { mark: { type: "rule", color: "#333" }, encoding: { y: { datum: 0 } } }] });
  }
  document.addEventListener("DOMContentLoaded", () => {
    document.getElementById("outcome").addEventListener("change", draw);
    document.getElementById("scenario-form").addEventListener("submit", async (ev) => {
      ev.preventDefault();
      const f = new FormData(ev.target);
      const ivs = f.getAll("iv");
      if (f.get("connect")) ivs.unshift(`connect:${f.get("partner")}`);
      const scenarios = [...ivs];
      if (f.get("together") && ivs.length > 1) scenarios.push(ivs.join("+"));
      const spec = { hub: f.get("hub"), scenarios, years: Number(f.get("years")), runs: Number(f.get("runs")), seed: Number(f.get("seed")) };
      const job = await Ecotone.api("/api/v1/simulations", { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(spec) });
      if (!job) return;
      const result = await Ecotone.poll(job.id, (j) => Ecotone.progress("sim-progress", j));
      if (!result) return;
      lastResult = result;
      document.getElementById("sim-result").hidden = false;
      draw();
      Ecotone.table("why", result.explanations || [], { caption: result.explanations ? undefined : "Tick at least one intervention to compare" });
      Ecotone.table("outcomes", result.outcomes);
      Ecotone.table("mechanisms", result.mechanisms);
    });
  });
})();
