// What every page shares: calling the API, showing its problems, tables, Vega-Lite charts, background jobs, and how
// the vocabularies look (one colour per stakeholder type and helix, labels in words, money).
"use strict";
window.Ecotone = (function () {
  // Okabe–Ito first (readable by colour-blind readers), then Tableau's: for charts of anything but type and helix.
  const palette = ["#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#F0E442", "#000000",
                   "#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f", "#edc948", "#b07aa1", "#ff9da7",
                   "#9c755f", "#bab0ac"];

  // The display tables of ecotone.domain.display, embedded by base.html before this script: one source of truth.
  const display = (() => {
    const el = document.getElementById("ecotone-display");
    try { return el ? JSON.parse(el.textContent) : {}; } catch (err) { return {}; }
  })();
  const colours = { type: display.type || {}, helix: display.helix || {} };
  const order = { type: display.type_order || Object.keys(colours.type), helix: Object.keys(colours.helix) };
  const hashed = display.palette || palette;
  const noneColour = display.none || "#9AA3B2";
  const words = display.words || {};
  const SNAKE = /^[a-z0-9]+(?:_[a-z0-9]+)*$/;

  // 32-bit FNV-1a of the text's UTF-8 bytes, as display._fnv1a computes it: the same hub, the same colour everywhere
  function fnv1a(text) {
    let h = 0x811c9dc5;
    for (const byte of new TextEncoder().encode(text)) h = Math.imul(h ^ byte, 0x01000193) >>> 0;
    return h >>> 0;
  }

  function tableOf(attribute) {
    return attribute === "type" || attribute === "stakeholder_type" ? colours.type : attribute === "helix" ? colours.helix : null;
  }

  // The colour of a value of an attribute: fixed for type and helix, a stable palette colour for anything else.
  function colour(attribute, value) {
    if (value === null || value === undefined || value === "") return noneColour;
    // a hub by its id: the palette in id order, so the first hubs never share a colour (display.colour does the same)
    if (attribute === "hub" && Number.isInteger(value)) return hashed[(((value - 1) % hashed.length) + hashed.length) % hashed.length];
    const text = String(value), table = tableOf(attribute);
    if (table) {
      const key = text.trim().toLowerCase().replace(/[- ]/g, "_");
      return table[key] || (table === colours.type ? (colours.type.other || noneColour) : noneColour);
    }
    return hashed[fnv1a(text) % hashed.length];
  }

  // A vocabulary value in words ("clinical_validation" → "Clinical validation"); other text stays as it is.
  function label(value) {
    if (value === null || value === undefined) return "";
    const text = String(value);
    if (!SNAKE.test(text)) return text;
    if (words[text]) return words[text];
    const parts = text.split("_").map((w) => words[w] || w);
    if (parts[0] === parts[0].toLowerCase()) parts[0] = parts[0].charAt(0).toUpperCase() + parts[0].slice(1);
    return parts.join(" ");
  }

  // Half away from zero, on the number's exact value, as display.money rounds (Decimal ROUND_HALF_UP)
  const fixed = (x, digits) => {
    const text = Math.abs(x).toFixed(digits);
    return (x < 0 && Number(text) !== 0 ? "-" : "") + text;
  };

  // Money read at a glance: "EUR 1.5 bn", "EUR 12.3 M", "EUR 350 k", "EUR 900" (display.money does the same).
  function money(amount, currency = "EUR") {
    if (amount === null || amount === undefined || amount === "") return "";
    const v = Number(amount);
    if (Number.isNaN(v)) return "";
    const code = String(currency || "EUR").trim().toUpperCase(), size = Math.abs(v);
    let text;
    if (size >= 999_950_000) text = `${fixed(v / 1e9, 1)} bn`;
    else if (size >= 999_950) text = `${fixed(v / 1e6, 1)} M`;
    else if (size >= 9_999.5) text = Math.abs(Number(fixed(v / 1e3, 0))) >= 1000 ? `${fixed(v / 1e6, 1)} M` : `${fixed(v / 1e3, 0)} k`;
    else if (size >= 999.5) text = `${fixed(v / 1e3, 1)} k`;
    else text = fixed(v, 0);
    return `${code} ${text}`;
  }

  // A Vega-Lite colour scale with the fixed colours: domain = the vocabulary (or the values given, in its order),
  // range = their colours. words: true when the chart's data holds the values in words (Ecotone.label).
  function scale(attribute, { values, words: inWords = false } = {}) {
    const known = order[attribute === "stakeholder_type" ? "type" : attribute];
    let domain;
    if (known && known.length) {
      const present = values ? new Set([...values].map((v) => String(v).trim().toLowerCase().replace(/[- ]/g, "_"))) : null;
      const byWords = values ? new Set([...values].map(String)) : null;
      domain = known.filter((v) => !present || present.has(v) || byWords.has(label(v)));
    } else {
      domain = [...new Set([...(values || [])].map(String))];
    }
    return { domain: inWords ? domain.map(label) : domain, range: domain.map((v) => colour(attribute, v)) };
  }

  // Legend rows for an attribute: [{value, label, colour}], in the vocabulary's order.
  function legend(attribute, values) {
    return scale(attribute, { values }).domain.map((v) => ({ value: v, label: label(v), colour: colour(attribute, v) }));
  }

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
      // no-cache: a page come back to (Back) asks again, cheaply (ETag, 304), instead of showing what it read before
      response = await fetch(path, { cache: "no-cache", ...options });
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
    if (typeof value === "boolean") return value ? "yes" : "no";
    if (typeof value === "number") return Number.isInteger(value) ? value.toLocaleString() : value.toLocaleString(undefined, { maximumFractionDigits: 3 });
    if (Array.isArray(value)) return value.join(", ");
    if (typeof value === "object") return JSON.stringify(value);
    return String(value);
  }

  // Columns whose values are vocabulary: a table shows them in words (Clinical validation, not clinical_validation).
  const VOCABULARY_COLUMNS = new Set(["type", "helix", "stage", "kind", "round", "round_type", "status", "role", "visibility",
                                      "size", "quadrant", "criterion", "verdict", "owner_kind", "hub_kind", "direction",
                                      "partner_type", "partner_kind", "entity", "action", "bottleneck", "stakeholder_type"]);

  // A table of rows. columns: which, in order; headers: {column: title} (else the column in words); links:
  // {column: row => href}; formats: {column: (value, row) => text} (e.g. money); vocabulary columns read in words.
  function table(element, rows, { columns, links = {}, caption, headers = {}, formats = {} } = {}) {
    const el = typeof element === "string" ? document.getElementById(element) : element;
    if (!rows || !rows.length) { el.innerHTML = `<p class="empty">${caption ? escape(caption) + ": " : ""}nothing to show.</p>`; return; }
    const cols = columns || Object.keys(rows[0]);
    const head = cols.map((c) => `<th scope="col">${escape(headers[c] ?? label(c))}</th>`).join("");
    const shown = (c, r) => formats[c] ? formats[c](r[c], r)
      : VOCABULARY_COLUMNS.has(c) ? (Array.isArray(r[c]) ? r[c].map(label).join(", ") : label(format(r[c]))) : format(r[c]);
    const body = rows.map((r) => `<tr>${cols.map((c) => {
      const text = escape(shown(c, r));
      const numeric = typeof r[c] === "number" ? ' class="num"' : "";
      return `<td${numeric}>${links[c] ? `<a href="${links[c](r)}">${text}</a>` : text}</td>`;
    }).join("")}</tr>`).join("");
    el.innerHTML = `<div class="table-wrap"><table>${caption ? `<caption>${escape(caption)}</caption>` : ""}<thead><tr>${head}</tr></thead><tbody>${body}</tbody></table></div>`;
    // a table wider than its panel scrolls: reachable and named for the keyboard
    const wrap = el.querySelector(".table-wrap");
    if (wrap.scrollWidth > wrap.clientWidth + 1 || wrap.scrollHeight > wrap.clientHeight + 1) {
      wrap.tabIndex = 0;
      wrap.setAttribute("role", "region");
      wrap.setAttribute("aria-label", caption || "table (scrolls)");
    }
  }

  // Every chart that colours by type or helix without a scale of its own gets the fixed colours: the values its
  // data holds (raw or in words), in the vocabulary's order.
  function fixColours(spec, inherited) {
    const values = spec.data && Array.isArray(spec.data.values) ? spec.data.values : inherited;
    const color = spec.encoding && spec.encoding.color;
    if (color && color.field && !color.scale && tableOf(color.field) && color.type !== "quantitative") {
      const seen = values ? values.map((d) => d[color.field]).filter((v) => v !== null && v !== undefined) : null;
      const inWords = !!seen && seen.some((v) => !SNAKE.test(String(v)));
      color.scale = scale(color.field, { values: seen || undefined, words: inWords });
    }
    for (const key of ["layer", "concat", "hconcat", "vconcat"]) if (Array.isArray(spec[key])) spec[key].forEach((s) => fixColours(s, values));
    if (spec.spec) fixColours(spec.spec, values);
    return spec;
  }

  async function chart(element, spec) {
    const el = typeof element === "string" ? document.getElementById(element) : element;
    const full = fixColours({ $schema: "https://vega.github.io/schema/vega-lite/v6.json", width: "container",
                              config: { range: { category: palette }, font: "system-ui, sans-serif" }, ...spec });
    // ast + the vendored interpreter: expressions are evaluated, not compiled with new Function, which the
    // Content-Security-Policy (no 'unsafe-eval') refuses
    const embedded = await vegaEmbed(el, full, { actions: { export: true, source: false, compiled: false, editor: false }, renderer: "svg",
                                                 ast: true, expr: vega.expressionInterpreter });
    // the export menu's button is an icon: name it for screen readers
    const summary = el.querySelector(".vega-embed details > summary");
    if (summary && !summary.getAttribute("aria-label")) summary.setAttribute("aria-label", "Export this chart");
    return embedded;
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
      if (job.status === "failed" || job.status === "cancelled") {
        showProblems({ title: job.error?.title || (job.status === "cancelled" ? "The job was cancelled" : "The job failed"),
                       detail: job.error?.detail, errors: job.error?.errors || [] });
        return null;
      }
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

  return { palette, colours, colour, label, money, scale, legend, escape, api, table, chart, poll, progress, showProblems,
           format, pageData };
})();
