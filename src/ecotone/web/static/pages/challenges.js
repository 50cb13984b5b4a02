// The challenges, grants and competitions in the atlas, each linked to its page.
"use strict";
document.addEventListener("DOMContentLoaded", async () => {
  const data = await Ecotone.api("/api/v1/challenges");
  if (data) Ecotone.table("list", data.data, {
    columns: ["name", "kind", "sponsor", "hub", "prize", "closes_on", "submissions", "phase"],
    headers: { closes_on: "Submissions close" },
    links: { name: (r) => `/challenges/${r.id}` },
    formats: { prize: (v, r) => Ecotone.money(v, r.currency) },
  });
});
