// The import wizard: preview the chosen files (nothing written), then confirm the import.
"use strict";
(function () {
  async function send(dryRun) {
    const form = document.getElementById("import-form"), body = new FormData();
    for (const file of document.getElementById("files").files) body.append("files", file, file.name);
    body.append("dry_run", dryRun ? "true" : "false");
    const fmt = document.getElementById("fmt").value;
    document.getElementById("confirm").disabled = true;
    const report = await Ecotone.api(`/api/v1/imports/${fmt}`, { method: "POST", body });
    const box = document.getElementById("outcome");
    if (!report) { box.hidden = true; return; }
    box.hidden = false;
    document.getElementById("outcome-title").textContent = dryRun ? "Preview: what the import would do" : "Imported";
    Ecotone.table("report", report.rows, { caption: "Records per kind" });
    document.getElementById("warnings").innerHTML = report.warnings.length ? `<h3>Warnings</h3><ul>${report.warnings.map((w) => `<li>${Ecotone.escape(w)}</li>`).join("")}</ul>` : "";
    document.getElementById("confirm").disabled = !dryRun;
    // An import that wrote something can be taken back whole (its change set)
    const undo = document.getElementById("undo-box");
    undo.hidden = dryRun || !report.change_set;
    undo.dataset.changeSet = report.change_set || "";
    document.getElementById("undone").textContent = "";
    document.getElementById("undo").disabled = false;
  }

  async function undo() {
    const box = document.getElementById("undo-box");
    if (!window.confirm("Undo the whole import? Every record it created goes, every record it changed gets its values back.")) return;
    document.getElementById("undo").disabled = true;
    const done = await Ecotone.api(`/api/v1/change-sets/${box.dataset.changeSet}/undo`, { method: "POST" });
    if (!done) { document.getElementById("undo").disabled = false; return; }
    document.getElementById("outcome-title").textContent = "Imported, then undone";
    document.getElementById("undone").textContent = `Undone: ${done.changes.length.toLocaleString()} changes written back.`;
  }
  document.addEventListener("DOMContentLoaded", () => {
    document.getElementById("import-form").addEventListener("submit", (ev) => { ev.preventDefault(); send(true); });
    document.getElementById("confirm").addEventListener("click", () => send(false));
    document.getElementById("undo").addEventListener("click", undo);
    document.getElementById("files").addEventListener("change", () => { document.getElementById("confirm").disabled = true; });
  });
})();
