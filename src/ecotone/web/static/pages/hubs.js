// Every hub: the table and the actors and ties per hub.
"use strict";
document.addEventListener("DOMContentLoaded", async () => {
  const { hubs } = Ecotone.pageData();
  Ecotone.table("hubs-table", hubs, { columns: ["name", "kind", "city", "country", "organizations", "ties_inside", "ties_across"],
                                     links: { name: (r) => `/hubs/${r.id}` } });
  const rows = hubs.flatMap((h) => [{ hub: h.name, what: "organisations", n: h.organizations },
                                    { hub: h.name, what: "ties inside", n: h.ties_inside },
                                    { hub: h.name, what: "ties across hubs", n: h.ties_across }]);
  Ecotone.chart("hubs-chart", { data: { values: rows }, mark: "bar", height: 360,
    encoding: { y: { field: "hub", type: "nominal", sort: "-x", title: null }, x: { field: "n", type: "quantitative", title: "count" },
                color: { field: "what", type: "nominal", title: null }, yOffset: { field: "what" },
                tooltip: [{ field: "hub" }, { field: "what" }, { field: "n" }] } });
});
