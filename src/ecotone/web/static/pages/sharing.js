// A hub's sharing: which hubs it shares its network records with and which share with it; its manager grants
// and withdraws.
"use strict";
document.addEventListener("DOMContentLoaded", () => {
  const panel = document.getElementById("sharing");
  const hub = panel.dataset.hub, form = document.getElementById("share-form");

  async function changed() {
    await show();
    document.dispatchEvent(new CustomEvent("ecotone:saved"));  // the hub's history shows the grant
  }

  async function show() {
    const found = await Ecotone.api(`/api/v1/hubs/${hub}/shares`);
    if (!found) return;
    const el = document.getElementById("shares");
    if (form) {  // a hub already granted is not offered again
      const granted = new Set(found.data.filter((g) => String(g.hub_id) === hub).map((g) => String(g.with_hub_id)));
      form.querySelectorAll("option").forEach((o) => { o.disabled = granted.has(o.value); });
      const select = form.querySelector("select");
      if (select.selectedOptions[0]?.disabled) select.value = [...select.options].find((o) => !o.disabled)?.value ?? "";
    }
    if (!found.data.length) { el.innerHTML = '<p class="empty">This hub shares with no other hub, and none with it.</p>'; return; }
    el.innerHTML = `<ul>${found.data.map((g) => `<li>${String(g.hub_id) === hub ? `Shares with <strong>${Ecotone.escape(g.with)}</strong>`
      : `<strong>${Ecotone.escape(g.hub)}</strong> shares with this hub`}${g.granted_by ? ` <span class="muted">(granted by ${Ecotone.escape(g.granted_by)})</span>` : ""}
      ${form && String(g.hub_id) === hub ? `<button type="button" class="secondary" data-revoke="${g.with_hub_id}">Withdraw</button>` : ""}</li>`).join("")}</ul>`;
    el.querySelectorAll("[data-revoke]").forEach((b) => b.addEventListener("click", async () => {
      if (await Ecotone.api(`/api/v1/hubs/${hub}/shares/${b.dataset.revoke}`, { method: "DELETE" }) !== null) changed();
    }));
  }

  if (form) form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    const withHub = new FormData(form).get("with_hub");
    if (await Ecotone.api(`/api/v1/hubs/${hub}/shares`, { method: "POST", headers: { "content-type": "application/json" },
                                                        body: JSON.stringify({ with_hub: withHub }) })) changed();
  });
  show();
});
