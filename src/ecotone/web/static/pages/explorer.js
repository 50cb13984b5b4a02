// The API explorer at /docs: Swagger UI (vendored) over the OpenAPI document the page names in data-openapi-url.
"use strict";
document.addEventListener("DOMContentLoaded", () => {
  const root = document.getElementById("swagger-ui");
  // the same options as FastAPI's own /docs page (which sets them in an inline script a CSP refuses), the groups
  // folded: some 250 operations unfolded at once are more than Swagger UI renders
  window.ui = SwaggerUIBundle({
    url: root.dataset.openapiUrl,
    dom_id: "#swagger-ui",
    layout: "BaseLayout",
    deepLinking: true,
    docExpansion: "none",
    showExtensions: true,
    showCommonExtensions: true,
    presets: [SwaggerUIBundle.presets.apis, SwaggerUIBundle.SwaggerUIStandalonePreset],
  });
});
