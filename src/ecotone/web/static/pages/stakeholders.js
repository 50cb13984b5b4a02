// The stakeholder map: power–interest grid, coverage heat map and priority list, for all hubs or one.
"use strict";
(function () {
  async function loadStakeholders() {
    const focus = document.getElementById("focus").value;
    const data = await Ecotone.api(`/api/v1/analysis/stakeholders${focus ? `?focus=${focus}` : ""}`);
    if (!data) return;
    Ecotone.chart("grid-chart", { data: { values: data.grid }, height: 380, layer: [
      { mark: { type: "point", filled: true, opacity: 0.75 }, encoding: {
        x: { field: "interest", type: "quantitative", scale: { domain: [0, 1] } }, y: { field: "power", type: "quantitative", scale: { domain: [0, 1] } },
        color: { field: "type", type: "nominal" }, size: { field: "priority", type: "quantitative", legend: null },
        href: { field: "link" }, tooltip: [{ field: "name" }, { field: "type" }, { field: "hub" }, { field: "quadrant" }, { field: "power", format: ".2f" }, { field: "interest", format: ".2f" }] } },
      { mark: { type: "rule", strokeDash: [4, 4], color: "#888" }, encoding: { x: { datum: 0.5 } } },
      { mark: { type: "rule", strokeDash: [4, 4], color: "#888" }, encoding: { y: { datum: 0.5 } } }],
      transform: [{ calculate: "'/actors/' + datum.id", as: "link" }] });
    const cells = data.coverage.flatMap((r) => Object.entries(r).filter(([k, v]) => typeof v === "number" && k !== "total")
      .map(([k, v]) => ({ hub: r.hub, type: k.replaceAll("_", " "), n: v })));
    Ecotone.chart("heatmap", { data: { values: cells }, mark: "rect", height: { step: 18 },
      encoding: { y: { field: "hub", type: "nominal", title: null }, x: { field: "type", type: "nominal", title: null, axis: { labelAngle: -40 } },
                  color: { field: "n", type: "quantitative", scale: { scheme: "blues" }, title: "actors" }, tooltip: [{ field: "hub" }, { field: "type" }, { field: "n" }] } });
    Ecotone.table("priority", [...data.grid].sort((a, b) => b.priority - a.priority).slice(0, 40), { columns: ["name", "type", "hub", "quadrant", "priority", "power", "interest", "needs"],
                                                        links: { name: (r) => `/actors/${r.id}` } });
  }
  document.addEventListener("DOMContentLoaded", () => {
    document.getElementById("focus").addEventListener("change", loadStakeholders);
    loadStakeholders();
  });
})();
