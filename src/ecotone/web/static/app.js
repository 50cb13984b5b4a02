// What every page shares: calling the API, showing its problems, tables, Vega-Lite charts, background jobs.
"use strict";
window.Ecotone = (function () {
  // Okabe–Ito first (readable by colour-blind readers), then Tableau's.
  const palette = ["#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#F0E442", "#000000",
                   "#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f", "#edc948", "#b07aa1", "#ff9da7",
                   "#9c755f", "#bab0ac"];

  function escape(text) {
    return String(text ?? "").replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c]));
  }

  function showProblems(problem) {
    const box = document.getElementById("problems");
    if (!box) return;
    if (!problem) { box.innerHTML = ""; return; }
    const rows = (problem.errors || []).map((e) => `<tr>${["file", "sheet", "row", "column", "field", "reason", "hint"]
      .map((k) => `<td>${escape(e[k] ?? "")}</td>`).join("")}</tr>`).join("");
    box.innerHTML = `<div class="problem"><strong>${escape(problem.title || "Something went wrong")}</strong>
      ${problem.detail ? `<p>${escape(problem.detail)}</p>` : ""}
      ${rows ? `<table class="problems"><thead><tr><th>file</th><th>sheet</th><th>row</th><th>column</th><th>field</th><th>reason</th><th>what to do</th></tr></thead><tbody>${rows}</tbody></table>` : ""}</div>`;
    box.scrollIntoView({ block: "nearest" });
  }

  function cookie(name) {
    const found = document.cookie.split("; ").find((c) => c.startsWith(name + "="));
    return found ? decodeURIComponent(found.slice(name.length + 1)) : null;
  }

  async function api(path, options = {}) {
    let response;
    const method = (options.method || "GET").toUpperCase();
    if (!["GET", "HEAD"].includes(method)) {
      // The CSRF token the server handed this page, in a header that no other site's page can set
      const token = cookie("ecotone_csrf");
      if (token) options = { ...options, headers: { ...(options.headers || {}), "x-csrftoken": token } };
    }
    try {
      response = await fetch(path, options);
    } catch (err) {
      showProblems({ title: "The server does not answer", detail: String(err) });
      return null;
    }
    if (options.raw) return response;  // the caller reads it (a form placing each error next to its field)
    const type = response.headers.get("content-type") || "";
    const body = type.includes("json") ? await response.json() : await response.text();
    if (!response.ok) { showProblems(typeof body === "object" ? body : { title: `Error ${response.status}`, detail: body }); return null; }
    showProblems(null);
    return body;
  }

  function format(value) {
    if (value === null || value === undefined) return "";
    if (typeof value === "number") return Number.isInteger(value) ? value.toLocaleString() : value.toLocaleString(undefined, { maximumFractionDigits: 3 });
    if (Array.isArray(value)) return value.join(", ");
    if (typeof value === "object") return JSON.stringify(value);
    return String(value);
  }

  function table(element, rows, { columns, links = {}, caption } = {}) {
    const el = typeof element === "string" ? document.getElementById(element) : element;
    if (!rows || !rows.length) { el.innerHTML = `<p class="empty">${caption ? escape(caption) + ": " : ""}nothing to show.</p>`; return; }
    const cols = columns || Object.keys(rows[0]);
    const head = cols.map((c) => `<th scope="col">${escape(c.replaceAll("_", " "))}</th>`).join("");
    const body = rows.map((r) => `<tr>${cols.map((c) => {
      const text = escape(format(r[c]));
      const numeric = typeof r[c] === "number" ? ' class="num"' : "";
      return `<td${numeric}>${links[c] ? `<a href="${links[c](r)}">${text}</a>` : text}</td>`;
    }).join("")}</tr>`).join("");
    el.innerHTML = `<div class="table-wrap"><table>${caption ? `<caption>${escape(caption)}</caption>` : ""}<thead><tr>${head}</tr></thead><tbody>${body}</tbody></table></div>`;
  }

  async function chart(element, spec) {
    const el = typeof element === "string" ? document.getElementById(element) : element;
    const full = { $schema: "https://vega.github.io/schema/vega-lite/v6.json", width: "container",
                   config: { range: { category: palette }, font: "system-ui, sans-serif" }, ...spec };
    // ast + the vendored interpreter: expressions are evaluated, not compiled with new Function, which the
    // Content-Security-Policy (no 'unsafe-eval') refuses
    return vegaEmbed(el, full, { actions: { export: true, source: false, compiled: false, editor: false }, renderer: "svg",
                                 ast: true, expr: vega.expressionInterpreter });
  }

  // The server's data for this page: a <script type="application/json" id="page-data"> block, never executed.
  function pageData() {
    const el = document.getElementById("page-data");
    return el ? JSON.parse(el.textContent) : {};
  }

  async function poll(jobId, onProgress) {
    for (;;) {
      const job = await api(`/api/v1/jobs/${jobId}`);
      if (!job) return null;
      if (onProgress) onProgress(job);
      if (job.status === "done") return job.result;
      if (job.status === "failed") { showProblems({ title: job.error?.title || "The job failed", errors: job.error?.errors || [] }); return null; }
      await new Promise((r) => setTimeout(r, 400));
    }
  }

  function progress(element, job) {
    const el = typeof element === "string" ? document.getElementById(element) : element;
    el.hidden = false;
    el.value = job.progress;
    el.textContent = `${Math.round(job.progress * 100)}%`;
  }

  document.addEventListener("DOMContentLoaded", () => {
    const out = document.getElementById("sign-out");
    if (out) out.addEventListener("click", async () => {
      if (await api("/logout", { method: "POST" }) !== null) window.location.assign("/");
    });
  });

  return { palette, escape, api, table, chart, poll, progress, showProblems, format, pageData };
})();
