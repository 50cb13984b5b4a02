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
    .map((k) => `${Ecotone.label(k)}: ${shown(c.before[k])} → ${shown(c.after[k])}`).join("; ");
  const rows = found.data.map((c) => ({
    id: c.id, change_set: c.change_set, erased: c.erased, created: c.action === "create" && c.entity === el.dataset.record.split(":")[0],
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
  head.insertAdjacentHTML("beforeend", '<th scope="col">Undo</th>');
  el.querySelectorAll("tbody tr").forEach((tr, n) => {
    const r = rows[n];
    const buttons = r.erased ? "" : (r.created ? `<button type="button" class="danger" data-revert="${r.id}" data-creation>Undo creation…</button>`
      : `<button type="button" data-revert="${r.id}">Revert</button>`) +
      (r.import ? ` <button type="button" data-undo="${Ecotone.escape(r.change_set)}">Undo this import</button>` : "");
    tr.insertAdjacentHTML("beforeend", `<td class="acts">${buttons}</td>`);
  });
}

// A list page's panel of the records of its kind deleted lately, each with a Restore button.
async function showDeleted() {
  const el = document.getElementById("deleted");
  if (!el) return;
  const found = await Ecotone.api(`/api/v1/changes?kind=${encodeURIComponent(el.dataset.kind)}&action=delete&gone=true&limit=200`);
  if (!found) return;
  // what went with another record's deletion comes back with it: only the deletions asked for are offered
  const rows = found.data.filter((c) => !(c.note || "").startsWith("with ") && !c.erased).slice(0, 20).map((c) => ({
    id: c.id, name: c.before.name || c.before.label || `${Ecotone.label(c.entity)} ${c.record_id}`,
    when: c.at.slice(0, 16).replace("T", " "), who: c.actor, note: c.note || "" }));
  Ecotone.table(el, rows, { columns: ["name", "when", "who", "note"], caption: "Deleted, newest first" });
  el.querySelectorAll("tbody tr").forEach((tr, n) => tr.insertAdjacentHTML("beforeend",
    `<td class="acts"><button type="button" data-revert="${rows[n].id}" data-restore>Restore</button></td>`));
  const head = el.querySelector("thead tr");
  if (head) head.insertAdjacentHTML("beforeend", '<th scope="col">Undo</th>');
}

async function undoFromHistory(ev) {
  const button = ev.target.closest("button[data-revert], button[data-undo]");
  if (!button) return;
  const whole = button.dataset.undo !== undefined;
  const question = whole ? "Undo the whole import? Every record it created goes, every record it changed gets its values back."
    : button.dataset.restore !== undefined ? "Restore this record, with what its deletion took with it?"
    : button.dataset.creation !== undefined ? "Undo its creation? This DELETES the record, and what hangs from it (its ties, people, innovations…) goes with it; its history can restore it."
    : "Revert this change? The record gets back the values it had before (a deleted record comes back with what went with it).";
  if (!window.confirm(question)) return;
  button.disabled = true;
  const done = await Ecotone.api(whole ? `/api/v1/change-sets/${button.dataset.undo}/undo` : `/api/v1/changes/${button.dataset.revert}/revert`,
                                 { method: "POST" });
  if (!done) { button.disabled = false; return; }
  // The page shows the record as it was read: read it again, with this undo at the top of its history (a creation
  // undone leaves no record to show: back to its kind's list, which says so)
  if (button.dataset.creation !== undefined) {
    const [entity] = document.getElementById("history").dataset.record.split(":");
    window.location.assign(`/records/${plural(entity)}`);
  } else window.location.reload();
}

function plural(entity) {  // the API's and the registry's name of a kind (api/schemas.py plural)
  const word = entity.replaceAll("_", "-");
  return word === "person" ? "people" : word.endsWith("y") && !word.endsWith("ey") ? word.slice(0, -1) + "ies" : word + "s";
}

document.addEventListener("DOMContentLoaded", () => {
  showHistory();
  showDeleted();
  for (const id of ["history", "deleted"]) {
    const el = document.getElementById(id);
    if (el) el.addEventListener("click", undoFromHistory);
  }
});
document.addEventListener("ecotone:saved", showHistory);
