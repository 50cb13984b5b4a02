// A list of records of one kind: filtered and paged through the list API, with a bulk edit of the rows ticked
// (set the hub, add or remove a tag, set who sees them, set the stage) for those who may change them.
"use strict";
document.addEventListener("DOMContentLoaded", () => {
  const E = Ecotone;
  const { form, may_edit: mayEdit } = E.pageData();
  const PAGE = 50;
  const specs = Object.fromEntries(form.fields.map((f) => [f.name, f]));
  const filters = document.getElementById("filters");
  const bulk = document.getElementById("bulk");
  let offset = Number(new URLSearchParams(window.location.search).get("offset")) || 0;
  let rows = [];
  const selected = new Set();

  const note = sessionStorage.getItem("ecotone:note");
  if (note) { sessionStorage.removeItem("ecotone:note"); say(note); }

  function say(text) {
    const el = document.getElementById("note");
    el.textContent = text;
    el.hidden = !text;
  }

  function wanted() {
    const out = new URLSearchParams();
    for (const [k, v] of new FormData(filters).entries()) if (String(v).trim()) out.set(k, String(v).trim());
    return out;
  }

  const words = (spec, v) => {
    const c = (spec.choices || []).find((x) => x.value === v);
    return c ? c.label : v;
  };

  async function names(plural, ids) {
    const wantedIds = [...new Set(ids.filter(Boolean))];
    if (!wantedIds.length) return {};
    return (await E.api(`/api/v1/forms/${plural}/labels?ids=${wantedIds.join(",")}`)) || {};
  }

  async function load() {
    const query = wanted();
    const shown = new URLSearchParams(query);
    if (offset) shown.set("offset", offset);
    window.history.replaceState(null, "", `${window.location.pathname}${shown.toString() ? `?${shown}` : ""}`);
    query.set("limit", PAGE);
    query.set("offset", offset);
    query.set("order_by", form.title_field || "id");
    document.getElementById("range").textContent = "Loading…";
    const page = await E.api(`/api/v1/${form.plural}?${query}`);
    if (!page) { document.getElementById("range").textContent = ""; return; }
    rows = page.data;
    selected.clear();
    // the names of what the rows refer to, one request per kind
    const refs = {};
    for (const column of form.columns) {
      const spec = specs[column];
      if (!spec || spec.widget !== "reference" || !spec.reference.plural) continue;
      const ids = rows.flatMap((r) => (spec.multiple ? r[column] || [] : [r[column]]));
      refs[column] = await names(spec.reference.plural, ids);
    }
    draw(refs);
    const from = page.count ? offset + 1 : 0, to = offset + rows.length;
    document.getElementById("range").textContent = page.count
      ? `${from.toLocaleString()}–${to.toLocaleString()} of ${page.count.toLocaleString()} ${page.count === 1 ? form.label : form.label_plural}`
      : `No ${form.label_plural} match.`;
    document.getElementById("prev").disabled = offset === 0;
    document.getElementById("next").disabled = to >= page.count;
    picked();
  }

  function cell(column, row, refs) {
    const spec = specs[column] || { widget: "text" };
    const v = row[column];
    if (v === null || v === undefined || (Array.isArray(v) && !v.length)) return "";
    if (spec.widget === "reference" && spec.reference.plural) {
      const ref = spec.reference;
      return (spec.multiple ? v : [v]).map((i) => `<a href="/records/${ref.plural}/${i}">${E.escape((refs[column] || {})[i] || `${ref.label} ${i}`)}</a>`).join(", ");
    }
    if (spec.widget === "choice") return E.escape(words(spec, v));
    if (spec.widget === "yes_no") return v ? "yes" : "no";
    return E.escape(E.format(v));
  }

  function draw(refs) {
    const box = document.getElementById("rows");
    if (!rows.length) { box.innerHTML = `<p class="empty">Nothing to show.</p>`; return; }
    const linked = form.title_field && form.columns.includes(form.title_field) ? form.title_field : null;
    const columns = linked ? form.columns : ["id", ...form.columns];
    const title = (r) => (linked ? String(r[linked]) : `${form.label} ${r.id}`);
    const head = (mayEdit ? `<th scope="col" class="pick"><input type="checkbox" id="pick-all" aria-label="Select every row on this page"></th>` : "") +
      columns.map((c) => `<th scope="col">${E.escape(c === "id" ? "Record" : specs[c] ? specs[c].label : c)}</th>`).join("");
    const body = rows.map((r) => `<tr>${mayEdit ? `<td class="pick"><input type="checkbox" class="pick-row" value="${r.id}" aria-label="Select ${E.escape(title(r))}"></td>` : ""}${
      columns.map((c) => {
        const numeric = typeof r[c] === "number" && !(specs[c] && specs[c].widget === "reference") ? ' class="num"' : "";
        if (c === "id") return `<td><a href="/records/${form.plural}/${r.id}">${E.escape(title(r))}</a></td>`;
        if (c === linked) return `<td><a href="/records/${form.plural}/${r.id}">${E.escape(r[c])}</a></td>`;
        return `<td${numeric}>${cell(c, r, refs)}</td>`;
      }).join("")}</tr>`).join("");
    box.innerHTML = `<div class="table-wrap"><table id="records"><thead><tr>${head}</tr></thead><tbody>${body}</tbody></table></div>`;
  }

  // -- selecting rows and changing them at once ------------------------------------------------------------
  function picked() {
    if (!bulk) return;
    const n = selected.size;
    document.getElementById("bulk-count").textContent = n
      ? `${n} ${n === 1 ? form.label : form.label_plural} selected.`
      : "No row selected: tick the rows to change.";
    document.getElementById("bulk-apply").disabled = n === 0;
    const all = document.getElementById("pick-all");
    if (all) {
      all.checked = n > 0 && n === rows.length;
      all.indeterminate = n > 0 && n < rows.length;
    }
  }

  document.getElementById("rows").addEventListener("change", (ev) => {
    const box = ev.target;
    if (box.id === "pick-all") {
      for (const el of document.querySelectorAll(".pick-row")) {
        el.checked = box.checked;
        if (box.checked) selected.add(Number(el.value)); else selected.delete(Number(el.value));
      }
    } else if (box.classList.contains("pick-row")) {
      if (box.checked) selected.add(Number(box.value)); else selected.delete(Number(box.value));
    }
    picked();
  });

  function showAction() {
    const action = document.getElementById("bulk-action").value;
    for (const label of bulk.querySelectorAll("label[data-for]")) label.hidden = !label.dataset.for.split(" ").includes(action);
  }

  if (bulk) {
    document.getElementById("bulk-action").addEventListener("change", showAction);
    showAction();
    bulk.addEventListener("submit", async (ev) => {
      ev.preventDefault();
      const action = document.getElementById("bulk-action").value;
      const data = new FormData(bulk);
      const set = {};
      if (action === "hub_id") set.hub_id = data.get("hub_id") ? Number(data.get("hub_id")) : null;
      else if (action === "add_tag" || action === "remove_tag") {
        const tags = String(data.get("tag") || "").split(",").map((t) => t.trim()).filter(Boolean);
        if (!tags.length) { E.showProblems({ title: "No tag given", detail: "Write the tag to add or remove." }); return; }
        set.tags = action === "add_tag" ? tags : tags.map((t) => `-${t}`);
      } else set[action] = data.get(action);
      const ids = [...selected];
      const done = await E.api(`/api/v1/${form.plural}/bulk`, { method: "POST", headers: { "content-type": "application/json" },
                                                                 body: JSON.stringify({ ids, set }) });
      if (!done) return;
      await load();
      const label = (n) => (n === 1 ? form.label : form.label_plural);
      say(`Changed ${done.updated} ${label(done.updated)}` + (done.unchanged ? `; ${done.unchanged} already ${done.unchanged === 1 ? "was" : "were"} so.` : "."));
    });
  }

  filters.addEventListener("submit", (ev) => { ev.preventDefault(); offset = 0; say(""); load(); });
  document.getElementById("prev").addEventListener("click", () => { offset = Math.max(0, offset - PAGE); load(); });
  document.getElementById("next").addEventListener("click", () => { offset += PAGE; load(); });
  load();
});
