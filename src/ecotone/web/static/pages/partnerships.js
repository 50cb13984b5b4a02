// The partnerships in the atlas, each linked to its scorecard.
"use strict";
document.addEventListener("DOMContentLoaded", async () => {
  const data = await Ecotone.api("/api/v1/partnerships?limit=200");
  if (data) Ecotone.table("list", data.data, { columns: ["name", "status", "purpose", "start_date", "source"], links: { name: (r) => `/partnerships/${r.id}` } });
});
