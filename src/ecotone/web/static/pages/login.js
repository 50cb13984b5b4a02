// The sign-in form: the e-mail and password go to POST /login, which sets the session cookie; then back to the
// page the visitor came from.
"use strict";
document.addEventListener("DOMContentLoaded", () => {
  const form = document.getElementById("login-form");
  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    const data = Object.fromEntries(new FormData(form).entries());
    const done = await Ecotone.api("/login", { method: "POST", headers: { "content-type": "application/json" },
                                               body: JSON.stringify(data) });
    if (!done) return;
    const next = form.dataset.next;
    // Only a path on this site: never an address elsewhere (an open redirect)
    window.location.assign(next && next.startsWith("/") && !next.startsWith("//") ? next : "/");
  });
});
