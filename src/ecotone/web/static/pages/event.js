// The brokerage-event page: upload the organiser's workbook, schedule the meetings as a job, show the agenda and
// hand out every agenda in one zip.
"use strict";
document.addEventListener("DOMContentLoaded", () => {
  const PRIORITY = { 3: "must meet", 2: "meet", 1: "nice to meet" };
  const said = (r) => ({ "requested by": r.a, meets: r.b, priority: PRIORITY[r.priority] || r.priority, "both asked": r.mutual ? "yes" : "no" });
  const form = document.getElementById("event-form");
  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    const button = form.querySelector("button[type=submit]"), status = document.getElementById("event-status");
    button.disabled = true;
    status.textContent = "Scheduling the meetings…";
    try {
      const job = await Ecotone.api("/api/v1/events", { method: "POST", body: new FormData(form) });
      if (!job) return;
      const result = await Ecotone.poll(job.id, (j) => Ecotone.progress("event-progress", j));
      if (!result) return;
      document.getElementById("event-result").hidden = false;
      const s = result.summary;
      document.getElementById("event-figures").innerHTML = [["scheduled", `${s.scheduled} of ${s.requested}`], ["participants", s.participants],
        ["slots", s.slots], ["tables", s.tables], ["time zone", s.time_zone], ["of the best possible", s.upper_bound ? `${Math.round(100 * s.weighted / s.upper_bound)}%` : "–"], ["schedule found", s.solver]]
        .map(([k, v]) => `<div class="figure"><b>${Ecotone.escape(v)}</b>${k}</div>`).join("");
      document.getElementById("agendas-zip").href = `/api/v1/jobs/${job.id}/agendas.zip`;
      document.getElementById("downloads").innerHTML = result.files.map((f) => `<li><a href="/api/v1/jobs/${job.id}/files/${encodeURI(f)}" download>${Ecotone.escape(f)}</a></li>`).join("");
      Ecotone.table("agenda", result.agenda.map((r) => ({ time: r.time, slot: r.slot, table: r.table, ...said(r) })));
      Ecotone.table("unscheduled", result.unscheduled.map((r) => ({ ...said(r), why: r.reason })));
      document.getElementById("event-result").scrollIntoView({ block: "start" });
    } finally {
      button.disabled = false;
      status.textContent = "";
    }
  });
});
