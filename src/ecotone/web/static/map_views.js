// Saved map views: save the map's current view (its address) with a name and who may see it; list the views
// you may open, with a link to copy and, for your own, a delete button. Fills <section id="map-views">.
"use strict";
(function () {
  const BASE = "/api/v1/map/views";
  const $ = (id) => document.getElementById(id);
  const esc = (text) => Ecotone.escape(text);
  // The words of each visibility, for the form and for the list (the hub's name filled in)
  const CHOICES = { private: "Only me", hub: "Members of a hub of mine",
                    network: "Members of a hub of mine and the hubs it shares with",
                    public: "Everyone, visitors included" };
  const SHARED = { private: () => "Only you", hub: (v) => `Members of ${v.hub || "its hub"}`,
                   network: (v) => `Members of ${v.hub || "its hub"} and the hubs it shares with`,
                   public: () => "Everyone, visitors included" };
  let me = null;
  let shown = [];

  function currentQuery() {
    const map = window.ecotoneMap;
    const query = map && typeof map.viewQuery === "function" ? map.viewQuery() : window.location.search;
    return String(query || "").replace(/^\?/, "");
  }

  function say(text, kind = "status") {
    const out = $("map-views-message");
    out.className = kind === "error" ? "problem" : "";
    out.textContent = text;
  }

  async function problemOf(response) {
    try {
      const body = await response.json();
      const errors = (body.errors || []).map((e) => `${e.field || e.column || ""}: ${e.reason}`.replace(/^: /, ""));
      return errors.length ? errors.join("; ") : (body.detail || body.title);
    } catch (err) {
      return `the server answered ${response.status}`;
    }
  }

  // The hubs this user may share with: their own (an admin's: every hub the map lists), named as the map names them
  function hubs() {
    const names = {};
    for (const option of document.querySelectorAll("#hub option")) if (option.value) names[option.value] = option.textContent;
    const ids = me.role === "admin" ? Object.keys(names).map(Number) : me.hub_ids;
    return ids.map((id) => ({ id, name: names[String(id)] || `hub ${id}` }));
  }

  function form() {
    const mayShare = ["admin", "manager", "editor"].includes(me.role);
    const mine = hubs();
    const levels = ["private", ...(mayShare && mine.length ? ["hub", "network"] : []), ...(mayShare ? ["public"] : [])];
    const note = mayShare ? "" : `<p class="hint">Your role (${esc(me.role || "member")}) saves views for you alone; an editor can share them with a hub.</p>`;
    return `<form id="map-views-form" aria-label="Save this view">
      <h3>Save this view</h3>
      <label>Name <input name="name" required maxlength="200" placeholder="e.g. Barcelona startups by type"></label>
      <label>Who may see it <select name="visibility">${levels.map((l) => `<option value="${l}">${esc(CHOICES[l])}</option>`).join("")}</select></label>
      <label id="map-views-hub" style="display: none">Hub <select name="hub_id">${mine.map((h) => `<option value="${h.id}">${esc(h.name)}</option>`).join("")}</select></label>
      ${note}
      <button type="submit">Save this view</button>
    </form>`;
  }

  function item(view) {
    const who = view.mine ? "you" : view.author;
    const remove = view.mine || (me && me.role === "admin")
      ? `<button type="button" class="secondary" data-delete="${view.id}">Delete</button>` : "";
    const current = view.query === currentQuery() ? ' aria-current="true"' : "";
    return `<li data-view="${view.id}"${current}>
      <a href="${esc(view.link)}">Open</a> <strong>${esc(view.name)}</strong>
      <span>by ${esc(who)} · ${esc(SHARED[view.visibility](view))}</span>
      ${view.description ? `<br><span class="hint">${esc(view.description)}</span>` : ""}
      <button type="button" class="secondary" data-copy="${view.id}">Copy link</button> ${remove}</li>`;
  }

  async function list() {
    const response = await Ecotone.api(BASE, { raw: true });
    if (!response) return;
    if (!response.ok) { say(`The saved views could not be read: ${await problemOf(response)}`, "error"); return; }
    shown = (await response.json()).data;
    const box = $("map-views-list");
    box.innerHTML = shown.length ? `<ul>${shown.map(item).join("")}</ul>`
      : `<p class="empty">${me && me.signed_in ? "No saved views yet: save this one." : "No view is shared with everyone yet."}</p>`;
  }

  function markCurrent() {
    const query = currentQuery();
    for (const li of document.querySelectorAll("#map-views-list li")) {
      const view = shown.find((v) => String(v.id) === li.dataset.view);
      if (view && view.query === query) li.setAttribute("aria-current", "true"); else li.removeAttribute("aria-current");
    }
  }

  async function save(event) {
    event.preventDefault();
    const data = new FormData(event.target);
    const visibility = data.get("visibility");
    const body = { name: String(data.get("name") || "").trim(), query: currentQuery(), visibility };
    if (!body.name) { say("Name the view first, such as “Barcelona startups by type”.", "error"); return; }
    if (visibility === "hub" || visibility === "network") body.hub_id = Number(data.get("hub_id"));
    const response = await Ecotone.api(BASE, { method: "POST", raw: true, body: JSON.stringify(body),
                                               headers: { "Content-Type": "application/json" } });
    if (!response) return;
    if (!response.ok) { say(`The view was not saved: ${await problemOf(response)}`, "error"); return; }
    const view = await response.json();
    event.target.reset();
    toggleHub();
    say(`Saved “${view.name}”: ${SHARED[view.visibility](view).toLowerCase()} may open it.`);
    await list();
  }

  async function copy(view) {
    const link = new URL(view.page, window.location.origin).href;
    try {
      await navigator.clipboard.writeText(link);
      say(`The link to “${view.name}” is copied: ${link}`);
    } catch (err) {  // no clipboard here (a page not served over https, or permission refused): show it to copy
      say(`Copy this link to “${view.name}”: ${link}`);
    }
  }

  async function remove(view) {
    if (!window.confirm(`Delete the saved view “${view.name}”? Whoever it was shared with loses it too.`)) return;
    const response = await Ecotone.api(`${BASE}/${view.id}`, { method: "DELETE", raw: true });
    if (!response) return;
    if (!response.ok) { say(`The view was not deleted: ${await problemOf(response)}`, "error"); return; }
    say(`Deleted “${view.name}”.`);
    await list();
  }

  function toggleHub() {
    const select = document.querySelector("#map-views-form select[name=visibility]");
    // the style, not the hidden attribute: the site's labels are display: block, which outranks it
    if (select) $("map-views-hub").style.display = ["hub", "network"].includes(select.value) ? "" : "none";
  }

  document.addEventListener("DOMContentLoaded", async () => {
    const section = $("map-views");
    if (!section) return;
    section.innerHTML = `<h2>Saved views</h2><div id="map-views-form-slot"></div>
      <p id="map-views-message" role="status" aria-live="polite"></p><div id="map-views-list"></div>`;
    me = await Ecotone.api("/api/v1/me");
    if (me && me.signed_in) {
      $("map-views-form-slot").innerHTML = form();
      $("map-views-form").addEventListener("submit", save);
      document.querySelector("#map-views-form select[name=visibility]").addEventListener("change", toggleHub);
    } else {
      const next = encodeURIComponent(window.location.pathname + window.location.search);
      $("map-views-form-slot").innerHTML = `<p class="sign-in"><a href="/login?next=${next}">Sign in</a> to save this view of the map and share it with your hub; the views shared with everyone are below.</p>`;
    }
    $("map-views-list").addEventListener("click", (event) => {
      const button = event.target.closest("button");
      if (!button) return;
      const view = shown.find((v) => String(v.id) === (button.dataset.copy || button.dataset.delete));
      if (view && button.dataset.copy) copy(view);
      if (view && button.dataset.delete) remove(view);
    });
    const map = window.ecotoneMap;
    if (map && typeof map.on === "function") map.on("changed", markCurrent);
    await list();
  });
})();
