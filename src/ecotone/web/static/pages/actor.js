// An actor's page: its ties, its innovations' stages, partner recommendations and the edit form.
"use strict";
document.addEventListener("DOMContentLoaded", () => {
  const { card, org_id: id } = Ecotone.pageData();
  Ecotone.table("ties", card.tie_rows, { columns: ["source", "target", "kind", "directed", "weight", "start", "end", "status"],
    links: { source: (r) => `/actors/${r.source_id}`, target: (r) => `/actors/${r.target_id}` } });
  const stages = ["idea", "prototype", "clinical_validation", "regulatory_approval", "market_launch", "scale", "cross_border", "stopped"];
  const steps = card.innovation_stages.filter((s) => s.since);
  if (steps.length) {
    Ecotone.chart("timeline", { data: { values: steps }, height: 220, mark: { type: "line", point: { size: 70 }, interpolate: "step-after" },
      encoding: { x: { field: "since", type: "temporal", title: null }, y: { field: "stage", type: "ordinal", sort: stages, title: null },
                  color: { field: "innovation", type: "nominal" }, tooltip: [{ field: "innovation" }, { field: "stage" }, { field: "since", type: "temporal" }] } });
  } else {
    Ecotone.table("timeline", card.innovation_stages, { caption: "No stage history recorded" });
  }
  document.getElementById("rec-form").addEventListener("submit", async (ev) => {
    ev.preventDefault();
    document.getElementById("recommendations").innerHTML = "<p>Finding partners…</p>";
    const data = await Ecotone.api(`/api/v1/recommendations?organization=${id}&cross_border=${document.getElementById("cross").value}`);
    if (data) Ecotone.table("recommendations", data.recommendations, { columns: ["rank", "partner", "type", "hub", "score", "explanation"] });
    else document.getElementById("recommendations").innerHTML = "";
  });
  const editForm = document.getElementById("edit-form");  // only for those who may change the atlas
  if (editForm) editForm.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    const form = new FormData(ev.target), body = {};
    for (const [k, v] of form.entries()) {
      if (k === "needs" || k === "offers") body[k] = v.split(",").map((s) => s.trim()).filter(Boolean);
      else if (k === "hub_id") body[k] = v ? Number(v) : null;
      else body[k] = v === "" ? null : v;
    }
    const saved = await Ecotone.api(`/api/v1/organizations/${id}`, { method: "PATCH", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
    document.getElementById("saved").textContent = saved ? "Saved." : "";
    if (saved) document.querySelector("h1").textContent = saved.name;
    if (saved) document.dispatchEvent(new CustomEvent("ecotone:saved"));  // the history panel shows the change
  });
});
