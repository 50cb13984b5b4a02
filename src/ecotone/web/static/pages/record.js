// A record of any kind: its form, built from /api/v1/forms/KIND (page data), to create it or to change the
// fields one edits (PATCH with If-Match, conflicts said in words), delete it after confirming what goes with it,
// or, for those who may only read, its fields with where each came from.
"use strict";
document.addEventListener("DOMContentLoaded", () => {
  const E = Ecotone;
  const { form, id, may_edit: mayEdit, title } = E.pageData();
  const api = `/api/v1/${form.plural}`;
  const specs = Object.fromEntries(form.fields.map((f) => [f.name, f]));
  const widgets = {};          // field name → { get, set, input }
  let loaded = {};             // the values the form started from (the record as read, or the defaults)
  let version = null;          // the version the form was read at: sent back as If-Match
  let allowDuplicate = false;  // set by a 409 for a likely duplicate: the second press adds it anyway

  // -- reading and writing the server ---------------------------------------------------------------------
  const json = { "content-type": "application/json" };
  async function call(path, options = {}) {
    const response = await E.api(path, { ...options, raw: true });
    if (!response) return null;
    const type = response.headers.get("content-type") || "";
    const body = response.status === 204 ? null : type.includes("json") ? await response.json() : await response.text();
    return { status: response.status, ok: response.ok, body };
  }
  const labelCache = {};
  async function labelsOf(plural, ids) {
    const wanted = ids.filter((i) => i && !(labelCache[plural] || {})[i]);
    labelCache[plural] = labelCache[plural] || {};
    if (wanted.length) {
      const found = await E.api(`/api/v1/forms/${plural}/labels?ids=${wanted.join(",")}`);
      Object.assign(labelCache[plural], found || {});
    }
    return labelCache[plural];
  }

  // -- values ----------------------------------------------------------------------------------------------
  function normal(value) {  // for comparing what a form holds with what was read
    if (value === undefined || value === "") return null;
    if (Array.isArray(value)) return value.length ? value : null;
    if (value && typeof value === "object") {
      const keys = Object.keys(value).sort();
      return keys.length ? Object.fromEntries(keys.map((k) => [k, value[k]])) : null;
    }
    return value;
  }
  const same = (a, b) => JSON.stringify(normal(a)) === JSON.stringify(normal(b));
  const choiceLabel = (spec, value) => ((spec.choices || spec.keys || []).find((c) => c.value === value) || {}).label || value;

  function fromQuery(spec, text) {  // a prefilled value from the URL (?source_id=12)
    if (spec.widget === "tags") return text.split(",").map((s) => s.trim()).filter(Boolean);
    if (spec.widget === "reference" && spec.multiple) return text.split(",").map(Number).filter(Boolean);
    if (["reference", "number", "whole_number"].includes(spec.widget)) return text === "" ? null : Number(text);
    if (spec.widget === "yes_no") return ["1", "true", "yes", "on"].includes(text.toLowerCase());
    if (spec.widget === "key_value") return null;
    return text;
  }

  // -- widgets ---------------------------------------------------------------------------------------------
  class Unresolved extends Error {}

  function plainInput(spec, fid) {
    const long = spec.widget === "long_text" || spec.widget === "key_value";
    const el = document.createElement(long ? "textarea" : "input");
    if (long) el.rows = spec.widget === "key_value" ? 3 : 4;
    else if (spec.widget === "number" || spec.widget === "whole_number") {
      el.type = "number";
      el.step = spec.widget === "whole_number" ? "1" : "any";
      const b = spec.bounds || {};
      if (b.minimum !== undefined) el.min = b.minimum;
      if (b.maximum !== undefined) el.max = b.maximum;
    } else el.type = spec.widget === "date" ? "date" : "text";
    el.id = fid;
    el.name = spec.name;
    if (spec.name === "country" || spec.name === "currency") el.classList.add("short");
    const get = () => {
      const v = el.value.trim();
      if (spec.widget === "tags") return v.split(",").map((s) => s.trim()).filter(Boolean);
      if (spec.widget === "key_value") {
        const found = parsePairs(spec, v);
        // a rubric is a list of criteria with their weights (the API's shape); left empty, the default criterion
        return spec.name === "rubric" ? Object.entries(found).map(([criterion, weight]) => ({ criterion, weight })) : found;
      }
      if (v === "") return null;
      if (spec.widget === "number" || spec.widget === "whole_number") return Number(v);
      return v;
    };
    const set = (value) => {
      if (spec.widget === "tags") el.value = (value || []).join(", ");
      else if (spec.widget === "key_value") el.value = pairs(value).map(([k, v]) => `${k}: ${v}`).join("\n");
      else el.value = value ?? "";
    };
    return { input: el, get, set };
  }

  // name → value pairs of a mapping, or of a challenge's rubric (a list of criteria with their weights)
  const pairs = (value) => Array.isArray(value) ? value.map((c) => [c.criterion, c.weight]) : Object.entries(value || {});

  function parsePairs(spec, text) {
    const out = {};
    for (const line of text.split(/\n/).map((l) => l.trim()).filter(Boolean)) {
      const at = line.search(/[:=]/);
      if (at < 1) throw new Unresolved(`write each line as name: value (“${line}” has no colon)`);
      const key = line.slice(0, at).trim(), raw = line.slice(at + 1).trim();
      const value = spec.values === "number" ? Number(raw) : raw;
      if (spec.values === "number" && (raw === "" || Number.isNaN(value))) throw new Unresolved(`the value of ${key} must be a number`);
      out[key] = value;
    }
    return out;
  }

  function checkbox(spec, fid) {
    const el = document.createElement("input");
    el.type = "checkbox";
    el.id = fid;
    el.name = spec.name;
    return { input: el, get: () => el.checked, set: (v) => { el.checked = Boolean(v); } };
  }

  function choice(spec, fid) {
    const el = document.createElement("select");
    el.id = fid;
    el.name = spec.name;
    const blank = spec.empty || (spec.required && spec.default === null);
    el.innerHTML = (blank ? `<option value="">${spec.required ? "choose one" : "–"}</option>` : "") +
      spec.choices.map((c) => `<option value="${E.escape(c.value)}">${E.escape(c.label)}</option>`).join("");
    return { input: el, get: () => el.value || null, set: (v) => { el.value = v ?? ""; } };
  }

  function optionLabel(ref, row) {
    return ref.named_by === "evaluator" ? `${row.evaluator}, ${row.date}` : String(row[ref.named_by] ?? `${ref.label} ${row.id}`);
  }

  // A record picked from a list: the few hubs, programmes, partnerships and assessments.
  function picker(spec, fid) {
    const ref = spec.reference;
    const el = document.createElement("select");
    el.id = fid;
    el.name = spec.name;
    el.innerHTML = `<option value="">${spec.required ? "choose one" : "none"}</option>`;
    let wanted = null;
    E.api(`/api/v1/${ref.plural}?limit=1000&order_by=${ref.named_by}`).then((found) => {
      for (const o of [...el.options].filter((x) => x.dataset.stand)) o.remove();
      for (const row of (found && found.data) || []) el.add(new Option(optionLabel(ref, row), row.id));
      set(wanted);
    });
    function set(value) {
      wanted = value ?? null;
      if (wanted !== null && ![...el.options].some((o) => o.value === String(wanted))) {
        const stand = new Option(`${ref.label} ${wanted}`, wanted);  // until the list comes (or one not seen)
        stand.dataset.stand = "1";
        el.add(stand);
      }
      el.value = wanted === null ? "" : String(wanted);
    }
    el.addEventListener("change", () => { wanted = el.value ? Number(el.value) : null; });
    return { input: el, get: () => (el.value ? Number(el.value) : null), set };
  }

  // A record found by typing part of its name (organisations: 100k of them in a big atlas): a datalist of the
  // names that match, the id sent. ``kindOf`` says which kind to search (an owner's kind can change).
  function finder(spec, fid, kindOf, { multiple = false } = {}) {
    const wrap = document.createElement("div");
    wrap.className = "finder";
    const el = document.createElement("input");
    el.type = "text";
    el.id = fid;
    el.name = spec.name;
    el.autocomplete = "off";
    el.setAttribute("list", `${fid}-list`);
    const list = document.createElement("datalist");
    list.id = `${fid}-list`;
    const state = document.createElement("small");
    state.className = "picked";
    state.id = `${fid}-picked`;
    state.setAttribute("aria-live", "polite");
    let chips = null, add = null;
    if (multiple) {
      chips = document.createElement("ul");
      chips.className = "chips";
      chips.setAttribute("aria-label", `${spec.label} chosen`);
      add = document.createElement("button");
      add.type = "button";
      add.className = "secondary small";
      add.textContent = "Add";
      add.setAttribute("aria-label", `Add to ${spec.label}`);
    }
    wrap.append(...(chips ? [chips] : []), el, list, ...(add ? [add] : []), state);
    const known = new Map();   // what an option says → id
    let chosen = null;         // the single id chosen; undefined while typed text names none
    let picked = [];           // the ids of a list
    let timer = null, asked = 0;

    const say = (text, href) => {
      state.innerHTML = href ? `${E.escape(text)} <a href="${href}">open</a>` : E.escape(text);
    };
    function resolve() {
      const text = el.value.trim();
      if (multiple) return;
      const ref = kindOf();
      if (!text) { chosen = null; say(ref ? `No ${ref.label} chosen.` : "Choose what kind of owner first."); return; }
      const hit = known.get(text) ?? known.get(text.toLowerCase());
      if (hit !== undefined) { chosen = hit; say(`Chosen: ${ref.label} ${hit}.`, `/records/${ref.plural}/${hit}`); } else {
        chosen = undefined;
        const what = ref ? ref.label : "record";
        say(`Pick ${/^[aeiou]/i.test(what) ? "an" : "a"} ${what} from the suggestions: type part of its name.`);
      }
    }
    async function search() {
      const ref = kindOf();
      const text = el.value.trim();
      if (!ref || !text) { resolve(); return; }
      const mine = ++asked;
      const found = await E.api(`/api/v1/${ref.plural}?search=${encodeURIComponent(text)}&limit=20&order_by=name`);
      if (mine !== asked || !found) return;
      const rows = found.data;
      const counts = {};
      for (const r of rows) counts[r.name] = (counts[r.name] || 0) + 1;
      list.innerHTML = "";
      for (const r of rows) {
        const label = counts[r.name] > 1 ? `${r.name} (#${r.id})` : r.name;
        known.set(label, r.id);
        known.set(label.toLowerCase(), r.id);
        list.append(new Option(label, label));
      }
      resolve();
    }
    el.addEventListener("input", () => {
      clearTimeout(timer);
      if (!multiple) resolve();
      timer = setTimeout(search, 180);
    });
    el.addEventListener("change", () => { if (multiple) take(); else resolve(); });

    function drawChips() {
      const ref = kindOf();
      labelsOf(ref.plural, picked).then((names) => {
        chips.innerHTML = picked.map((i) => `<li><span>${E.escape(names[i] || `${ref.label} ${i}`)}</span>
          <button type="button" class="chip-remove secondary small" data-id="${i}" aria-label="Remove ${E.escape(names[i] || i)}">×</button></li>`).join("");
      });
    }
    function take() {
      const text = el.value.trim();
      if (!text) return;
      const hit = known.get(text) ?? known.get(text.toLowerCase());
      if (hit === undefined) { say(`No ${kindOf().label} is called “${text}”: pick one from the suggestions.`); return; }
      if (!picked.includes(hit)) picked.push(hit);
      el.value = "";
      say(`${picked.length} chosen.`);
      drawChips();
    }
    if (multiple) {
      add.addEventListener("click", take);
      el.addEventListener("keydown", (ev) => { if (ev.key === "Enter") { ev.preventDefault(); take(); } });
      chips.addEventListener("click", (ev) => {
        const button = ev.target.closest(".chip-remove");
        if (!button) return;
        picked = picked.filter((i) => i !== Number(button.dataset.id));
        drawChips();
        el.focus();
      });
    }
    async function set(value) {
      const ref = kindOf();
      if (multiple) { picked = [...(value || [])]; if (ref) drawChips(); return; }
      chosen = value ?? null;
      if (chosen === null || !ref) { el.value = ""; resolve(); return; }
      const names = await labelsOf(ref.plural, [chosen]);
      el.value = names[chosen] || `#${chosen}`;
      known.set(el.value, chosen);
      say(`Chosen: ${ref.label} ${chosen}.`, `/records/${ref.plural}/${chosen}`);
    }
    function get() {
      if (multiple) {
        if (el.value.trim()) throw new Unresolved(`“${el.value.trim()}” is not added yet: pick it from the suggestions and press Add`);
        return [...picked];
      }
      if (chosen === undefined) throw new Unresolved(`pick a ${kindOf().label} from the suggestions: type part of its name`);
      return chosen;
    }
    return { input: el, node: wrap, get, set, describedBy: state.id, disable: (off) => { el.disabled = off; } };
  }

  function widgetFor(spec, fid) {
    switch (spec.widget) {
      case "yes_no": return checkbox(spec, fid);
      case "choice": return choice(spec, fid);
      case "reference": {
        if (spec.reference.from_field) {  // the owner: an organisation or a hub, as owner_kind says
          return finder(spec, fid, () => {
            const kind = widgets[spec.reference.from_field] && widgets[spec.reference.from_field].get();
            return kind ? spec.reference.kinds[kind] : null;
          });
        }
        if (spec.reference.lookup === "select" && !spec.multiple) return picker(spec, fid);
        return finder(spec, fid, () => spec.reference, { multiple: spec.multiple });
      }
      default: return plainInput(spec, fid);
    }
  }

  // -- the form --------------------------------------------------------------------------------------------
  function fieldNode(spec) {
    const fid = `f-${spec.name}`;
    const w = widgetFor(spec, fid);
    widgets[spec.name] = w;
    const box = document.createElement("div");
    box.className = `field field-${spec.widget}`;
    box.dataset.field = spec.name;
    const label = document.createElement("label");
    label.htmlFor = fid;
    label.innerHTML = `${E.escape(spec.label)}${spec.required ? ' <span class="req" aria-hidden="true">*</span>' : ""}`;
    if (spec.required) w.input.required = true;
    const described = [];
    if (spec.widget === "yes_no") {
      label.className = "check";
      label.prepend(w.input, " ");
      box.append(label);
    } else box.append(label, w.node || w.input);
    if (spec.help || spec.widget === "tags") {
      const help = document.createElement("small");
      help.className = "help";
      help.id = `${fid}-help`;
      help.textContent = spec.help;
      box.append(help);
      described.push(help.id);
    }
    if (w.describedBy) described.push(w.describedBy);
    const origin = document.createElement("small");
    origin.className = "from";
    origin.id = `${fid}-from`;
    box.append(origin);
    const error = document.createElement("p");
    error.className = "field-error";
    error.id = `${fid}-error`;
    error.hidden = true;
    box.append(error);
    w.described = described;
    w.box = box;
    w.origin = origin;
    w.error = error;
    describe(spec.name);
    return box;
  }

  function describe(name) {
    const w = widgets[name];
    const ids = [...w.described, ...(w.origin.textContent ? [w.origin.id] : []), ...(!w.error.hidden ? [w.error.id] : [])];
    if (ids.length) w.input.setAttribute("aria-describedby", ids.join(" ")); else w.input.removeAttribute("aria-describedby");
  }

  function build(container) {
    container.innerHTML = "";
    for (const group of form.groups) {
      const fields = form.fields.filter((f) => f.group === group);
      if (!fields.length) continue;
      const set = document.createElement("fieldset");
      set.className = "group";
      const legend = document.createElement("legend");
      legend.textContent = group;
      set.append(legend);
      const grid = document.createElement("div");
      grid.className = "field-grid";
      for (const spec of fields) grid.append(fieldNode(spec));
      set.append(grid);
      container.append(set);
    }
    const kind = widgets.owner_kind, owner = widgets.owner_id;
    if (kind && owner) {
      const sync = () => owner.disable(!kind.get());
      kind.input.addEventListener("change", () => { owner.set(null); sync(); });
      sync();
    }
    const name = widgets[form.title_field];
    // a likely duplicate is asked about again once what made it one (the name, the hub) changes
    const again = () => { if (allowDuplicate) { allowDuplicate = false; fieldError(form.title_field, null); } };
    if (name) name.input.addEventListener("input", again);
    if (name && widgets.hub_id) widgets.hub_id.input.addEventListener("change", again);
  }

  function fill(values) {
    for (const [name, w] of Object.entries(widgets)) w.set(values[name] ?? null);
    if (widgets.owner_id) widgets.owner_id.disable(!widgets.owner_kind.get());
  }

  function showOrigins(provenance) {
    for (const [name, w] of Object.entries(widgets)) {
      const from = provenance && normal(loaded[name]) !== null ? provenance[name] : null;  // an empty field has no origin
      w.origin.textContent = from ? `from ${from}` : "";
      describe(name);
    }
  }

  function fieldError(name, text, html) {
    const w = widgets[name];
    if (!w) return false;
    w.error.hidden = !text && !html;
    if (html) w.error.innerHTML = html; else w.error.textContent = text || "";
    if (text || html) w.input.setAttribute("aria-invalid", "true"); else w.input.removeAttribute("aria-invalid");
    describe(name);
    return true;
  }

  function clearErrors() {
    for (const name of Object.keys(widgets)) fieldError(name, null);
    document.getElementById("form-errors").innerHTML = "";
    E.showProblems(null);
  }

  function showErrors(problem) {
    const loose = [];
    let first = null;
    for (const e of problem.errors || []) {
      const name = String(e.field || "").split(".")[0];
      const w = widgets[name];
      if (w) {
        const before = w.error.hidden ? "" : `${w.error.textContent}; `;
        fieldError(name, before + (e.reason || "is not valid"));
        first = first || w.input;
      } else loose.push(e.reason ? (e.field && e.field !== "record" && e.field !== "body" ? `${e.field}: ${e.reason}` : e.reason) : "");
    }
    const box = document.getElementById("form-errors");
    if (loose.length || !first) {
      box.innerHTML = `<div class="problem"><strong>${E.escape(problem.title || "Not saved")}</strong>
        <ul>${(loose.length ? loose : [problem.detail || ""]).map((t) => `<li>${E.escape(t)}</li>`).join("")}</ul></div>`;
    }
    if (first) first.focus(); else box.scrollIntoView({ block: "nearest" });
  }

  // What the form holds; fields that cannot be read (an unpicked reference) are said next to themselves.
  function values() {
    const out = {}, bad = [];
    for (const [name, w] of Object.entries(widgets)) {
      try { out[name] = w.get(); } catch (err) {
        if (!(err instanceof Unresolved)) throw err;
        bad.push({ field: name, reason: err.message });
      }
    }
    return { out, bad };
  }

  function status(text) { document.getElementById("status").textContent = text; }

  // -- one record: read, save, conflicts, delete -----------------------------------------------------------
  async function load() {
    const got = await call(`${api}/${id}`);
    if (!got || !got.ok) { if (got) E.showProblems(got.body); return null; }
    loaded = got.body;
    version = got.body.version;
    return loaded;
  }

  async function loadOrigins() {
    const provenance = await E.api(`${api}/${id}/provenance`);
    showOrigins(provenance);
    return provenance;
  }

  function changedFields(now) {
    const out = {};
    for (const spec of form.fields) if (!same(now[spec.name], loaded[spec.name])) out[spec.name] = now[spec.name] ?? null;
    return out;
  }

  async function save(changes, against) {
    const got = await call(`${api}/${id}${allowDuplicate ? "?allow_duplicate=true" : ""}`,
                           { method: "PATCH", headers: { ...json, "If-Match": `"v${against}"` }, body: JSON.stringify(changes) });
    if (!got) return;
    if (got.ok) {
      allowDuplicate = false;
      loaded = got.body;
      version = got.body.version;
      fill(loaded);
      document.getElementById("conflict").hidden = true;
      status(`Saved (${Object.keys(changes).map((k) => specs[k] ? specs[k].label.toLowerCase() : k).join(", ")}).`);
      if (form.title_field && loaded[form.title_field]) document.querySelector("h1").textContent = loaded[form.title_field];
      loadOrigins();
      document.dispatchEvent(new CustomEvent("ecotone:saved"));
    } else if (got.status === 412) await conflict(got.body, changes);
    else if (got.status === 409 && got.body.existing) duplicate(got.body.existing, "Save");
    else if (got.status === 422) showErrors(got.body);
    else E.showProblems(got.body);
  }

  // An organisation named like one of its hub's: name it, and let the second press go ahead.
  function duplicate(existing, button) {
    allowDuplicate = true;
    const name = form.title_field || "name";
    const links = existing.map((x) => `<a href="/records/organizations/${x.id}">${E.escape(x.name)}</a>`).join(", ");
    fieldError(name, null, `${links} ${existing.length > 1 ? "are" : "is"} already in this hub — press ${button} again to ${button === "Create" ? "add" : "keep"} it anyway.`);
    widgets[name].input.focus();
  }

  function when(iso) {
    if (!iso) return "a moment ago";
    const d = new Date(iso.endsWith("Z") || /[+-]\d\d:\d\d$/.test(iso) ? iso : `${iso}Z`);
    return Number.isNaN(d.getTime()) ? iso : d.toLocaleString(undefined, { dateStyle: "medium", timeStyle: "short" });
  }

  // Someone changed the record since it was read: say who and when, show theirs beside mine, never overwrite
  // unasked. ``changes`` are mine (a PATCH), or null for a deletion.
  async function conflict(problem, changes) {
    const box = document.getElementById("conflict");
    const theirs = await call(`${api}/${id}`);
    const current = theirs && theirs.ok ? theirs.body : {};
    // They changed other fields than mine: nothing of theirs is at stake, mine go over their version
    if (changes && theirs && theirs.ok && Object.keys(changes).every((k) => same(current[k], loaded[k]))) {
      const others = form.fields.filter((f) => !same(current[f.name], loaded[f.name])).map((f) => f.label.toLowerCase());
      await save(changes, current.version);
      if (version === current.version + 1) {
        status(`Saved. ${problem.changed_by || "Someone else"} had changed ${others.join(", ") || "other fields"} meanwhile: kept as they are.`);
      }
      return;
    }
    const shown = (spec, v) => {
      if (v === null || v === undefined || (Array.isArray(v) && !v.length)) return "–";
      if (spec && spec.widget === "choice") return choiceLabel(spec, v);
      return Array.isArray(v) ? v.join(", ") : typeof v === "object" ? JSON.stringify(v) : String(v);
    };
    const rows = Object.keys(changes || {}).map((k) => `<tr><th scope="row">${E.escape(specs[k] ? specs[k].label : k)}</th>
      <td>${E.escape(shown(specs[k], current[k]))}</td><td>${E.escape(shown(specs[k], changes[k]))}</td></tr>`).join("");
    box.innerHTML = `<p><strong>Changed by ${E.escape(problem.changed_by || "someone else")} at ${E.escape(when(problem.changed_at))}
      since you opened it.</strong> Nothing was ${changes ? "saved" : "deleted"}.</p>
      ${rows ? `<table class="compare"><thead><tr><th scope="col">Field</th><th scope="col">Theirs now</th><th scope="col">Yours</th></tr></thead><tbody>${rows}</tbody></table>` : ""}
      <div class="buttons"><button type="button" id="load-theirs">Load their version</button>
      <button type="button" id="save-mine" class="secondary">${changes ? "Save mine over it" : "Delete it anyway"}</button></div>`;
    box.hidden = false;
    box.querySelector("#load-theirs").addEventListener("click", async () => {
      if (await load()) {
        fill(loaded);
        loadOrigins();
        box.hidden = true;
        status(`Loaded their version (version ${version}).`);
        widgets[form.fields[0].name].input.focus();
      }
    });
    box.querySelector("#save-mine").addEventListener("click", () => {
      box.hidden = true;
      if (changes) save(changes, problem.version); else remove(problem.version);
    });
    box.querySelector("#load-theirs").focus();
  }

  async function remove(against) {
    const got = await call(`${api}/${id}`, { method: "DELETE", headers: { "If-Match": `"v${against}"` } });
    if (!got) return;
    if (got.ok) {
      sessionStorage.setItem("ecotone:note", `Deleted ${title} — its history can restore it.`);
      window.location.assign(`/records/${form.plural}`);
    } else if (got.status === 412) await conflict(got.body, null);
    else E.showProblems(got.body);
  }

  function confirmDeletion() {
    const dialog = document.getElementById("confirm-delete");
    const summary = document.getElementById("confirm-summary");
    document.getElementById("delete").addEventListener("click", async () => {
      summary.textContent = "Finding what goes with it…";
      dialog.showModal();
      const preview = await E.api(`${api}/${id}/deletion`);
      summary.textContent = preview ? preview.summary : "What goes with it could not be found; deleting is refused until it can.";
      document.getElementById("confirm-yes").disabled = !preview;
    });
    document.getElementById("confirm-no").addEventListener("click", () => dialog.close());
    document.getElementById("confirm-yes").addEventListener("click", () => { dialog.close(); remove(version); });
  }

  // -- a new record ----------------------------------------------------------------------------------------
  async function create(now) {
    const body = {};
    for (const spec of form.fields) {
      const v = now[spec.name];
      if (spec.widget === "yes_no" ? v !== spec.default : normal(v) !== null) body[spec.name] = v;
    }
    const got = await call(`${api}${allowDuplicate ? "?allow_duplicate=true" : ""}`, { method: "POST", headers: json, body: JSON.stringify(body) });
    if (!got) return;
    if (got.ok) {
      const made = got.body;
      sessionStorage.setItem("ecotone:note", "created");  // said on its page, with the title the server gives it
      window.location.assign(`/records/${form.plural}/${made.id}`);
    } else if (got.status === 409 && got.body.existing) duplicate(got.body.existing, "Create");
    else if (got.status === 422) showErrors(got.body);
    else E.showProblems(got.body);
  }

  // -- read only -------------------------------------------------------------------------------------------
  async function view(box) {
    const record = await load();
    if (!record) { box.innerHTML = ""; return; }
    const provenance = await E.api(`${api}/${id}/provenance`) || {};
    const names = {};
    for (const spec of form.fields.filter((f) => f.widget === "reference")) {
      const ref = spec.reference.from_field ? spec.reference.kinds[record[spec.reference.from_field]] : spec.reference;
      const ids = spec.multiple ? record[spec.name] || [] : [record[spec.name]];
      if (ref && ids.filter(Boolean).length) names[spec.name] = [ref, await labelsOf(ref.plural, ids.filter(Boolean))];
    }
    const shown = (spec) => {
      const v = record[spec.name];
      if (v === null || v === undefined || (Array.isArray(v) && !v.length) || (typeof v === "object" && !Object.keys(v).length)) return "–";
      if (spec.widget === "reference" && names[spec.name]) {
        const [ref, labels] = names[spec.name];
        return (spec.multiple ? v : [v]).map((i) => `<a href="/records/${ref.plural}/${i}">${E.escape(labels[i] || `${ref.label} ${i}`)}</a>`).join(", ");
      }
      if (spec.widget === "choice") return E.escape(choiceLabel(spec, v));
      if (spec.widget === "yes_no") return v ? "yes" : "no";
      if (spec.widget === "key_value") return pairs(v).map(([k, x]) => `${E.escape(k)}: ${E.escape(x)}`).join("<br>");
      return E.escape(E.format(v));
    };
    box.innerHTML = form.groups.map((group) => `<h2>${E.escape(group)}</h2><dl class="record-view">${form.fields.filter((f) => f.group === group)
      .map((spec) => `<dt>${E.escape(spec.label)}</dt><dd>${shown(spec)}${provenance[spec.name] && normal(record[spec.name]) !== null ? `<small class="from">from ${E.escape(provenance[spec.name])}</small>` : ""}</dd>`).join("")}</dl>`).join("");
  }

  // -- start -----------------------------------------------------------------------------------------------
  const note = sessionStorage.getItem("ecotone:note");
  if (note) {
    sessionStorage.removeItem("ecotone:note");
    const el = document.getElementById("note");
    el.textContent = note === "created" ? `Created ${title.replace(/\.$/, "")}.` : note;
    el.hidden = false;
  }
  if (!mayEdit) {
    if (id) view(document.getElementById("view"));
    return;
  }
  const formEl = document.getElementById("record-form");
  build(document.getElementById("fields"));
  (async () => {
    if (id) {
      if (!(await load())) return;
      fill(loaded);
      loadOrigins();
      confirmDeletion();
    } else {
      const query = new URLSearchParams(window.location.search);
      const start = {};
      for (const spec of form.fields) {
        start[spec.name] = query.has(spec.name) ? fromQuery(spec, query.get(spec.name)) : spec.default;
      }
      loaded = start;
      fill(start);
    }
  })();
  formEl.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    clearErrors();
    status("");
    const { out, bad } = values();
    if (bad.length) { showErrors({ title: "Not saved", errors: bad }); return; }
    if (!id) { await create(out); return; }
    const changes = changedFields(out);
    if (!Object.keys(changes).length) { status("Nothing to save: no field has changed."); return; }
    document.getElementById("conflict").hidden = true;
    await save(changes, version);
  });
});
