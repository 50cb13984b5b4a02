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
  }
  document.addEventListener("DOMContentLoaded", () => {
    document.getElementById("import-form").addEventListener("submit", (ev) => { ev.preventDefault(); send(true); });
    document.getElementById("confirm").addEventListener("click", () => send(false));
    document.getElementById("files").addEventListener("change", () => { document.getElementById("confirm").disabled = true; });
  });
})();
