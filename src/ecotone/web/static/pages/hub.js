// A hub's dashboard: its actors by type, missing roles, velocity, funding, brokers and how it compares.
// Each panel asks the server for the rows it shows: the hub's own brokers (group=), its own deals.
"use strict";
document.addEventListener("DOMContentLoaded", async () => {
  const { hub, hubs } = Ecotone.pageData();
  const DEALS = 200;
  const [st, deals, velo, brokers] = await Promise.all([
    Ecotone.api(`/api/v1/analysis/stakeholders?hub=${hub.id}`),
    Ecotone.api(`/api/v1/deals?hub=${hub.id}&limit=${DEALS}&order_by=-date`),
    fetch(`/api/v1/velocity?hub=${hub.id}`).then((r) => r.ok ? r.json() : null),
    Ecotone.api(`/api/v1/analysis/brokerage?group=${encodeURIComponent(hub.name)}&top=10`)]);
  if (st) {
    const counts = st.coverage.length ? Object.entries(st.coverage.find((r) => r.hub === hub.name) || st.coverage[0])
      .filter(([k, v]) => typeof v === "number" && k !== "total")
      .map(([k, v]) => ({ type: Ecotone.label(k), n: v })).filter((r) => r.n > 0) : [];
    Ecotone.chart("types-chart", { data: { values: counts }, mark: "bar", height: 260,
      encoding: { y: { field: "type", type: "nominal", sort: "-x", title: null }, x: { field: "n", type: "quantitative", title: "Actors" },
                  color: { field: "type", type: "nominal", legend: null, scale: Ecotone.scale("type", { values: counts.map((r) => r.type), words: true }) },
                  tooltip: [{ field: "type", title: "Type" }, { field: "n", title: "Actors" }] } });
    Ecotone.table("missing", st.missing_roles.filter((r) => r.hub === hub.name)
      .map((r) => ({ ...r, missing: [].concat(r.missing || []).map(Ecotone.label).join(", ") || "none" })),
      { caption: "Roles a living hub has that this one lacks", columns: ["actors", "missing"], headers: { missing: "Missing roles" } });
  }
  if (deals) {
    // rounds add up; a hub-wide aggregate (a press figure for the whole region) already counts them, so it is
    // quoted beside the sum, never added to it
    const sum = (rows) => {
      const byCurrency = {};
      for (const d of rows) if (d.amount) byCurrency[d.currency || "EUR"] = (byCurrency[d.currency || "EUR"] || 0) + d.amount;
      return Object.entries(byCurrency).map(([c, a]) => Ecotone.money(a, c)).join(" + ");
    };
    const rounds = deals.data.filter((d) => d.round_type !== "aggregate");
    const aggregates = deals.data.filter((d) => d.round_type === "aggregate");
    document.getElementById("fig-funding").textContent = sum(rounds) || "none";
    const notes = [];
    if (deals.count > deals.data.length) notes.push(`The latest ${deals.data.length} of ${deals.count} deals; the funding above adds up the rounds among these.`);
    else if (rounds.length) notes.push(`The funding above adds up the ${rounds.length} round${rounds.length === 1 ? "" : "s"} raised by this hub's actors.`);
    const quoted = aggregates.map((d) => `${Ecotone.money(d.amount, d.currency)}${d.date ? " in " + String(d.date).slice(0, 4) : ""}` +
      (d.description ? ` (${String(d.description).replace(/\.$/, "")})` : ""));
    if (quoted.length) notes.push(`Reported for the hub as a whole: ${quoted.join("; ")}. These figures cover the whole region, so they are not added to the sum.`);
    document.getElementById("deals-note").textContent = notes.join(" ");
    Ecotone.table("deals", deals.data.map((d) => ({ date: d.date, round: d.round_type, amount: d.amount, currency: d.currency,
                                                    description: d.description, source: d.source })),
      { columns: ["date", "round", "amount", "description", "source"], formats: { amount: (v, r) => Ecotone.money(v, r.currency) } });
  }
  if (velo) {
    document.getElementById("fig-launched").textContent = velo.summary.launched ?? "–";
    const stages = velo.time_in_stage.map((r) => ({ ...r, stage: Ecotone.label(r.stage) }));
    Ecotone.chart("velocity-chart", { data: { values: stages }, height: 240, layer: [
      { mark: "rule", encoding: { y: { field: "stage", type: "nominal", sort: null, title: null }, x: { field: "q1", type: "quantitative" }, x2: { field: "q3" } } },
      { mark: { type: "point", filled: true, size: 90 }, encoding: { y: { field: "stage", type: "nominal", sort: null }, x: { field: "median", type: "quantitative", title: "Months in the stage" },
        tooltip: [{ field: "stage", title: "Stage" }, { field: "n", title: "Innovations" }, { field: "censored", title: "Still in it" },
                  { field: "median", title: "Median months" }, { field: "q1", title: "First quartile" }, { field: "q3", title: "Third quartile" }] } }] });
    document.getElementById("bottleneck").textContent = `Bottleneck: ${velo.summary.bottleneck ? Ecotone.label(velo.summary.bottleneck) : "–"} · ${velo.summary.innovations} innovations measured`;
  } else {
    document.getElementById("velocity-chart").innerHTML = '<p class="empty">No stage histories recorded for this hub.</p>';
    document.getElementById("fig-launched").textContent = "–";
  }
  openInnovation(hub);
  // the server answers with this hub's brokers only; the filter is a guard, not the selection
  if (brokers) Ecotone.table("brokers", brokers.brokers.filter((b) => b.group === undefined || b.group === hub.name).slice(0, 10),
    { columns: ["name", "coordinator", "gatekeeper", "representative", "liaison", "total"], links: { name: (r) => `/actors/${r.id}` },
      caption: "Brokers of this hub" });
  Ecotone.chart("compare-chart", { data: { values: hubs.map((h) => ({ ...h, self: h.id === hub.id ? "This hub" : "Others" })) },
    mark: "bar", height: 300, encoding: { y: { field: "name", type: "nominal", sort: "-x", title: null },
      x: { field: "organizations", type: "quantitative", title: "Organisations" },
      color: { field: "self", type: "nominal", title: null, scale: { domain: ["This hub", "Others"], range: [Ecotone.colour("hub", Number(hub.id)), "#d8dde6"] } },
      tooltip: [{ field: "name", title: "Hub" }, { field: "organizations", title: "Organisations" }, { field: "ties_inside", title: "Ties inside" },
                { field: "ties_across", title: "Ties to other hubs" }] } });
});

