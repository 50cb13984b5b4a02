// A record's history from the audit trail: who changed what, when, through what, before → after; each change can
// be reverted, and an import undone whole.
"use strict";
async function showHistory() {
  const el = document.getElementById("history");
  if (!el) return;
  const found = await Ecotone.api(`/api/v1/changes?record=${encodeURIComponent(el.dataset.record)}&limit=100`);
  if (!found) return;
  const shown = (v) => (v === null || v === undefined ? "–" : typeof v === "object" ? JSON.stringify(v) : String(v));
  const fields = (c) => Object.keys(c.after).filter((k) => k !== "provenance")
    .map((k) => `${k}: ${shown(c.before[k])} → ${shown(c.after[k])}`).join("; ");
  const rows = found.data.map((c) => ({
    id: c.id, change_set: c.change_set, erased: c.erased,
    import: (c.note || "").startsWith("import ") && c.change_set,
    when: c.at.slice(0, 16).replace("T", " "), who: c.actor, through: c.via,
    what: c.entity === el.dataset.record.split(":")[0] ? c.action : `${c.action} ${c.entity.replaceAll("_", " ")}`,
    fields: c.erased ? "(erased on request)" : c.action === "update" ? fields(c) : c.action === "create" ? "created"
      : c.action === "merge" ? `${c.after.merged_from} merged into it` : "deleted",
    note: c.note || "",
  }));
  Ecotone.table(el, rows, { columns: ["when", "who", "through", "what", "fields", "note"], caption: "Changes, newest first" });
  const head = el.querySelector("thead tr");
  if (!head) return;
  head.insertAdjacentHTML("beforeend", '<th scope="col">undo</th>');
  el.querySelectorAll("tbody tr").forEach((tr, n) => {
    const r = rows[n];
    const buttons = r.erased ? "" : `<button type="button" data-revert="${r.id}">Revert</button>` +
      (r.import ? ` <button type="button" data-undo="${Ecotone.escape(r.change_set)}">Undo this import</button>` : "");
    tr.insertAdjacentHTML("beforeend", `<td class="acts">${buttons}</td>`);
  });
}

async function undoFromHistory(ev) {
  const button = ev.target.closest("button[data-revert], button[data-undo]");
  if (!button) return;
  const whole = button.dataset.undo !== undefined;
  const question = whole ? "Undo the whole import? Every record it created goes, every record it changed gets its values back."
    : "Revert this change? The record gets back the values it had before (a deleted record comes back with what went with it).";
  if (!window.confirm(question)) return;
  button.disabled = true;
  const done = await Ecotone.api(whole ? `/api/v1/change-sets/${button.dataset.undo}/undo` : `/api/v1/changes/${button.dataset.revert}/revert`,
                                 { method: "POST" });
  if (!done) { button.disabled = false; return; }
  // The page shows the record as it was read: read it again, with this undo at the top of its history
  window.location.reload();
}

document.addEventListener("DOMContentLoaded", () => {
  showHistory();
  const el = document.getElementById("history");
  if (el) el.addEventListener("click", undoFromHistory);
});
document.addEventListener("ecotone:saved", showHistory);
