// An actor's page: its ties, its innovations' stages, partner recommendations and the edit form.
"use strict";
document.addEventListener("DOMContentLoaded", () => {
  const { card, org_id: id, may_write } = Ecotone.pageData();
  Ecotone.table("ties", card.tie_rows, { columns: ["source", "target", "kind", "directed", "weight", "start", "end", "status"],
    links: { source: (r) => `/actors/${r.source_id}`, target: (r) => `/actors/${r.target_id}` } });
  const stages = ["idea", "prototype", "clinical_validation", "regulatory_approval", "market_launch", "scale", "cross_border", "stopped"];
  const steps = card.innovation_stages.filter((s) => s.since);
  if (steps.length) {
    const inWords = steps.map((s) => ({ ...s, stage: Ecotone.label(s.stage) }));
    Ecotone.chart("timeline", { data: { values: inWords }, height: 220, mark: { type: "line", point: { size: 70 }, interpolate: "step-after" },
      encoding: { x: { field: "since", type: "temporal", title: null }, y: { field: "stage", type: "ordinal", sort: stages.map(Ecotone.label), title: null },
                  color: { field: "innovation", type: "nominal", title: "Innovation" },
                  tooltip: [{ field: "innovation", title: "Innovation" }, { field: "stage", title: "Stage" }, { field: "since", type: "temporal", title: "Since" }] } });
  } else {
    Ecotone.table("timeline", card.innovation_stages, { caption: "No stage history recorded" });
  }
  const today = () => new Date().toISOString().slice(0, 10);
  const json = (method, body, headers = {}) => ({ method, headers: { "content-type": "application/json", ...headers }, body: JSON.stringify(body) });
  // A recommendation acted on: an introduction recorded, or a proposed tie added, from its row
  const act = {
    introduce: (partner, rec) => Ecotone.api("/api/v1/introductions", json("POST", { organization_id: id, partner_id: partner,
      introduced_on: today(), note: `Recommended partner (rank ${rec.rank}, score ${Ecotone.format(rec.score)})` })),
    tie: (partner) => Ecotone.api("/api/v1/ties", json("POST", { source_id: id, target_id: partner, kind: "partnership",
      status: "proposed", evidence: "partner recommendation" })),
  };
  let recommended = [];
  document.getElementById("rec-form").addEventListener("submit", async (ev) => {
    ev.preventDefault();
    const box = document.getElementById("recommendations");
    box.innerHTML = "<p>Finding partners…</p>";
    const stage = document.getElementById("rec-stage").value;
    const data = await Ecotone.api(`/api/v1/recommendations?organization=${id}&cross_border=${document.getElementById("cross").value}` +
                                   (stage ? `&stage=${encodeURIComponent(stage)}` : ""));
    if (!data) { box.innerHTML = ""; return; }
    recommended = data.recommendations;
    Ecotone.table(box, recommended, { columns: ["rank", "partner", "type", "hub", "score", "explanation"] });
    if (!may_write) return;
    const rows = box.querySelectorAll("tbody tr");
    const head = box.querySelector("thead tr");
    if (head) head.insertAdjacentHTML("beforeend", '<th scope="col">Act on it</th>');
    recommended.forEach((rec, n) => {
      const cell = rec.partner_kind === "organization"
        ? `<button type="button" data-act="introduce" data-row="${n}">Introduce</button> <button type="button" data-act="tie" data-row="${n}">Add tie</button>`
        : "";
      rows[n].insertAdjacentHTML("beforeend", `<td class="acts">${cell}</td>`);
    });
  });
  document.getElementById("recommendations").addEventListener("click", async (ev) => {
    const button = ev.target.closest("button[data-act]");
    if (!button) return;
    const rec = recommended[Number(button.dataset.row)];
    button.disabled = true;
    const made = await act[button.dataset.act](rec.partner_id, rec);
    if (!made) { button.disabled = false; return; }
    const link = button.dataset.act === "tie" ? `/records/ties/${made.id}` : `/records/introductions/${made.id}`;
    button.outerHTML = `<a href="${link}">${button.dataset.act === "tie" ? "Tie proposed" : "Introduced"} ✓</a>`;
  });
  const editForm = document.getElementById("edit-form");  // only for those who may change the atlas
  if (editForm) {
    let version = card.version;
    const values = (form) => {
      const body = {};
      for (const [k, v] of new FormData(form).entries()) {
        if (k === "needs" || k === "offers") body[k] = v.split(",").map((s) => s.trim()).filter(Boolean);
        else if (k === "hub_id") body[k] = v ? Number(v) : null;
        else body[k] = v === "" ? null : v;
      }
      return body;
    };
    let opened = values(editForm);
    editForm.addEventListener("submit", async (ev) => {
      ev.preventDefault();
      const now = values(ev.target), changed = {};
      // Only the fields changed here, and only over the version this page read: never someone else's edit unseen
      for (const k of Object.keys(now)) if (JSON.stringify(now[k]) !== JSON.stringify(opened[k])) changed[k] = now[k];
      if (!Object.keys(changed).length) { document.getElementById("saved").textContent = "Nothing changed."; return; }
      const saved = await Ecotone.api(`/api/v1/organizations/${id}`, json("PATCH", changed, { "If-Match": `"v${version}"` }));
      document.getElementById("saved").textContent = saved ? "Saved." : "Not saved: see above.";
      if (!saved) return;
      version = saved.version;
      opened = now;
      document.querySelector("h1").textContent = saved.name;
      document.dispatchEvent(new CustomEvent("ecotone:saved"));  // the history panel shows the change
    });
  }
});
