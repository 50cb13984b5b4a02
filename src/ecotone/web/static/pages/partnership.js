// A partnership's scorecard: criteria, verdict, indicators, evaluators' agreement, and the rating form.
"use strict";
(function () {
  const { questions, partnership_id: pid } = Ecotone.pageData();
  async function loadScorecard() {
    const s = await Ecotone.api(`/api/v1/partnerships/${pid}/scorecard`);
    if (!s) return;
    document.querySelector("h1").textContent = s.summary.partnership;
    document.getElementById("figures").innerHTML = [["total", `${Ecotone.format(s.summary.total)} / 5`], ["verdict", Ecotone.label(s.summary.verdict || "").toLowerCase()],
      ["evaluators", s.summary.evaluators], ["partners", s.summary.partners]].map(([k, v]) => `<div class="figure"><b>${Ecotone.escape(v)}</b>${k}</div>`).join("");
    Ecotone.table("criteria", s.criteria);
    Ecotone.table("reasons", s.reasons || []);
    Ecotone.table("indicators", s.indicators, { columns: ["criterion", "indicator", "suggested", "evidence"] });
    Ecotone.table("agreement", s.agreement);
    Ecotone.table("kpis", s.kpis || []);
    if (s.history && s.history.length) Ecotone.chart("score-history", { data: { values: s.history }, height: 200,
      mark: { type: "line", point: true }, encoding: { x: { field: "date", type: "temporal", title: "Date" }, y: { field: "total", type: "quantitative", title: "Total (1–5)", scale: { domain: [1, 5] } } } });
  }
  document.addEventListener("DOMContentLoaded", () => {
    document.querySelector("input[name=date]").valueAsDate = new Date();
    loadScorecard();
    document.getElementById("rating-form").addEventListener("submit", async (ev) => {
      ev.preventDefault();
      const f = new FormData(ev.target);
      const quote = (v) => `"${String(v ?? "").replaceAll('"', '""')}"`;
      const lines = [["Evaluator", "Organisation", "Date", "Question", "Score", "Evidence"].join(",")];
      for (const q of questions) {
        const score = f.get(`score-${q.code}`);
        if (score) lines.push([f.get("evaluator"), f.get("organisation"), f.get("date"), q.code, score, f.get(`evidence-${q.code}`)].map(quote).join(","));
      }
      if (lines.length === 1) { Ecotone.showProblems({ title: "Score at least one question" }); return; }
      const body = new FormData();
      body.append("file", new Blob([lines.join("\n")], { type: "text/csv" }), "ratings.csv");
      const done = await Ecotone.api(`/api/v1/partnerships/${pid}/ratings`, { method: "POST", body });
      if (done) { document.getElementById("rated").textContent = `Recorded ${lines.length - 1} ratings.`; loadScorecard(); }
    });
  });
})();
