// Every hub: the table and the actors and ties per hub.
"use strict";
document.addEventListener("DOMContentLoaded", async () => {
  const { hubs } = Ecotone.pageData();
  const headers = { organizations: "Organisations", ties_inside: "Ties inside", ties_across: "Ties to other hubs" };
  Ecotone.table("hubs-table", hubs, { columns: ["name", "kind", "city", "country", "organizations", "ties_inside", "ties_across"],
                                     headers, links: { name: (r) => `/hubs/${r.id}` } });
  const rows = hubs.flatMap((h) => [{ hub: h.name, what: headers.organizations, n: h.organizations },
                                    { hub: h.name, what: headers.ties_inside, n: h.ties_inside },
                                    { hub: h.name, what: headers.ties_across, n: h.ties_across }]);
  // shades of one grey-blue: the type and helix colours stay for types and helixes
  Ecotone.chart("hubs-chart", { data: { values: rows }, mark: "bar", height: 360,
    encoding: { y: { field: "hub", type: "nominal", sort: "-x", title: null }, x: { field: "n", type: "quantitative", title: "Count" },
                color: { field: "what", type: "nominal", title: null, scale: { domain: Object.values(headers), range: ["#1d3557", "#6c8ebf", "#b8c7dd"] } },
                yOffset: { field: "what", sort: Object.values(headers) },
                tooltip: [{ field: "hub", title: "Hub" }, { field: "what", title: "What" }, { field: "n", title: "Count" }] } });
});
