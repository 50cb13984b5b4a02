// A judge's scoring form: one row per submission, a field per criterion; conflicted rows greyed with the reason.
"use strict";
(function () {
  const { challenge_id: cid, judge_id: given } = Ecotone.pageData();
  let sheet = null;

  function judgeId() {
    const pick = document.getElementById("judge");
    return pick ? pick.value : given;
  }

  async function load() {
    const id = judgeId();
    sheet = await Ecotone.api(`/api/v1/challenges/${cid}/scoring${id ? `?judge=${encodeURIComponent(id)}` : ""}`);
    const box = document.getElementById("sheet");
    if (!sheet) { box.innerHTML = ""; document.getElementById("save").disabled = true; return; }
    document.querySelector("h1").textContent = `${sheet.challenge}: scores of ${sheet.judge}`;
    const closed = document.getElementById("closed");
    closed.hidden = !sheet.closed;
    closed.textContent = sheet.closed ? `Scores are no longer taken: ${sheet.closed}.` : "";
    document.getElementById("save").disabled = !!sheet.closed;
    const head = sheet.rubric.map((c) => `<th scope="col">${Ecotone.escape(c.criterion)} <small>(${Math.round(c.share * 100)}%)</small></th>`).join("");
    const rows = sheet.rows.map((r) => {
      const cells = sheet.rubric.map((c) => {
        const value = r.scores[c.criterion];
        const name = `Score of ${r.title} on ${c.criterion}`;
        return `<td><input type="number" min="0" max="10" step="0.5" data-submission="${r.submission_id}" data-criterion="${Ecotone.escape(c.criterion)}"
          value="${value === null || value === undefined ? "" : value}" aria-label="${Ecotone.escape(name)}" ${r.conflict || sheet.closed ? "disabled" : ""}></td>`;
      }).join("");
      const why = r.conflict ? `<br><small class="reason">Not yours to score: ${Ecotone.escape(r.conflict)}</small>` : "";
      return `<tr class="${r.conflict ? "conflicted" : ""}" data-submission="${r.submission_id}"><th scope="row">${Ecotone.escape(r.title)}${why}</th><td>${Ecotone.escape(r.organization)}</td>${cells}</tr>`;
    }).join("");
    box.innerHTML = sheet.rows.length
      ? `<div class="table-wrap"><table class="scoring"><thead><tr><th scope="col">Submission</th><th scope="col">Organisation</th>${head}</tr></thead><tbody>${rows}</tbody></table></div>`
      : `<p class="empty">No submissions to score yet.</p>`;
  }

  document.addEventListener("DOMContentLoaded", () => {
    if (!document.getElementById("score-form")) return;  // not a judge here: the page says why, in words
    load();
    const pick = document.getElementById("judge");
    if (pick) pick.addEventListener("change", load);
    document.getElementById("score-form").addEventListener("submit", async (ev) => {
      ev.preventDefault();
      if (!sheet) return;
      const scores = [...document.querySelectorAll("#sheet input:not([disabled])")].filter((i) => i.value !== "")
        .map((i) => ({ judge: String(sheet.judge_id), submission: i.dataset.submission, criterion: i.dataset.criterion, value: Number(i.value) }));
      if (!scores.length) { Ecotone.showProblems({ title: "Enter at least one score" }); return; }
      const done = await Ecotone.api(`/api/v1/challenges/${cid}/scores`, { method: "POST",
        headers: { "content-type": "application/json" }, body: JSON.stringify({ scores }) });
      if (done) document.getElementById("saved").textContent = `Saved ${done.count} score${done.count === 1 ? "" : "s"}.`;
    });
  });
})();
