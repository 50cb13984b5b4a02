// A challenge's results: ranking (normalised and raw), tie-breaks, exclusions, shortlist, winners, follow-up.
"use strict";
document.addEventListener("DOMContentLoaded", async () => {
  const { challenge_id: cid } = Ecotone.pageData();
  const r = await Ecotone.api(`/api/v1/challenges/${cid}/results`);
  if (!r) return;
  const s = r.summary;
  document.querySelector("h1").textContent = `${s.challenge}: results`;
  document.title = `${s.challenge}: results · Ecotone`;
  const normalisation = { z: "z-scores per judge", robust: "robust z-scores (median, MAD) per judge", raw: "none (raw scores)" }[s.normalisation] || s.normalisation;
  const named = s.awarded ? s.winners : s.leading;
  const plural = String(named || "").includes("), ") ? "s" : "";
  document.getElementById("figures").innerHTML = [[s.awarded ? `winner${plural}` : "leading (not awarded yet)", named || "none yet"],
    ["submissions ranked", s.submissions], ["judges", s.judges], ["scores", s.scores], ["normalisation", normalisation],
    ["awarded on", s.awarded_on || "not yet"]].map(([k, v]) => `<div class="figure"><b>${Ecotone.escape(v)}</b>${Ecotone.escape(k)}</div>`).join("");
  const raw = r.ranking.length ? Object.keys(r.ranking[0]).filter((k) => k.startsWith("raw ")) : [];
  const yes = (v) => (v ? "yes" : "");
  const score = (v) => (v === null || v === undefined ? "not scored" : v.toFixed(2));
  Ecotone.table("ranking", r.ranking, {
    columns: ["rank", "title", "organization", "score", "raw", ...raw, "judges", "conflicted", "tie_break", "shortlisted", "winner"],
    headers: { score: "Score (normalised)", raw: "Raw (weighted, 0–10)", judges: "Judges used", conflicted: "Judges excluded", tie_break: "Tie broken by", organization: "Organisation" },
    formats: { winner: yes, shortlisted: yes, score, raw: (v) => (v === null || v === undefined ? "" : v.toFixed(2)), tie_break: (v) => v || "" },
  });
  Ecotone.table("excluded", r.excluded, { columns: ["title", "judge", "reason"], headers: { title: "Submission" } });
  Ecotone.table("notes", r.notes);
  Ecotone.table("judges", r.judges, { columns: ["name", "scored", "mean", "sd", "excluded"],
    headers: { scored: "Submissions scored", mean: "Mean total", sd: "Spread (sd)", excluded: "Recused from" } });
  Ecotone.table("follow-up", r.follow_up, { columns: ["organization", "partner", "introduced_on", "met_on", "pilot_on", "partnered_on", "reached"],
    headers: { organization: "Organisation", introduced_on: "Introduced", met_on: "Met", pilot_on: "Pilot", partnered_on: "Partnership" } });
  Ecotone.table("stages", r.stages, { columns: ["innovation", "stage", "date", "days_after_award", "note"],
    headers: { days_after_award: "Days after the award" } });
});
