// Likely duplicate organisations: the pairs, and merging one into the other after a confirmation that says what
// moves (a dry run of the merge).
"use strict";
document.addEventListener("DOMContentLoaded", () => {
  const panel = document.getElementById("duplicates");
  const mayMerge = panel.dataset.mayMerge === "yes";
  const confirmBox = document.getElementById("confirm-merge");
  const status = document.getElementById("pairs-status"), merged = document.getElementById("merged");
  const esc = Ecotone.escape;
  let pending = null;

  function actor(id, name, hub) {
    return `<a href="/actors/${id}">${esc(name)}</a> <span class="muted">(${id}${hub ? ", " + esc(hub) : ", no hub"})</span>`;
  }

  async function show() {
    const minScore = document.getElementById("min-score").value || 90;
    status.textContent = "Looking for likely duplicates…";
    const found = await Ecotone.api(`/api/v1/duplicates?min_score=${encodeURIComponent(minScore)}&limit=200`);
    if (!found) { status.textContent = ""; return; }
    status.textContent = `${found.count} pair${found.count === 1 ? "" : "s"}${found.count > found.data.length ? `, the ${found.data.length} most alike shown` : ""}.`;
    const el = document.getElementById("pairs");
    if (!found.data.length) { el.innerHTML = '<p class="empty">No likely duplicates at this similarity.</p>'; return; }
    const rows = found.data.map((p) => `<tr>
      <td class="num">${Ecotone.format(p.score)}</td><td>${actor(p.a_id, p.a_name, p.a_hub)}</td>
      <td>${actor(p.b_id, p.b_name, p.b_hub)}</td><td>${esc(p.reason)}</td>
      ${mayMerge ? `<td><button type="button" class="secondary" data-survivor="${p.a_id}" data-loser="${p.b_id}">Merge into ${esc(p.a_name)}</button>
        <button type="button" class="secondary" data-survivor="${p.b_id}" data-loser="${p.a_id}">Merge into ${esc(p.b_name)}</button></td>` : ""}</tr>`).join("");
    el.innerHTML = `<div class="table-wrap"><table><thead><tr><th scope="col">Score</th><th scope="col">Organisation</th>
      <th scope="col">Likely the same as</th><th scope="col">Why</th>${mayMerge ? '<th scope="col">Merge</th>' : ""}</tr></thead>
      <tbody>${rows}</tbody></table></div>`;
    el.querySelectorAll("[data-survivor]").forEach((b) => b.addEventListener("click", () => ask(Number(b.dataset.survivor), Number(b.dataset.loser))));
  }

  function post(survivor, loser, dryRun) {
    return Ecotone.api("/api/v1/duplicates/merge", { method: "POST", headers: { "content-type": "application/json" },
      body: JSON.stringify({ survivor_id: survivor, loser_id: loser, dry_run: dryRun }) });
  }

  async function ask(survivor, loser) {
    merged.textContent = "";
    const preview = await post(survivor, loser, true);
    if (!preview) return;
    pending = { survivor, loser };
    document.getElementById("confirm-title").textContent = `Merge ${preview.loser.name} into ${preview.survivor.name}?`;
    document.getElementById("confirm-text").textContent = `${preview.summary} Its history joins ${preview.survivor.name}'s.`;
    confirmBox.hidden = false;
    document.getElementById("confirm-yes").focus();
  }

  document.getElementById("confirm-yes").addEventListener("click", async () => {
    if (!pending) return;
    const { survivor, loser } = pending;
    pending = null;
    confirmBox.hidden = true;
    const report = await post(survivor, loser, false);
    if (!report) return;
    merged.innerHTML = `${esc(report.summary)} <a href="/actors/${report.survivor.id}">Open ${esc(report.survivor.name)}</a>`;
    show();
  });
  document.getElementById("confirm-no").addEventListener("click", () => { pending = null; confirmBox.hidden = true; });
  document.getElementById("filter").addEventListener("submit", (ev) => { ev.preventDefault(); show(); });
  show();
});