// The hub's clinical needs (gravest first, the gaps marked) and its challenges, each linked to its page.
async function openInnovation(hub) {
  const [needs, challenges] = await Promise.all([
    Ecotone.api(`/api/v1/clinical-needs?hub=${hub.id}&limit=200`),
    Ecotone.api("/api/v1/challenges")]);
  const gravity = { critical: 0, high: 1, moderate: 2, low: 3 };
  if (needs) {
    const rows = needs.data.slice().sort((a, b) => (gravity[a.severity] ?? 4) - (gravity[b.severity] ?? 4) || a.id - b.id);
    const gaps = rows.filter((n) => !(n.innovation_ids || []).length).length;
    document.getElementById("needs-figures").textContent = rows.length
      ? `${needs.count} need${needs.count === 1 ? "" : "s"} raised here; ${gaps} of ${rows.length} shown are gaps (no innovation addresses them).`
      : "No clinical need is recorded for this hub yet.";
    Ecotone.table("hub-needs", rows.slice(0, 8).map((n) => ({ id: n.id, need: `A way to ${n.problem}`,
        area: n.clinical_area, severity: n.severity, status: n.status,
        addressed: (n.innovation_ids || []).length ? "yes" : "a gap" })),
      { columns: ["need", "area", "severity", "status", "addressed"], links: { need: (r) => `/records/clinical-needs/${r.id}` },
        headers: { addressed: "Addressed" }, formats: { status: (v) => Ecotone.label(v || ""), severity: (v) => v || "" } });
  }
  const mine = ((challenges && challenges.data) || []).filter((c) => c.hub === hub.name);
  Ecotone.table("hub-challenges", mine.map((c) => ({ ...c, prize: c.prize == null ? "" : Ecotone.money(c.prize, c.currency) })),
    { columns: ["name", "sponsor", "prize", "phase", "submissions"], links: { name: (r) => `/challenges/${r.id}` },
      caption: "Run by this hub" });
}
