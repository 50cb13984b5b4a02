// The brokerage-event page: upload the organiser's workbook, schedule the meetings as a job, show the agenda.
"use strict";
document.addEventListener("DOMContentLoaded", () => {
  document.getElementById("event-form").addEventListener("submit", async (ev) => {
    ev.preventDefault();
    const job = await Ecotone.api("/api/v1/events", { method: "POST", body: new FormData(ev.target) });
    if (!job) return;
    const result = await Ecotone.poll(job.id, (j) => Ecotone.progress("event-progress", j));
    if (!result) return;
    document.getElementById("event-result").hidden = false;
    const s = result.summary;
    document.getElementById("event-figures").innerHTML = [["scheduled", `${s.scheduled} of ${s.requested}`], ["participants", s.participants],
      ["slots", s.slots], ["tables", s.tables], ["time zone", s.time_zone], ["of the upper bound", s.upper_bound ? `${Math.round(100 * s.weighted / s.upper_bound)}%` : "–"], ["solver", s.solver]]
      .map(([k, v]) => `<div class="figure"><b>${Ecotone.escape(v)}</b>${k}</div>`).join("");
    document.getElementById("downloads").innerHTML = result.files.map((f) => `<li><a href="/api/v1/jobs/${job.id}/files/${encodeURI(f)}">${Ecotone.escape(f)}</a></li>`).join("");
    Ecotone.table("agenda", result.agenda, { columns: ["time", "slot", "table", "a", "b", "priority", "mutual"] });
    Ecotone.table("unscheduled", result.unscheduled);
  });
});
