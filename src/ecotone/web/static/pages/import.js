// The import wizard: preview the chosen files (nothing written), map the Kumu types Ecotone does not know to its
// own words, then confirm the import.
"use strict";
(function () {
  const words = (v) => (Ecotone.label || ((x) => { const t = String(x ?? "").replaceAll("_", " "); return t.charAt(0).toUpperCase() + t.slice(1); }))(v);
  const WHAT = { types: { title: "Element types", one: "stakeholder type" }, kinds: { title: "Connection types", one: "tie kind" } };
  // The mapping in force for the chosen files: sent with the preview and with the import, dropped with the files.
  let mapping = { types: {}, kinds: {} };
  let lastDryRun = true;

  const mapped = () => Object.keys(mapping.types).length + Object.keys(mapping.kinds).length > 0;

  async function send(dryRun) {
    lastDryRun = dryRun;
    const body = new FormData();
    for (const file of document.getElementById("files").files) body.append("files", file, file.name);
    body.append("dry_run", dryRun ? "true" : "false");
    const fmt = document.getElementById("fmt").value;
    if (fmt === "kumu" && mapped()) body.append("mapping", JSON.stringify(mapping));
    document.getElementById("confirm").disabled = true;
    document.getElementById("apply-mapping").disabled = true;
    const response = await Ecotone.api(`/api/v1/imports/${fmt}`, { method: "POST", body, raw: true });
    document.getElementById("apply-mapping").disabled = false;
    const box = document.getElementById("outcome");
    if (!response) { box.hidden = true; return; }
    const type = response.headers.get("content-type") || "";
    const report = type.includes("json") ? await response.json() : { title: `Error ${response.status}`, detail: await response.text() };
    if (!response.ok) { box.hidden = true; refused(report); return; }
    Ecotone.showProblems(null);
    document.getElementById("mapping").hidden = true;
    box.hidden = false;
    document.getElementById("outcome-title").textContent = dryRun ? "Preview: what the import would do" : "Imported";
    showApplied(report.mapping || {});
    Ecotone.table("report", report.rows.map((r) => ({ ...r, record: words(r.record) })), { caption: "Records per kind" });
    document.getElementById("warnings").innerHTML = report.warnings.length ? `<h3>Warnings</h3><ul>${report.warnings.map((w) => `<li>${Ecotone.escape(w)}</li>`).join("")}</ul>` : "";
    document.getElementById("confirm").disabled = !dryRun;
    // An import that wrote something can be taken back whole (its change set)
    const undo = document.getElementById("undo-box");
    undo.hidden = dryRun || !report.change_set;
    undo.dataset.changeSet = report.change_set || "";
    document.getElementById("undone").textContent = "";
    document.getElementById("undo").disabled = false;
  }

  // What the preview (or the import) read as what: the mapping the server applied.
  function showApplied(applied) {
    const rows = [];
    for (const vocabulary of ["types", "kinds"]) {
      for (const [from, to] of Object.entries(applied[vocabulary] || {})) {
        rows.push(`<li>${Ecotone.escape(from)} → <strong>${Ecotone.escape(words(to))}</strong> <span class="muted">(${WHAT[vocabulary].one})</span></li>`);
      }
    }
    document.getElementById("applied").innerHTML = rows.length ? `<h3>Read with your mapping</h3><ul id="applied-list">${rows.join("")}</ul>` : "";
  }

  // A refused import: its problems by file, row and column; when they are words Ecotone does not know, a choice
  // of its own words for each.
  function refused(problem) {
    const unknown = problem.unknown || {};
    const errors = (problem.errors || []).map((e) => e.vocabulary
      ? { ...e, hint: `choose the ${WHAT[e.vocabulary].one} it stands for under “Words Ecotone does not know”` } : e);
    Ecotone.showProblems({ ...problem, errors });
    const panel = document.getElementById("mapping");
    const any = Object.keys(unknown).length > 0;
    panel.hidden = !any;
    if (!any) return;
    for (const vocabulary of ["types", "kinds"]) {
      const el = document.getElementById(`mapping-${vocabulary}`);
      const found = unknown[vocabulary];
      if (!found) { el.innerHTML = ""; continue; }
      const rows = found.values.map((v, i) => {
        const chosen = mapping[vocabulary][v.value] || v.suggestion || "";
        const options = [`<option value="">choose a ${WHAT[vocabulary].one}…</option>`, ...found.choices.map((c) =>
          `<option value="${Ecotone.escape(c.value)}"${c.value === chosen ? " selected" : ""}>${Ecotone.escape(words(c.value) || c.label)}</option>`)];
        const id = `map-${vocabulary}-${i}`;
        return `<tr><th scope="row"><label for="${id}">${Ecotone.escape(v.value)}</label></th><td class="num">${v.rows.toLocaleString()}</td>
          <td><select id="${id}" data-vocabulary="${vocabulary}" data-value="${Ecotone.escape(v.value)}">${options.join("")}</select></td></tr>`;
      }).join("");
      el.innerHTML = `<div class="table-wrap"><table><caption>${WHAT[vocabulary].title} in your files</caption>
        <thead><tr><th scope="col">in your files</th><th scope="col">rows</th><th scope="col">read as</th></tr></thead><tbody>${rows}</tbody></table></div>`;
    }
    document.getElementById("mapping-status").textContent = "";
    panel.scrollIntoView({ block: "nearest" });
  }

  // The choices made in the panel, added to the mapping in force; the files are sent again with it.
  function applyMapping() {
    const status = document.getElementById("mapping-status");
    const open = [];
    const next = { types: { ...mapping.types }, kinds: { ...mapping.kinds } };
    for (const select of document.querySelectorAll("#mapping select")) {
      if (select.value) next[select.dataset.vocabulary][select.dataset.value] = select.value;
      else open.push(select.dataset.value);
    }
    if (open.length) {
      status.textContent = `Choose what ${open.map((v) => `“${v}”`).join(", ")} stand${open.length === 1 ? "s" : ""} for, or correct the file and choose it again.`;
      return;
    }
    status.textContent = "";
    mapping = next;
    send(lastDryRun);
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

  function newFiles() {
    mapping = { types: {}, kinds: {} };
    document.getElementById("confirm").disabled = true;
    document.getElementById("mapping").hidden = true;
  }

  document.addEventListener("DOMContentLoaded", () => {
    document.getElementById("import-form").addEventListener("submit", (ev) => { ev.preventDefault(); send(true); });
    document.getElementById("confirm").addEventListener("click", () => send(false));
    document.getElementById("apply-mapping").addEventListener("click", applyMapping);
    document.getElementById("undo").addEventListener("click", undo);
    document.getElementById("files").addEventListener("change", newFiles);
    document.getElementById("fmt").addEventListener("change", newFiles);
  });
})();
