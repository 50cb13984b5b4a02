// A hub's dashboard: its actors by type, missing roles, velocity, funding, brokers and how it compares.
"use strict";
document.addEventListener("DOMContentLoaded", async () => {
  const { hub, hubs } = Ecotone.pageData();
  const [st, deals, velo, brokers] = await Promise.all([
    Ecotone.api(`/api/v1/analysis/stakeholders?hub=${hub.id}`),
    Ecotone.api(`/api/v1/deals?hub=${hub.id}&limit=1000&order_by=-date`),
    fetch(`/api/v1/velocity?hub=${hub.id}`).then((r) => r.ok ? r.json() : null),
    Ecotone.api(`/api/v1/analysis/brokerage?top=10000`)]);
  if (st) {
    const counts = st.coverage.length ? Object.entries(st.coverage[0]).filter(([k, v]) => typeof v === "number" && k !== "total")
      .map(([k, v]) => ({ type: k.replaceAll("_", " "), n: v })).filter((r) => r.n > 0) : [];
    Ecotone.chart("types-chart", { data: { values: counts }, mark: "bar", height: 260,
      encoding: { y: { field: "type", type: "nominal", sort: "-x", title: null }, x: { field: "n", type: "quantitative", title: "actors" },
                  tooltip: [{ field: "type" }, { field: "n" }] } });
    Ecotone.table("missing", st.missing_roles.filter((r) => r.hub === hub.name)
      .map((r) => ({ ...r, missing: [].concat(r.missing || []).join(", ") || "none" })), { caption: "Roles a living hub has that this one lacks" });
  }
  if (deals) {
    const byCurrency = {};
    for (const d of deals.data) if (d.amount) byCurrency[d.currency] = (byCurrency[d.currency] || 0) + d.amount;
    document.getElementById("fig-funding").textContent = Object.entries(byCurrency).map(([c, a]) => `${c} ${(a / 1e6).toFixed(1)}M`).join(" + ") || "none";
    Ecotone.table("deals", deals.data.map((d) => ({ date: d.date, round: d.round_type, amount: d.amount, currency: d.currency, source: d.source })));
  }
  if (velo) {
    document.getElementById("fig-launched").textContent = velo.summary.launched ?? "–";
    const rows = velo.time_in_stage.filter((r) => r.median !== null);
    Ecotone.chart("velocity-chart", { data: { values: velo.time_in_stage }, height: 240, layer: [
      { mark: "rule", encoding: { y: { field: "stage", type: "nominal", sort: null, title: null }, x: { field: "q1", type: "quantitative" }, x2: { field: "q3" } } },
      { mark: { type: "point", filled: true, size: 90 }, encoding: { y: { field: "stage", type: "nominal", sort: null }, x: { field: "median", type: "quantitative", title: "months (Kaplan–Meier median, quartiles)" },
        tooltip: [{ field: "stage" }, { field: "n" }, { field: "censored" }, { field: "median" }, { field: "q1" }, { field: "q3" }] } }] });
    document.getElementById("bottleneck").textContent = `Bottleneck: ${(velo.summary.bottleneck || "–").replaceAll("_", " ")} · ${velo.summary.innovations} innovations measured`;
  } else {
    document.getElementById("velocity-chart").innerHTML = '<p class="empty">No stage histories recorded for this hub.</p>';
    document.getElementById("fig-launched").textContent = "–";
  }
  if (brokers) Ecotone.table("brokers", brokers.brokers.filter((b) => b.group === hub.name).slice(0, 10),
    { columns: ["name", "coordinator", "gatekeeper", "representative", "liaison", "total"], links: { name: (r) => `/actors/${r.id}` } });
  Ecotone.chart("compare-chart", { data: { values: hubs.map((h) => ({ ...h, self: h.id === hub.id ? "this hub" : "others" })) },
    mark: "bar", height: 300, encoding: { y: { field: "name", type: "nominal", sort: "-x", title: null },
      x: { field: "organizations", type: "quantitative" }, color: { field: "self", type: "nominal", title: null, scale: { domain: ["this hub", "others"], range: ["#0072B2", "#bab0ac"] } },
      tooltip: [{ field: "name" }, { field: "organizations" }, { field: "ties_inside" }, { field: "ties_across" }] } });
});
