// A record's history from the audit trail: who changed what, when, through what, before → after.
"use strict";
async function showHistory() {
  const el = document.getElementById("history");
  if (!el) return;
  const found = await Ecotone.api(`/api/v1/changes?record=${encodeURIComponent(el.dataset.record)}&limit=100`);
  if (!found) return;
  const shown = (v) => (v === null || v === undefined ? "–" : typeof v === "object" ? JSON.stringify(v) : String(v));
  const rows = found.data.map((c) => ({
    when: c.at.slice(0, 16).replace("T", " "), who: c.actor, through: c.via,
    what: c.entity === el.dataset.record.split(":")[0] ? c.action : `${c.action} ${c.entity.replaceAll("_", " ")}`,
    fields: c.erased ? "(erased on request)" : c.action === "update"
      ? Object.keys(c.after).map((k) => `${k}: ${shown(c.before[k])} → ${shown(c.after[k])}`).join("; ")
      : c.action === "create" ? "created" : "deleted",
    note: c.note || "",
  }));
  Ecotone.table(el, rows, { columns: ["when", "who", "through", "what", "fields", "note"], caption: "Changes, newest first" });
}

document.addEventListener("DOMContentLoaded", showHistory);
document.addEventListener("ecotone:saved", showHistory);
