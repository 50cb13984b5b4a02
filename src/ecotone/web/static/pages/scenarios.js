// Scenarios: run the interventions (dated, ramped, costed) as a simulation job, draw their bands against the
// baseline, say what each euro buys, and rank what a budget can fund.
"use strict";
(function () {
  let lastResult = null;
  let labels = {};  // a scenario's text → its name in words
  const words = (v) => (Ecotone.label || ((x) => { const t = String(x ?? "").replaceAll("_", " "); return t.charAt(0).toUpperCase() + t.slice(1); }))(v);
  let OUTCOMES = {};  // an outcome's name → its words, as the "Outcome to draw" list says them
  const outcomeWords = (o) => OUTCOMES[o] || words(o);
  const share = (v) => (typeof v === "number" ? `${Math.round(v * 100)}%` : "");

  // A chart with its menu named (vega-embed's "…" menu is an unlabelled <summary>; only its picture says what it is)
  async function chart(id, spec) {
    const drawn = await Ecotone.chart(id, spec);
    document.querySelectorAll(`#${id} details > summary:not([aria-label])`).forEach((s) => s.setAttribute("aria-label", "Save the chart as a picture"));
    return drawn;
  }

  function draw() {
    if (!lastResult) return;
    const outcome = document.getElementById("outcome").value;
    const rows = lastResult.bands.filter((r) => r.outcome === outcome).map((r) => ({ ...r, year: r.time / 12 }));
    const names = [...new Set(lastResult.bands.map((r) => r.scenario))];  // the same colour for a scenario in both charts
    const enc = { x: { field: "year", type: "quantitative", title: "years" },
                  color: { field: "scenario", type: "nominal", scale: { domain: names } } };
    chart("levels", { data: { values: rows }, height: 300, layer: [
      { mark: { type: "area", opacity: 0.15 }, encoding: { ...enc, y: { field: "p5", type: "quantitative", title: outcomeWords(outcome) }, y2: { field: "p95" } } },
      { mark: "line", encoding: { ...enc, y: { field: "p50", type: "quantitative" }, tooltip: [{ field: "scenario" }, { field: "year", format: ".1f" }, { field: "p50", format: ".2f" }] } }] });
    const diff = rows.filter((r) => r.scenario !== "baseline");
    chart("changes", { data: { values: diff }, height: 300, layer: [
      { mark: { type: "area", opacity: 0.2 }, encoding: { ...enc, y: { field: "d5", type: "quantitative", title: "scenario − baseline" }, y2: { field: "d95" } } },
      { mark: "line", encoding: { ...enc, y: { field: "d50", type: "quantitative" }, tooltip: [{ field: "scenario" }, { field: "year", format: ".1f" }, { field: "d50", format: ".3f" }] } },
      { mark: { type: "rule", color: "#333", aria: false }, encoding: { y: { datum: 0 } } }] });  // the zero line: no change
  }

  function fieldError(id, text) {
    const el = document.getElementById(id);
    if (!el) return;
    el.textContent = text || "";
    el.hidden = !text;
  }

  function clearErrors() {
    document.querySelectorAll("#scenario-form .field-error").forEach((el) => { el.textContent = ""; el.hidden = true; });
  }

  // a cost per unit is a number, or null where the draws at that quantile gain nothing (no_gain_at names them)
  const perUnit = (v, noGain) => (v === null || v === undefined) && noGain ? "no gain" : euros(v);
  const euros = (v) => (typeof v === "number" ? (Ecotone.money ? Ecotone.money(v, "EUR") : `EUR ${Math.round(v).toLocaleString()}`) : v ?? "");

  // One ticked intervention as the scenario text the service reads, after checking its fields in words.
  function interventionText(box, f, today) {
    const kind = box.dataset.kind;
    const get = (part) => (f.get(`${kind}-${part}`) || "").trim();
    const problems = [];
    const parts = kind === "connect" ? [`connect:${f.get("partner")}`] : [kind];
    const options = [];
    if (kind === "connect" && f.get("partner") === f.get("hub")) {
      problems.push(`${f.get("hub")} cannot be connected with itself: choose another hub to connect with`);
    }
    // the effect sizes, with their defaults shown in the fields; only those changed go into the text
    const said = [];
    for (const input of box.querySelectorAll("input[data-effect]")) {
      const option = input.dataset.effect;
      const what = input.closest("label").firstChild.textContent.trim();
      const text = input.value.trim();
      if (input.validity.badInput || (!text && input.validity.valid === false)) { problems.push(`${what.toLowerCase()}: type a number, e.g. ${input.dataset.default}`); continue; }
      const value = text === "" ? Number(input.dataset.default) : Number(text);
      if (!Number.isFinite(value) || value < 0) problems.push(`${what.toLowerCase()} cannot be negative`);
      else if (option === "share" && value > 1) problems.push(`${what.toLowerCase()} is a share between 0 and 1 (0.25 is a quarter)`);
      else if (option === "months" && value === 0) problems.push(`${what.toLowerCase()} must be more than 0`);
      else {
        if (value !== Number(input.dataset.default)) options.push(`${option}=${value}`);
        said.push(option === "share" ? `${Math.round(value * 100)}%` : option === "amount" ? `EUR ${value} million` : `${value} ${option.replace("_", " ")}`);
      }
    }
    const start = get("start");
    if (start) {
      if (start < today) problems.push(`it cannot start on ${start}, before today (${today}): the simulation starts today`);
      else options.push(`start=${start}`);
    }
    const worded = { ramp: "the months to full effect", duration: "how long it lasts", cost: "the cost to start", per_year: "the cost per year" };
    for (const part of ["ramp", "duration", "cost", "per_year"]) {
      const text = get(part);
      if (!text) continue;
      const value = Number(text);
      if (!Number.isFinite(value) || value < 0) problems.push(`${worded[part]} cannot be negative`);
      else if (part === "duration" && value === 0) problems.push("it must last at least a month (leave it empty for no end)");
      else options.push(`${part}=${value}`);
    }
    fieldError(`${kind}-error`, problems.length ? `${box.dataset.label}: ${problems.join("; ")}.` : "");
    if (problems.length) return null;
    const text = kind === "connect" ? [parts[0], ...options].join(",") : (options.length ? `${kind}:${options.join(",")}` : kind);
    const label = kind === "connect" ? `Connect with ${f.get("partner")}` : box.dataset.label.replace(/ \(.*\)$/, "");
    labels[text] = said.length ? `${label} (${said.join(", ")})` : label;
    return text;
  }

  // A whole number typed in a field (years, runs, seed), or null with the reason next to the field.
  function wholeNumber(form, name, what, low, high, example) {
    const input = form.querySelector(`input[name=${name}]`);
    const text = input.value.trim();
    let problem = null;
    if (input.validity.badInput) problem = `${what}: what was typed is not a number; type digits only, e.g. ${example}`;
    else if (!text) problem = `${what}: type a number, e.g. ${example}`;
    else if (!Number.isInteger(Number(text))) problem = `${what}: a whole number, e.g. ${example} (not ${text})`;
    else if (Number(text) < low || Number(text) > high) problem = `${what}: from ${low.toLocaleString()} to ${high.toLocaleString()} (not ${Number(text).toLocaleString()})`;
    fieldError(`${name}-error`, problem ? problem + "." : "");
    return problem ? null : Number(text);
  }

  // The ticked interventions' texts, or null when a field is wrong (its error shown next to it).
  function ticked(form) {
    clearErrors();
    const f = new FormData(form);
    const today = new Date().toISOString().slice(0, 10);
    const texts = [];
    let ok = true;
    const years = wholeNumber(form, "years", "Years", 1, 30, 10);
    const runs = wholeNumber(form, "runs", "Monte Carlo runs", 10, 20000, 500);
    const seed = wholeNumber(form, "seed", "Seed", 0, Number.MAX_SAFE_INTEGER, 0);
    if (years === null || runs === null || seed === null) ok = false;
    for (const box of form.querySelectorAll(".intervention")) {
      const on = box.dataset.kind === "connect" ? f.get("connect") : f.getAll("iv").includes(box.dataset.kind);
      if (!on) continue;
      const text = interventionText(box, f, today);
      if (text === null) ok = false; else texts.push(text);
    }
    const rate = Number(f.get("discount"));
    if (!Number.isFinite(rate) || rate < 0 || rate >= 100) { fieldError("discount-error", "The discount rate is a percentage a year from 0 to 99."); ok = false; }
    if (!ok) toFirstError(form);
    return ok ? { f, texts, rate: rate / 100, years, runs, seed } : null;
  }

  // The first field whose error is shown gets the focus, scrolled into sight with its error: the button may be a
  // screen below the field that is wrong.
  function toFirstError(form) {
    const shown = new Set([...form.querySelectorAll(".field-error")].filter((el) => !el.hidden).map((el) => el.id));
    const errorOf = (el) => (el.getAttribute("aria-describedby") || "").split(" ").find((id) => shown.has(id));
    const field = [...form.querySelectorAll("input, select")].find(errorOf);
    if (!field) return;
    field.focus({ preventScroll: true });
    document.getElementById(errorOf(field)).scrollIntoView({ block: "center" });
    field.scrollIntoView({ block: "nearest" });
  }

  // The request's fields that the server's problems name (in words, as the form says them), to place each problem
  // next to its field; the options a budget weighs are the ticked interventions, whose problems go by the budget.
  const FIELD_ERRORS = { years: "years-error", runs: "runs-error", seed: "seed-error", budget: "budget-error",
                         options: "budget-error", discount_rate: "discount-error" };

  // An error of the job placed next to the intervention (said by its name on the form) or the field it names.
  function placeJobErrors(job) {
    const rest = [];
    for (const e of job?.error?.errors || []) {
      const reason = String(e.reason || "");
      const text = Object.keys(labels).find((t) => reason.includes(t));
      if (text) {
        const kind = text.startsWith("connect:") ? "connect" : text.split(":")[0];
        fieldError(`${kind}-error`, `${labels[text]}: ${reason.replace(`'${text}': `, "")}.`);
      } else if (FIELD_ERRORS[e.field || e.column]) {
        fieldError(FIELD_ERRORS[e.field || e.column], `${reason}${e.hint ? ` — ${e.hint}` : ""}.`);
      } else rest.push(e);
    }
    if (rest.length || !(job?.error?.errors || []).length) showPlainProblem(job?.error?.title || "The simulation failed", rest, job?.error?.detail);
  }

  // One job at a time from this page: a second click while one runs would race it for the progress bar and the
  // two cores, and the first one's answer would land after the second's.
  let running = false;

  function busy(on, what) {
    running = on;
    document.querySelectorAll("#scenario-form button").forEach((b) => { b.disabled = on; });
    const status = document.getElementById("sim-status");
    status.textContent = on ? what : "";
    status.hidden = !on;
  }

  // A job's state; a request that fails on the way (the server busy with the job, the network) is asked again a
  // few times before giving up, and says so, instead of leaving the page blank.
  async function jobState(id) {
    for (let attempt = 0; attempt < 5; attempt++) {
      try {
        const response = await fetch(`/api/v1/jobs/${id}`);
        if (response.ok) return await response.json();
        if (response.status < 500 && response.status !== 429) return { status: "failed", error: await response.json().catch(() => ({ title: `Error ${response.status}` })) };
      } catch (err) { /* the network: ask again */ }
      await new Promise((r) => setTimeout(r, 1000 * (attempt + 1)));
    }
    return { status: "failed", error: { title: "The server stopped answering about the job; try again" } };
  }

  async function runJob(path, spec, onDone, what) {
    if (running) return;
    busy(true, what);
    try {
      const response = await Ecotone.api(path, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(spec), raw: true });
      if (!response) return;
      const body = await response.json().catch(() => ({}));
      if (!response.ok) { placeRequestErrors(body); return; }
      Ecotone.showProblems(null);
      for (;;) {
        const job = await jobState(body.id);
        if (job.status === "done") { onDone(job.result); return; }
        if (job.status === "failed" || job.status === "cancelled") { placeJobErrors(job); return; }
        // queued: every job worker is busy (or none runs); the page says so rather than sit at 0%
        document.getElementById("sim-status").textContent = job.status === "queued" ? `${what} (${job.task})` : what;
        Ecotone.progress("sim-progress", job);
        await new Promise((r) => setTimeout(r, 500));
      }
    } finally {
      busy(false);
    }
  }

  // A refused request (422): each error next to the field it names; the rest above the form, without the empty
  // columns of a file's problems.
  function placeRequestErrors(body) {
    const rest = [];
    for (const e of body.errors || []) {
      const field = String(e.field || e.column || "").split(".").pop();
      if (FIELD_ERRORS[field]) fieldError(FIELD_ERRORS[field], `${e.reason}${e.hint ? ` — ${e.hint}` : ""}.`);
      else rest.push(e);
    }
    if (rest.length || !(body.errors || []).length) showPlainProblem(body.title || "The request is not valid", rest, body.detail);
    else toFirstError(document.getElementById("scenario-form"));
  }

  // A problem above the form: its title, its detail when it has no errors to list (a job that stopped), its errors.
  function showPlainProblem(title, errors, detail) {
    const box = document.getElementById("problems");
    if (!box) return;
    box.innerHTML = `<div class="problem"><strong>${Ecotone.escape(title)}</strong>${detail && !errors.length ? `<p>${Ecotone.escape(detail)}</p>` : ""}${errors.map((e) =>
      `<p>${Ecotone.escape([e.reason, e.hint].filter(Boolean).join(" — "))}</p>`).join("")}</div>`;
    box.scrollIntoView({ block: "nearest" });
  }

  const name = (s) => s === "baseline" ? "baseline" : (s.split(" + ").map((t) => labels[t] || t).join(" + "));

  function showPerEuro(result) {
    const per = (result.per_euro || []).map((r) => ({
      scenario: name(r.scenario), gain: r.gain, cost: euros(r.cost),
      "gain (median)": r.gain_median, "gain 5%": r.gain_p5, "gain 95%": r.gain_p95,
      "draws with a gain": `${Math.round(r.gain_share * 100)}%`,
      "cost per unit (median)": r.cost === 0 ? "no cost given" : perUnit(r.cost_per_unit_median, r.no_gain_at),
      "cost per unit 5%": r.cost === 0 ? "" : perUnit(r.cost_per_unit_p5, r.no_gain_at),
      "cost per unit 95%": r.cost === 0 ? "" : perUnit(r.cost_per_unit_p95, r.no_gain_at) }));
    Ecotone.table("per-euro", per, { caption: per.length ? undefined : "Tick at least one intervention, with its costs" });
    Ecotone.table("costs", (result.costs || []).map((r) => ({ scenario: name(r.scenario), intervention: r.intervention,
      when: r.when, "cost to start": euros(r.cost_once), "cost per year": euros(r.per_year),
      "cost over the horizon, discounted": euros(r.cost), "undiscounted": euros(r.undiscounted) })));
  }

  function showRanking(result) {
    document.getElementById("budget-result").hidden = false;
    const ranked = result.ranking || [];
    Ecotone.table("ranking", ranked.map((r) => ({ rank: r.rank, combination: name(r.combination), cost: euros(r.cost),
      "extra products (median)": r.gain_median, "5%": r.gain_p5, "95%": r.gain_p95,
      "draws with a gain": `${Math.round(r.gain_share * 100)}%`,
      "cost per extra product (median)": perUnit(r.cost_per_product_median, r.cost_per_product_no_gain_at),
      "5% ": perUnit(r.cost_per_product_p5, r.cost_per_product_no_gain_at),
      "95% ": perUnit(r.cost_per_product_p95, r.cost_per_product_no_gain_at) })),
      { caption: ranked.length ? undefined : "No combination fits the budget" });
    const left = result.left_out || [];
    Ecotone.table("left-out", left.map((r) => ({ combination: name(r.combination), cost: euros(r.cost), why: r.why })),
      { caption: left.length ? undefined : "Every combination fits" });
    document.getElementById("budget-result").scrollIntoView({ block: "start" });
  }

  document.addEventListener("DOMContentLoaded", () => {
    const form = document.getElementById("scenario-form");
    OUTCOMES = Object.fromEntries([...document.getElementById("outcome").options].map((o) => [o.value, o.textContent.trim()]));
    document.getElementById("outcome").addEventListener("change", draw);
    // the hub to connect with is another hub than the one simulated
    const hub = form.querySelector("select[name=hub]"), partner = form.querySelector("select[name=partner]");
    const another = () => {
      if (partner && partner.value === hub.value) {
        const other = [...partner.options].find((o) => o.value !== hub.value);
        if (other) partner.value = other.value;
      }
    };
    hub.addEventListener("change", another);
    another();
    form.addEventListener("submit", async (ev) => {
      ev.preventDefault();
      const got = ticked(form);
      if (!got) return;
      const { f, texts, rate, years, runs, seed } = got;
      const scenarios = [...texts];
      if (f.get("together") && texts.length > 1) scenarios.push(texts.join("+"));
      for (const s of scenarios) if (s.includes("+")) labels[s] = s.split("+").map((t) => labels[t] || t).join(" + ");
      const spec = { hub: f.get("hub"), scenarios, years, runs, seed, discount_rate: rate };
      await runJob("/api/v1/simulations", spec, (result) => {
        for (const key of ["bands", "outcomes", "explanations", "mechanisms"]) {
          (result[key] || []).forEach((r) => { r.scenario = name(r.scenario); });
        }
        lastResult = result;
        document.getElementById("sim-result").hidden = false;
        draw();
        Ecotone.table("why", result.explanations || [], { caption: result.explanations ? undefined : "Tick at least one intervention to compare" });
        Ecotone.table("outcomes", (result.outcomes || []).map((r) => ({ scenario: r.scenario, outcome: outcomeWords(r.outcome),
          median: r.median, "5%": r.p5, "95%": r.p95, "change against the baseline": r.change, "change %": r.change_pct,
          "draws better": share(r.better_in), "draws worse": share(r.worse_in), "draws the same": share(r.same_in) })));
        Ecotone.table("mechanisms", (result.mechanisms || []).map((r) => Object.fromEntries(Object.entries(r).map(([k, v]) =>
          [k === "scenario" ? k : words(k).toLowerCase(), v]))));
        showPerEuro(result);
      }, "Simulating the scenarios…");
    });
    document.getElementById("budget-run").addEventListener("click", async () => {
      const got = ticked(form);
      if (!got) return;
      const { f, texts, rate, years, runs, seed } = got;
      const budget = Number(f.get("budget"));
      if (!f.get("budget") || !Number.isFinite(budget) || budget <= 0) { fieldError("budget-error", "Say how many euros there are to spend (more than 0)."); return; }
      if (!texts.length) { fieldError("budget-error", "Tick the interventions the budget could fund, with their costs."); return; }
      if (texts.length > 8) { fieldError("budget-error", "At most 8 interventions can be weighed against each other."); return; }
      const spec = { hub: f.get("hub"), budget, options: texts, years, runs: Math.min(runs, 2000), seed, discount_rate: rate };
      await runJob("/api/v1/simulations/budget", spec, showRanking, "Ranking the combinations the budget can fund…");
    });
  });
})();
