// A challenge: the needs it answers, prize, timeline, eligibility, rubric, submissions and judges.
"use strict";
document.addEventListener("DOMContentLoaded", async () => {
  const { challenge_id: cid } = Ecotone.pageData();
  const c = await Ecotone.api(`/api/v1/challenges/${cid}`);
  if (!c) return;
  document.querySelector("h1").textContent = c.name;
  document.title = `${c.name} · Ecotone`;
  const figures = [["prize", Ecotone.money(c.prize, c.currency) || "none stated"], ["kind", Ecotone.label(c.kind)],
    ["sponsor", c.sponsor || "not named"], ["stands", c.phase], ["submissions", c.submissions.length],
    ["winners", c.winners], ["shortlist", c.shortlist || "none"]];
  document.getElementById("figures").innerHTML = figures.map(([k, v]) => `<div class="figure"><b>${Ecotone.escape(v)}</b>${k}</div>`).join("");
  document.getElementById("description").textContent = c.description || "";
  document.getElementById("eligibility").textContent = c.eligibility || "Anyone may enter (no eligibility is stated).";
  Ecotone.table("needs", c.needs, { columns: ["statement", "clinical_area"], headers: { statement: "Need" } });
  Ecotone.table("timeline", c.timeline);
  Ecotone.table("rubric", c.rubric, { columns: ["criterion", "weight", "share", "description"],
    formats: { share: (v) => `${Math.round(v * 100)}%`, criterion: (v) => v } });
  Ecotone.table("submissions", c.submissions, { columns: ["title", "organization", "innovation", "submitted_on", "status"],
    headers: { submitted_on: "Submitted on" } });
  Ecotone.table("judges", c.judges, { columns: ["name", "organization", "conflicts", "declared_on"],
    headers: { organization: "Works for", conflicts: "Declared conflicts", declared_on: "Declared on" } });
  if (c.judges.some((j) => j.mine) || c.may_manage) {
    const link = document.getElementById("score-link");
    link.innerHTML = ` · <a href="/challenges/${cid}/score">Score the submissions</a>`;
  }
});
