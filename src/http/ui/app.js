// The ypa dashboard (docs/dashboard.md): one page, views chosen by the URL's hash, data from the
// REST API of the same server (docs/api.md), charts drawn by dygraphs (Debian's libjs-dygraphs).
//
// Views and their deep links (every control change is a new history entry, so back works):
//   #/runs
//   #/iphone?run=live&id=42&from=...&to=...&ma=ema&w=120
//   #/shops?run=live&id=42&from=...&to=...
//   #/cohort?run=live&slug=top&from=...&to=...&ma=sma&w=900
//   #/compare?base=live&target=backfill_v3&scope=iphone:42&from=...&to=...
//   #/health?run=live&from=...&to=...&silent=4&share=0.2&drift=0.3
//   #/login?next=<hash to return to>
//
// Tokens (djangorestframework-simplejwt's access and refresh) live in sessionStorage; a 401 refreshes
// the access token once, and a second 401 goes back to the login.
//
// The charts are kept in window.ypaCharts[view] = {graph, graphs, rows, x, series, drawnAt} so that
// tests and benchmarks can read what was drawn; document.body.dataset.state is "loading", then
// "ready" (charts drawn) or "message" (an empty or failing state shown as text).
"use strict";

const ACCESS = "ypa.access";
const REFRESH = "ypa.refresh";
const DAY_MS = 86400000;
const MAX_PRICE_ROWS = 300000;  // the per-shop view pages through this many price rows at most

window.ypaCharts = {};
let renderSeq = 0;       // the render under way; an older one stops at its next await
let runsCache = null;    // /api/runs/ results, loaded once per page load (the Runs view reloads them)
let windowsCache = null; // the feature windows of the server (FEATURE_WINDOWS_MIN), from /api/schema/
let iphonesCache = null;
let cohortsCache = null;
let refreshing = null;   // the refresh request under way, shared by every request that got a 401

class ApiError extends Error {
  constructor(status, body, path) {
    super("HTTP " + status + " " + path);
    this.status = status;
    this.body = body;
    this.path = path;
  }
}
class Redirected extends Error {}

// ---------------------------------------------------------------------------------------------- API

function query(params) {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params || {})) {
    if (v !== undefined && v !== null && v !== "") q.set(k, v);
  }
  const s = q.toString();
  return s ? "?" + s : "";
}

async function send(method, path, params, body) {
  const headers = { Accept: "application/json" };
  const token = sessionStorage.getItem(ACCESS);
  if (token && method === "GET") headers.Authorization = "Bearer " + token;
  if (body !== undefined) headers["Content-Type"] = "application/json";
  const r = await fetch(path + query(params), {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  let json = null;
  const text = await r.text();
  try {
    json = text ? JSON.parse(text) : null;
  } catch (e) {
    json = { detail: text.slice(0, 200) };
  }
  return { status: r.status, ok: r.ok, body: json };
}

// A new access token from the refresh token; false when there is none or it is refused.
function refreshAccess() {
  const refresh = sessionStorage.getItem(REFRESH);
  if (!refresh) return Promise.resolve(false);
  if (!refreshing) {
    refreshing = send("POST", "/api/token/refresh/", {}, { refresh })
      .then((r) => {
        if (r.status !== 200 || !r.body || !r.body.access) return false;
        sessionStorage.setItem(ACCESS, r.body.access);
        if (r.body.refresh) sessionStorage.setItem(REFRESH, r.body.refresh);
        return true;
      })
      .catch(() => false)
      .finally(() => {
        refreshing = null;
      });
  }
  return refreshing;
}

function clearTokens() {
  sessionStorage.removeItem(ACCESS);
  sessionStorage.removeItem(REFRESH);
}

// GET an API path; the body on 200, else ApiError (401 twice: back to the login, Redirected).
async function api(path, params) {
  let r = await send("GET", path, params);
  if (r.status === 401) {
    if (await refreshAccess()) r = await send("GET", path, params);
    if (r.status === 401) {
      const had = sessionStorage.getItem(ACCESS) !== null;
      clearTokens();
      toLogin(had ? "Your session has expired: log in again." : "");
      throw new Redirected();
    }
  }
  if (!r.ok) throw new ApiError(r.status, r.body, path);
  return r.body;
}

// Every item of a paginated list (LimitOffsetPagination), `max` at most.
async function apiAll(path, params, max) {
  const out = [];
  let offset = 0;
  for (;;) {
    const page = await api(path, Object.assign({}, params, { limit: 10000, offset }));
    if (page.count > max) return { tooMany: page.count };
    out.push(...page.results);
    offset += page.results.length;
    if (page.results.length === 0 || offset >= page.count) return { results: out };
  }
}

function errorText(e) {
  if (e instanceof ApiError) {
    const detail = e.body && e.body.detail ? e.body.detail : JSON.stringify(e.body);
    if (e.status === 503) {
      return "ClickHouse or PostgreSQL is unavailable (503: " + detail + "). Try again in a moment.";
    }
    if (e.status === 400) return "The server refused the request (400): " + JSON.stringify(e.body);
    return "The server answered " + e.status + " for " + e.path + ": " + detail;
  }
  if (e instanceof TypeError) return "The server cannot be reached (" + e.message + ").";
  return "Unexpected error: " + (e && e.message ? e.message : String(e));
}

// ------------------------------------------------------------------------------------------ routing

function parseHash() {
  const h = location.hash.replace(/^#\/?/, "");
  const i = h.indexOf("?");
  const view = (i < 0 ? h : h.slice(0, i)) || "runs";
  const params = new URLSearchParams(i < 0 ? "" : h.slice(i + 1));
  return { view, params };
}

function hashFor(view, params) {
  return "#/" + view + query(params);
}

function go(view, params) {
  const h = hashFor(view, params);
  if (h === location.hash) render();
  else location.hash = h;  // a new history entry; hashchange renders it
}

function toLogin(message) {
  const { view } = parseHash();
  if (view === "login") return;  // several requests of one view got their 401: one trip to the login
  const next = location.hash;
  sessionStorage.setItem("ypa.loginMessage", message || "");
  location.replace(hashFor("login", { next }));
}

function el(tag, attrs, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (k === "class") e.className = v;
    else if (k.startsWith("on")) e.addEventListener(k.slice(2), v);
    else if (v !== undefined && v !== null && v !== false) e.setAttribute(k, v === true ? "" : v);
  }
  for (const c of children.flat()) {
    if (c === null || c === undefined) continue;
    e.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return e;
}

const main = () => document.getElementById("main");

function setState(state) {
  document.body.dataset.state = state;
  // Every chart of the view has drawn (dygraphs draws array data synchronously): the benchmark's mark.
  if (state === "ready") performance.mark("ypa-view-ready");
}

function show(...nodes) {
  main().replaceChildren(...nodes);
}

function message(text, isError) {
  setState("message");
  return el("p", { class: isError ? "message error" : "message", role: isError ? "alert" : "status" }, text);
}

const VIEWS = {
  runs: renderRuns,
  iphone: renderIphone,
  shops: renderShops,
  cohort: renderCohort,
  compare: renderCompare,
  health: renderHealth,
  login: renderLogin,
};

async function render() {
  const seq = ++renderSeq;
  const { view, params } = parseHash();
  for (const c of Object.values(window.ypaCharts)) for (const g of c.graphs || []) g.destroy();
  window.ypaCharts = {};
  document.body.dataset.view = view;
  setState("loading");
  for (const a of document.querySelectorAll("#nav a")) {
    a.classList.toggle("active", a.dataset.view === view);
  }
  document.getElementById("logout").hidden = !sessionStorage.getItem(ACCESS);
  const fn = VIEWS[view];
  if (!fn) {
    show(message("Unknown view \"" + view + "\".", true));
    return;
  }
  try {
    await fn(params, () => seq !== renderSeq, seq);
  } catch (e) {
    if (e instanceof Redirected || seq !== renderSeq) return;
    show(message(errorText(e), true));
  }
}

// ---------------------------------------------------------------------------------------- time help

// The offset of an ISO time ("+09:00", "Z"), to write times in the pipeline's zone.
function offsetOf(iso) {
  const m = /([+-]\d\d:\d\d|Z)$/.exec(iso || "");
  return m ? m[1] : "Z";
}

function offsetMinutes(off) {
  if (off === "Z") return 0;
  const sign = off[0] === "-" ? -1 : 1;
  return sign * (parseInt(off.slice(1, 3), 10) * 60 + parseInt(off.slice(4, 6), 10));
}

// `ms` written as ISO 8601 in the zone offset `off`, to the minute.
function isoIn(ms, off) {
  const local = new Date(ms + offsetMinutes(off) * 60000).toISOString().slice(0, 16);
  return local + (off === "Z" ? "Z" : off);
}

// A time as the API reads it (docs/api.md, "Parameters"): without an offset it is in the zone `off`
// (the pipeline's), a bare date is its midnight. NaN when unreadable.
function parseIn(s, off) {
  const t = String(s || "").trim().replace(" ", "T");
  if (/^\d{4}-\d\d-\d\d$/.test(t)) return Date.parse(t + "T00:00:00" + (off === "Z" ? "Z" : off));
  if (/([+-]\d\d:?\d\d|Z)$/.test(t)) return Date.parse(t);
  return Date.parse(t + (off === "Z" ? "Z" : off));
}

function fmtTime(ms) {
  return new Date(ms).toISOString().slice(0, 16).replace("T", " ") + " UTC";
}

// ------------------------------------------------------------------------------------- shared data

async function loadRuns(force) {
  if (!runsCache || force) runsCache = (await apiAll("/api/runs/", {}, 100000)).results;
  return runsCache;
}

async function loadWindows() {
  if (windowsCache) return windowsCache;
  const r = await fetch("/api/schema/");
  const found = new Set();
  if (r.ok) {
    const walk = (v) => {
      if (Array.isArray(v)) {
        for (const x of v) {
          const m = typeof x === "string" ? /^ema_(\d+)$/.exec(x) : null;
          if (m) found.add(parseInt(m[1], 10));
          else walk(x);
        }
      } else if (v && typeof v === "object") {
        for (const x of Object.values(v)) walk(x);
      }
    };
    walk(await r.json());
  }
  windowsCache = found.size ? [...found].sort((a, b) => a - b) : [120, 900, 1800];
  return windowsCache;
}

async function loadIphones() {
  if (!iphonesCache) iphonesCache = (await apiAll("/api/iphones/", {}, 100000)).results;
  return iphonesCache;
}

async function loadCohorts() {
  if (!cohortsCache) cohortsCache = (await apiAll("/api/cohorts/", {}, 100000)).results;
  return cohortsCache;
}

function iphoneLabel(p) {
  return p.model_name + " " + p.capacity_gb + " GB " + p.color + " (#" + p.id + ", " + p.part_number + ")";
}

// The run, range and defaults a chart view works on: the run asked for (else live, else the first),
// and its last 7 days unless from/to are given. null when there are no runs (a message is shown).
async function runContext(params, runKey) {
  const runs = await loadRuns();
  if (!runs.length) {
    show(message("No runs yet: run `ypa run_pipeline` (or the README's first command) to compute one."));
    return null;
  }
  const wanted = params.get(runKey || "run");
  const run = runs.find((r) => r.run_id === wanted) || runs.find((r) => r.run_id === "live") || runs[0];
  if (wanted && run.run_id !== wanted) {
    show(message("Unknown run \"" + wanted + "\": the runs are " + runs.map((r) => r.run_id).join(", ") + ".", true));
    return null;
  }
  const off = offsetOf(run.last_bucket);
  const last = Date.parse(run.last_bucket);
  const to = params.get("to") || isoIn(last, off);
  const from = params.get("from") || isoIn(Math.max(Date.parse(run.first_bucket), last - 7 * DAY_MS), off);
  return { runs, run, from, to };
}

// ------------------------------------------------------------------------------------------ charts

// Column arrays of a points endpoint -> Float64Array (NaN for null).
function floats(values) {
  const a = new Float64Array(values.length);
  for (let i = 0; i < values.length; ++i) a[i] = values[i] === null ? NaN : values[i];
  return a;
}

function times(buckets) {
  const a = new Float64Array(buckets.length);
  for (let i = 0; i < buckets.length; ++i) a[i] = Date.parse(buckets[i]);
  return a;
}

// A feature series (features/points for one scope and name) aligned to the bucket times `x`.
function alignFeature(x, points) {
  const out = new Float64Array(x.length).fill(NaN);
  const index = new Map();
  for (let i = 0; i < x.length; ++i) index.set(x[i], i);
  for (let j = 0; j < points.bucket.length; ++j) {
    const i = index.get(Date.parse(points.bucket[j]));
    if (i !== undefined && points.value[j] !== null) out[i] = points.value[j];
  }
  return out;
}

const COLORS = ["#1f5fbf", "#2b8a3e", "#9b9b9b", "#c2410c", "#7c3aed", "#0e7490", "#b91c1c", "#a16207"];

// The first index of the sorted `x` whose value is >= v.
function lowerBound(x, v) {
  let lo = 0;
  let hi = x.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (x[mid] < v) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

// Fills the area between two series (the Bollinger band) under the lines, for the rows in view; gaps
// (NaN) split it. Linear in the rows drawn: dygraphs' own customBars took 9 s for a year of buckets.
function bandUnderlay(x, low, high, color) {
  return (ctx, area, g) => {
    const [x0, x1] = g.xAxisRange();
    const first = Math.max(0, lowerBound(x, x0) - 1);
    const last = Math.min(x.length - 1, lowerBound(x, x1));
    ctx.save();
    ctx.fillStyle = color;
    let i = first;
    while (i <= last) {
      while (i <= last && (Number.isNaN(low[i]) || Number.isNaN(high[i]))) ++i;
      const start = i;
      while (i <= last && !Number.isNaN(low[i]) && !Number.isNaN(high[i])) ++i;
      if (i - start < 2) continue;
      ctx.beginPath();
      ctx.moveTo(g.toDomXCoord(x[start]), g.toDomYCoord(high[start]));
      for (let k = start + 1; k < i; ++k) ctx.lineTo(g.toDomXCoord(x[k]), g.toDomYCoord(high[k]));
      for (let k = i - 1; k >= start; --k) ctx.lineTo(g.toDomXCoord(x[k]), g.toDomYCoord(low[k]));
      ctx.closePath();
      ctx.fill();
    }
    ctx.restore();
  };
}

// Draws a chart with dygraphs and records it in ypaCharts[view]. `series`: [{label, values}] over the
// times `x` (Float64Array, ms); options.band: [low label, high label] to shade between.
function drawChart(view, div, x, series, options) {
  const rows = new Array(x.length);
  for (let i = 0; i < x.length; ++i) {
    const row = new Array(series.length + 1);
    row[0] = new Date(x[i]);
    for (let k = 0; k < series.length; ++k) {
      const v = series[k].values[i];
      row[k + 1] = Number.isNaN(v) ? null : v;
    }
    rows[i] = row;
  }
  const chart = window.ypaCharts[view] || (window.ypaCharts[view] = { graphs: [], series: {} });
  const name = (options && options.name) || "main";
  const band = options && options.band;
  const byLabel = (label) => series.find((s) => s.label === label).values;
  const g = new Dygraph(
    div,
    rows,
    Object.assign(
      {
        labels: ["time"].concat(series.map((s) => s.label)),
        colors: COLORS,
        connectSeparatedPoints: false,
        legend: "always",
        labelsSeparateLines: false,
        showRangeSelector: name === "main",
        rangeSelectorHeight: 30,
        axes: { y: { axisLabelWidth: 70, axisLabelFormatter: (v) => Math.round(v).toLocaleString("en-US") } },
        underlayCallback: band ? bandUnderlay(x, byLabel(band[0]), byLabel(band[1]), "rgba(110, 110, 110, 0.16)")
                               : undefined,
        drawCallback: (graph, initial) => {
          if (initial) {
            chart.drawnAt = chart.drawnAt || {};
            chart.drawnAt[name] = performance.now();
            if (name === "main") performance.mark("ypa-chart-drawn");
          }
          if (name === "main" && !initial) {
            for (const other of chart.graphs) {
              if (other !== graph) {
                const range = graph.xAxisRange();
                const theirs = other.xAxisRange();
                if (range[0] !== theirs[0] || range[1] !== theirs[1]) other.updateOptions({ dateWindow: range });
              }
            }
          }
        },
      },
      options && options.dygraph,
    ),
  );
  chart.graphs.push(g);
  if (name === "main") {
    chart.graph = g;
    chart.rows = x.length;
    chart.x = x;
  }
  for (const s of series) chart.series[name === "main" ? s.label : name + ":" + s.label] = s.values;
  return g;
}

function chartBox(cls) {
  return el("div", { class: "chart" + (cls ? " " + cls : "") });
}

// ------------------------------------------------------------------------------------------- views

async function renderRuns(params, stale) {
  const runs = await loadRuns(true);
  if (stale()) return;
  if (!runs.length) {
    show(el("h2", {}, "Runs"),
         message("No runs yet: run `ypa run_pipeline` (or the README's first command) to compute one."));
    return;
  }
  const tableNames = [...new Set(runs.flatMap((r) => Object.keys(r.tables || {})))].sort();
  const head = el("tr", {}, el("th", {}, "run"), el("th", {}, "months"),
                  tableNames.map((t) => el("th", {}, "rows in " + t)),
                  el("th", {}, "first bucket"), el("th", {}, "last bucket"), el("th", {}, "last write"),
                  el("th", {}, ""));
  const body = runs.map((r) => {
    const months = Array.isArray(r.months) ? r.months : [];
    return el("tr", { "data-run": r.run_id },
      el("td", {}, r.run_id),
      el("td", { title: months.join(", ") }, months.length ? months[0] + (months.length > 1 ? " … " + months[months.length - 1] : "") + " (" + months.length + ")" : String(r.months)),
      tableNames.map((t) => el("td", { class: "num" }, r.tables && r.tables[t] ? r.tables[t].rows.toLocaleString("en-US") : "0")),
      el("td", {}, r.first_bucket), el("td", {}, r.last_bucket), el("td", {}, r.last_insert || "—"),
      el("td", {}, el("a", { href: hashFor("iphone", { run: r.run_id }) }, "iPhones"), " ",
         el("a", { href: hashFor("compare", { base: "live", target: r.run_id }) }, "compare with live")));
  });
  show(el("h2", {}, "Runs"), el("table", { id: "runs" }, el("thead", {}, head), el("tbody", {}, body)));
  setState("ready");
}

// The run, range, moving average and window controls shared by the chart views.
function rangeControls(view, params, ctx, extra, withMa, windows) {
  const form = el("form", { class: "controls", id: "controls" });
  const runSelect = el("select", { name: "run" },
    ctx.runs.map((r) => el("option", { value: r.run_id, selected: r.run_id === ctx.run.run_id }, r.run_id)));
  form.append(el("label", {}, "run", runSelect));
  for (const node of extra) form.append(node);
  form.append(el("label", {}, "from", el("input", { name: "from", value: ctx.from, size: 22 })));
  form.append(el("label", {}, "to", el("input", { name: "to", value: ctx.to, size: 22 })));
  if (withMa) {
    const ma = params.get("ma") || "ema";
    const w = params.get("w") || String(windows[0]);
    form.append(el("label", {}, "moving average", el("select", { name: "ma" },
      ["ema", "sma", "wma"].map((m) => el("option", { value: m, selected: m === ma }, m.toUpperCase())))));
    form.append(el("label", {}, "window (min)", el("select", { name: "w" },
      windows.map((x) => el("option", { value: x, selected: String(x) === w }, String(x))))));
  }
  form.append(el("button", { type: "submit" }, "Show"));
  const submit = (ev) => {
    if (ev) ev.preventDefault();
    const p = {};
    for (const [k, v] of new FormData(form).entries()) if (k !== "q") p[k] = v;
    go(view, p);
  };
  form.addEventListener("submit", submit);
  form.addEventListener("change", (ev) => {
    if (ev.target.tagName === "SELECT") submit();
  });
  return form;
}

function iphoneSelector(iphones, selected) {
  const select = el("select", { name: "id", id: "iphone-select" });
  const search = el("input", { name: "q", id: "iphone-search", placeholder: "search model, capacity, colour", size: 28 });
  const fill = () => {
    const words = search.value.toLowerCase().split(/\s+/).filter(Boolean);
    const matches = iphones.filter((p) => {
      const text = iphoneLabel(p).toLowerCase();
      return words.every((w) => text.includes(w));
    });
    select.replaceChildren(...matches.map((p) =>
      el("option", { value: p.id, selected: String(p.id) === String(selected) }, iphoneLabel(p))));
  };
  search.addEventListener("input", fill);
  search.addEventListener("keydown", (ev) => {
    if (ev.key === "Enter" && select.options.length) {
      ev.preventDefault();
      select.dispatchEvent(new Event("change", { bubbles: true }));
    }
  });
  fill();
  return [el("label", {}, "search", search), el("label", {}, "iPhone", select)];
}

// The mean, median, Bollinger band and a moving average of one scope, and a count series below.
async function scopeCharts(view, stale, ctx, scope, barsPath, barsFilter, countField, countLabel, ma, w, header) {
  const common = { run_id: ctx.run.run_id, bucket__gte: ctx.from, bucket__lte: ctx.to };
  const feature = (name) => api("/api/features/points/", Object.assign({ scope, name }, common));
  const [bars, low, mid, up, avg] = await Promise.all([
    api(barsPath, Object.assign({}, barsFilter, common)),
    feature("boll_low_" + w), feature("boll_mid_" + w), feature("boll_up_" + w), feature(ma + "_" + w),
  ]);
  if (stale()) return;
  if (!bars.count) {
    show(...header, message("No data for " + scope + " in run " + ctx.run.run_id + " between " + ctx.from +
                            " and " + ctx.to + ": choose another range (the run covers " + ctx.run.first_bucket +
                            " to " + ctx.run.last_bucket + ")."));
    return;
  }
  const x = times(bars.bucket);
  const mainDiv = chartBox();
  const countDiv = chartBox("small");
  show(...header, mainDiv, el("div", { class: "legend" }, countLabel + " per bucket:"), countDiv);
  const gray = { strokeWidth: 0.6, color: "#9b9b9b" };
  drawChart(view, mainDiv, x, [
    { label: "mean", values: floats(bars.mean) },
    { label: "median", values: floats(bars.median) },
    { label: ma + "_" + w, values: alignFeature(x, avg) },
    { label: "boll_low_" + w, values: alignFeature(x, low) },
    { label: "boll_mid_" + w, values: alignFeature(x, mid) },
    { label: "boll_up_" + w, values: alignFeature(x, up) },
  ], {
    name: "main",
    band: ["boll_low_" + w, "boll_up_" + w],
    dygraph: {
      ylabel: "yen",
      colors: ["#1f5fbf", "#2b8a3e", "#c2410c", "#9b9b9b", "#9b9b9b", "#9b9b9b"],
      series: { ["boll_low_" + w]: gray, ["boll_up_" + w]: gray, ["boll_mid_" + w]: { strokeWidth: 0.6, strokePattern: [4, 3] } },
    },
  });
  drawChart(view, countDiv, x, [{ label: countField, values: floats(bars[countField]) }],
            { name: "count", dygraph: { stepPlot: true, fillGraph: true, colors: ["#5b6475"], ylabel: countLabel } });
  setState("ready");
}

async function renderIphone(params, stale) {
  const ctx = await runContext(params);
  if (!ctx || stale()) return;
  const [iphones, windows] = await Promise.all([loadIphones(), loadWindows()]);
  if (stale()) return;
  if (!iphones.length) {
    show(message("PostgreSQL lists no iPhones: load the source tables (`ypa datagen` for demo data)."));
    return;
  }
  const id = params.get("id") || String(iphones[0].id);
  const phone = iphones.find((p) => String(p.id) === id);
  const header = [
    el("h2", {}, phone ? iphoneLabel(phone) : "iPhone #" + id),
    rangeControls("iphone", params, ctx, iphoneSelector(iphones, id), true, windows),
    el("p", { class: "info" }, el("a", { href: hashFor("shops", { run: ctx.run.run_id, id, from: ctx.from, to: ctx.to }) }, "per shop"),
       " · ", el("a", { href: hashFor("compare", { target: ctx.run.run_id, scope: "iphone:" + id, from: ctx.from, to: ctx.to }) }, "compare runs")),
  ];
  const w = params.get("w") || String(windows[0]);
  const ma = params.get("ma") || "ema";
  await scopeCharts("iphone", stale, ctx, "iphone:" + id, "/api/overall-bars/points/", { iphone: id },
                    "shop_count", "shops", ma, w, header);
}

async function renderCohort(params, stale) {
  const ctx = await runContext(params);
  if (!ctx || stale()) return;
  const [cohorts, windows] = await Promise.all([loadCohorts(), loadWindows()]);
  if (stale()) return;
  if (!cohorts.length) {
    show(message("PostgreSQL lists no cohorts: define some (`ypa datagen` makes demo cohorts)."));
    return;
  }
  const slug = params.get("slug") || cohorts[0].slug;
  const cohort = cohorts.find((c) => c.slug === slug);
  const select = el("select", { name: "slug" },
    cohorts.map((c) => el("option", { value: c.slug, selected: c.slug === slug }, c.title + " (" + c.slug + ")")));
  const header = [
    el("h2", {}, cohort ? cohort.title + " (" + slug + ")" : "Cohort " + slug),
    rangeControls("cohort", params, ctx, [el("label", {}, "cohort", select)], true, windows),
    el("p", { class: "info", id: "members" },
       cohort ? cohort.members + " members in PostgreSQL; the lower chart counts those with data per bucket."
              : "Not a cohort in PostgreSQL."),
  ];
  const w = params.get("w") || String(windows[0]);
  const ma = params.get("ma") || "ema";
  await scopeCharts("cohort", stale, ctx, "cohort:" + slug, "/api/cohort-bars/points/", { cohort__slug: slug },
                    "n_models", "members with data", ma, w, header);
}

async function renderShops(params, stale) {
  const ctx = await runContext(params);
  if (!ctx || stale()) return;
  const iphones = await loadIphones();
  if (stale()) return;
  if (!iphones.length) {
    show(message("PostgreSQL lists no iPhones: load the source tables (`ypa datagen` for demo data)."));
    return;
  }
  const id = params.get("id") || String(iphones[0].id);
  const phone = iphones.find((p) => String(p.id) === id);
  const header = [
    el("h2", {}, (phone ? iphoneLabel(phone) : "iPhone #" + id) + " per shop"),
    rangeControls("shops", params, ctx, iphoneSelector(iphones, id), false, []),
    el("p", { class: "info" }, "Each shop's aligned price_new around the cross-shop mean. ",
       el("a", { href: hashFor("iphone", { run: ctx.run.run_id, id, from: ctx.from, to: ctx.to }) }, "features")),
  ];
  const [bars, prices] = await Promise.all([
    api("/api/overall-bars/points/", { run_id: ctx.run.run_id, iphone: id, bucket__gte: ctx.from, bucket__lte: ctx.to }),
    apiAll("/api/purchasing-time-analyses/compact/", {
      run_id: ctx.run.run_id, iphone: id, Timestamp_Time__gte: ctx.from, Timestamp_Time__lte: ctx.to,
      ordering: "Timestamp_Time,shop",
    }, MAX_PRICE_ROWS),
  ]);
  if (stale()) return;
  if (prices.tooMany) {
    show(...header, message(prices.tooMany + " price rows in this range (at most " + MAX_PRICE_ROWS +
                            " are drawn): narrow the range."));
    return;
  }
  if (!bars.count && !prices.results.length) {
    show(...header, message("No data for iPhone #" + id + " in run " + ctx.run.run_id + " between " + ctx.from +
                            " and " + ctx.to + ": choose another range (the run covers " + ctx.run.first_bucket +
                            " to " + ctx.run.last_bucket + ")."));
    return;
  }
  const stamps = new Set();
  const shops = new Map();
  for (const b of bars.bucket) stamps.add(Date.parse(b));
  for (const r of prices.results) {
    stamps.add(Date.parse(r.bucket));
    if (!shops.has(r.shop_id)) shops.set(r.shop_id, r.shop_name);
  }
  const x = Float64Array.from([...stamps].sort((a, b) => a - b));
  const index = new Map();
  for (let i = 0; i < x.length; ++i) index.set(x[i], i);
  const shopIds = [...shops.keys()].sort((a, b) => a - b);
  const column = new Map(shopIds.map((s) => [s, new Float64Array(x.length).fill(NaN)]));
  for (const r of prices.results) column.get(r.shop_id)[index.get(Date.parse(r.bucket))] = r.price_new;
  const mean = new Float64Array(x.length).fill(NaN);
  for (let j = 0; j < bars.bucket.length; ++j) {
    if (bars.mean[j] !== null) mean[index.get(Date.parse(bars.bucket[j]))] = bars.mean[j];
  }
  const div = chartBox();
  show(...header, div);
  const series = [{ label: "mean", values: mean }].concat(
    shopIds.map((s) => ({ label: (shops.get(s) || "shop") + " #" + s, values: column.get(s) })));
  drawChart("shops", div, x, series, {
    name: "main",
    dygraph: {
      ylabel: "yen",
      connectSeparatedPoints: true,
      legend: "follow",
      series: { mean: { strokeWidth: 3, color: "#111" } },
      colors: ["#111"].concat(shopIds.map((_, i) => "hsl(" + ((i * 47) % 360) + ",55%,55%)")),
    },
  });
  setState("ready");
}

async function renderCompare(params, stale) {
  const runs = await loadRuns();
  if (stale()) return;
  if (!runs.length) {
    show(el("h2", {}, "Compare runs"),
         message("No runs yet: run `ypa run_pipeline` (or the README's first command) to compute one."));
    return;
  }
  const ids = runs.map((r) => r.run_id);
  const base = params.get("base") || (ids.includes("live") ? "live" : ids[0]);
  const target = params.get("target") || ids.find((r) => r !== base) || base;
  for (const r of [base, target]) {
    if (!ids.includes(r)) {
      show(el("h2", {}, "Compare runs"), message("Unknown run \"" + r + "\": the runs are " + ids.join(", ") + ".", true));
      return;
    }
  }
  const ctx = await runContext(new URLSearchParams({ run: target, from: params.get("from") || "", to: params.get("to") || "" }));
  if (!ctx || stale()) return;
  let scope = params.get("scope");
  if (!scope) {
    const iphones = await loadIphones();
    scope = iphones.length ? "iphone:" + iphones[0].id : "cohort:top";
  }
  const form = el("form", { class: "controls", id: "controls" },
    el("label", {}, "base", el("select", { name: "base" }, ids.map((r) => el("option", { value: r, selected: r === base }, r)))),
    el("label", {}, "target", el("select", { name: "target" }, ids.map((r) => el("option", { value: r, selected: r === target }, r)))),
    el("label", {}, "scope (iphone:<id> or cohort:<slug>)", el("input", { name: "scope", value: scope, size: 18 })),
    el("label", {}, "from", el("input", { name: "from", value: ctx.from, size: 22 })),
    el("label", {}, "to", el("input", { name: "to", value: ctx.to, size: 22 })),
    el("button", { type: "submit" }, "Compare"));
  form.addEventListener("submit", (ev) => {
    ev.preventDefault();
    go("compare", Object.fromEntries(new FormData(form).entries()));
  });
  const header = [el("h2", {}, "Compare " + base + " and " + target + " on " + scope), form];
  const m = /^(iphone|cohort):(.+)$/.exec(scope);
  if (!m) {
    show(...header, message("A scope is iphone:<id> or cohort:<slug>, not \"" + scope + "\".", true));
    return;
  }
  const path = m[1] === "iphone" ? "/api/overall-bars/points/" : "/api/cohort-bars/points/";
  const filter = m[1] === "iphone" ? { iphone: m[2] } : { cohort__slug: m[2] };
  const range = { bucket__gte: ctx.from, bucket__lte: ctx.to };
  const [a, b] = await Promise.all([
    api(path, Object.assign({ run_id: base }, filter, range)),
    api(path, Object.assign({ run_id: target }, filter, range)),
  ]);
  if (stale()) return;
  const chartPart = [];
  const diffBox = el("div", { id: "differences" }, el("p", { class: "message" }, "Comparing…"));
  if (!a.count && !b.count) {
    chartPart.push(message("No data for " + scope + " in either run between " + ctx.from + " and " + ctx.to + "."));
  } else {
    chartPart.push(chartBox());
  }
  show(...header, ...chartPart, el("h2", {}, "Differences"), diffBox);
  if (a.count || b.count) {
    const xa = times(a.bucket);
    const xb = times(b.bucket);
    const x = Float64Array.from([...new Set([...xa, ...xb])].sort((p, q) => p - q));
    const index = new Map();
    for (let i = 0; i < x.length; ++i) index.set(x[i], i);
    const place = (xs, values) => {
      const out = new Float64Array(x.length).fill(NaN);
      for (let j = 0; j < xs.length; ++j) if (values[j] !== null) out[index.get(xs[j])] = values[j];
      return out;
    };
    drawChart("compare", chartPart[0], x, [
      { label: base + " mean", values: place(xa, a.mean) },
      { label: target + " mean", values: place(xb, b.mean) },
    ], { name: "main", dygraph: { ylabel: "yen", connectSeparatedPoints: true } });
  }
  try {
    const diff = await api("/api/runs/compare/", { base, target, scope, from: ctx.from, to: ctx.to });
    if (stale()) return;
    diffBox.replaceChildren(differences(diff));
  } catch (e) {
    if (e instanceof Redirected || stale()) return;
    const missing = e instanceof ApiError && e.status === 404 && e.body && e.body.detail === "Not found.";
    diffBox.replaceChildren(el("p", { class: "message" + (missing ? "" : " error"), id: "compare-message" },
      missing ? "This server has no compare endpoint (/api/runs/compare/) yet: run `ypa compare_runs --base " +
                base + " --target " + target + " --scope " + scope + "` instead."
              : errorText(e)));
  }
  setState(a.count || b.count ? "ready" : "message");
}

// compare_runs --json as tables: per table the row counts, then the columns that differ.
function differences(d) {
  const parts = [el("p", { class: "info" }, d.equal ? "Equal within tolerance " + d.tolerance + "."
                                                    : "The runs differ (tolerance " + d.tolerance + ").")];
  for (const t of d.tables || []) {
    if (t.skipped) {
      parts.push(el("p", { class: "info" }, t.table + ": skipped (" + t.skipped + ")."));
      continue;
    }
    parts.push(el("h3", {}, t.table),
      el("table", { class: "counts" },
        el("tr", {}, ["rows in base", "rows in target", "only in base", "only in target", "rows that differ"].map((h) => el("th", {}, h))),
        el("tr", {}, [t.rows_base, t.rows_target, t.only_base, t.only_target, t.rows_differ].map((v) => el("td", { class: "num" }, String(v))))));
    const cols = (t.columns || []).filter((c) => c.rows_differ > 0 || c.null_vs_value > 0);
    if (cols.length) {
      parts.push(el("table", { class: "columns" },
        el("tr", {}, ["column", "rows that differ", "NULL on one side", "largest |a - b|", "where", "base", "target"].map((h) => el("th", {}, h))),
        cols.map((c) => el("tr", {},
          el("td", {}, c.column), el("td", { class: "num" }, String(c.rows_differ)),
          el("td", { class: "num" }, String(c.null_vs_value)), el("td", { class: "num" }, String(c.max_abs_diff)),
          el("td", {}, c.where ? c.where.scope + " " + c.where.bucket + (c.where.shop_id !== undefined ? " shop " + c.where.shop_id : "") : "—"),
          el("td", { class: "num" }, c.where ? String(c.where.base) : ""),
          el("td", { class: "num" }, c.where ? String(c.where.target) : "")))));
    }
  }
  return el("div", {}, parts);
}

// ------------------------------------------------------------------------------------- data health

const MAX_HEALTH_ROWS = 200000;  // shop_health rows (one per shop and hour) the health view reads at most
// The link's thresholds and the parameters of /api/shop-health/findings/ they are passed as; absent, the
// server's settings (HEALTH_SILENT_BUCKETS, ...) apply.
const HEALTH_PARAMS = { silent: "silent_buckets", share: "filtered_share", drift: "ratio_drift", coverage: "coverage_drop" };

// A heat-map table: one row per shop, one cell per hour, shaded by value(row) / max; a 0 is red (a shop
// that covered nothing) when `zeroBad`, a missing row pale. Hours are labelled in the zone offset `off`.
function heatMap(id, shops, hours, cellOf, value, max, title, off, zeroBad) {
  const local = (h) => isoIn(h, off);
  const head = el("tr", {}, el("th", {}, "shop"),
    hours.map((h, i) => el("th", { class: "hour", title: local(h) },
                            i === 0 || local(h).slice(11, 13) === "00" ? local(h).slice(5, 10) : "")));
  const body = shops.map((shop) => el("tr", { "data-shop": shop }, el("th", {}, String(shop)),
    hours.map((h) => {
      const r = cellOf(shop, h);
      const v = r ? value(r) : null;
      const a = v === null ? 0 : Math.min(1, v / (max || 1));
      const zero = zeroBad && v === 0;
      return el("td", { class: "cell" + (v === null ? " none" : zero ? " zero" : ""),
                        title: title(shop, local(h), r, v),
                        style: v === null || zero ? undefined : "background: rgba(31, 95, 191, " + a.toFixed(3) + ")" });
    })));
  return el("table", { id, class: "heat" }, el("thead", {}, head), el("tbody", {}, body));
}

async function renderHealth(params, stale) {
  const ctx = await runContext(params);
  if (!ctx || stale()) return;
  const off = offsetOf(ctx.run.last_bucket);
  const from = parseIn(ctx.from, off);
  const to = parseIn(ctx.to, off);
  const header = (limits) => [
    el("h2", {}, "Data health of run " + ctx.run.run_id),
    rangeControls("health", params, ctx, Object.entries(HEALTH_PARAMS).map(([key, name]) =>
      el("label", {}, { silent: "silent buckets", share: "filtered share", drift: "ratio drift",
                        coverage: "coverage drop" }[key],
         el("input", { name: key, value: limits[name] !== undefined ? limits[name] : "", size: 4 }))), false, []),
    el("p", { class: "info" }, "Per shop and hour from shop_health: the (iPhone, bucket) cells the shop covered and " +
       "the share of them outside the outlier band. Findings at the run's last bucket in range, from the server " +
       "(/api/shop-health/findings/, the rules of `ypa schedule`)."),
  ];
  const linkLimits = {};
  for (const [key, name] of Object.entries(HEALTH_PARAMS)) {
    const v = params.get(key);
    if (v !== null && v !== "") linkLimits[name] = v;
  }
  if (Number.isNaN(from) || Number.isNaN(to)) {
    show(...header(linkLimits), message("Unreadable time: from \"" + ctx.from + "\", to \"" + ctx.to + "\".", true));
    return;
  }
  // Findings are taken at the last bucket up to `to`.
  const last = Math.min(Date.parse(ctx.run.last_bucket), to);
  let answer;
  try {
    answer = await api("/api/shop-health/findings/", Object.assign({ run_id: ctx.run.run_id, at: isoIn(last, off) },
                                                                  linkLimits));
  } catch (e) {
    if (!(e instanceof ApiError) || e.status !== 400 || !e.body) throw e;
    if (stale()) return;
    // A threshold the server refused: name it as the link does.
    const bad = Object.entries(HEALTH_PARAMS).filter(([, name]) => e.body[name]).map(([key, name]) =>
      "bad " + key + " \"" + params.get(key) + "\": " + e.body[name].join(" "));
    show(...header(linkLimits), message(bad.length ? bad.join("; ") : errorText(e), true));
    return;
  }
  if (stale()) return;
  const limits = answer.thresholds;
  const findings = answer.results;
  const got = await apiAll("/api/shop-health/", {
    run_id: ctx.run.run_id, bucket__gte: isoIn(from - 3600000 + 1000, off), bucket__lte: ctx.to,
    ordering: "bucket,shop",
  }, MAX_HEALTH_ROWS);
  if (stale()) return;
  if (got.tooMany) {
    show(...header(limits), message(got.tooMany + " shop_health rows in this range (at most " + MAX_HEALTH_ROWS +
                                    " are read): narrow the range."));
    return;
  }
  const rows = got.results.filter((r) => Date.parse(r.bucket) >= from - 3600000 + 1 && Date.parse(r.bucket) <= to);
  if (!rows.length) {
    show(...header(limits), message("No shop_health rows in run " + ctx.run.run_id + " between " + ctx.from + " and " +
                                    ctx.to + ": choose another range (the run covers " + ctx.run.first_bucket + " to " +
                                    ctx.run.last_bucket + "), or re-run the pipeline if the run predates the table."));
    return;
  }
  const fullBuckets = rows.reduce((m, r) => Math.max(m, r.buckets), 1);
  const interval = 3600000 / fullBuckets;
  const hours = [...new Set(rows.map((r) => Date.parse(r.bucket)))].sort((a, b) => a - b);
  const shops = [...new Set(rows.map((r) => r.shop))].sort((a, b) => a - b);
  const byKey = new Map(rows.map((r) => [r.shop + "@" + Date.parse(r.bucket), r]));
  const cellOf = (shop, h) => byKey.get(shop + "@" + h);
  const coverage = {};
  const filtered = {};
  const ratio = {};
  for (const s of shops) {
    coverage[s] = hours.map((h) => (cellOf(s, h) ? cellOf(s, h).cells : null));
    filtered[s] = hours.map((h) => (cellOf(s, h) ? cellOf(s, h).filtered_share : null));
    ratio[s] = hours.map((h) => (cellOf(s, h) ? cellOf(s, h).price_ratio_median : null));
  }
  const maxCells = rows.reduce((m, r) => Math.max(m, r.cells), 1);
  const at = Date.parse(answer.at);
  const list = findings.length
    ? el("ul", { id: "findings" }, findings.map((f) => el("li", { class: "finding", "data-shop": f.shop, "data-kind": f.kind }, f.text)))
    : el("p", { id: "findings", class: "message", role: "status" }, "No findings at " + isoIn(at, off) + ".");
  show(...header(limits),
       el("h3", {}, "Findings at " + isoIn(at, off)), list,
       el("h3", {}, "Coverage: cells per hour (darkest = " + maxCells + ")"),
       el("div", { class: "heat-box" }, heatMap("coverage", shops, hours, cellOf, (r) => r.cells, maxCells,
         (s, h, r) => "shop " + s + ", " + h + ": " + (r ? r.cells + " cells, " + r.records_read +
                      " records, " + r.iphones + " iPhones" : "no row"), off, true)),
       el("h3", {}, "Filtered share per hour (darkest = 100 %)"),
       el("div", { class: "heat-box" }, heatMap("filtered", shops, hours, cellOf, (r) => r.filtered_share, 1,
         (s, h, r, v) => "shop " + s + ", " + h + ": " + (v === null ? "no cells" :
                         (100 * v).toFixed(1) + " % outside the band, price ratio " + r.price_ratio_median), off, false)));
  window.ypaCharts.health = { graphs: [], rows: rows.length, hours, shops, coverage, filtered, ratio, findings,
                              limits, lastBucket: at, interval };
  setState("ready");
}

async function renderLogin(params) {
  const next = params.get("next") || "#/runs";
  const note = sessionStorage.getItem("ypa.loginMessage");
  sessionStorage.removeItem("ypa.loginMessage");
  const status = el("p", { class: note ? "message" : "", id: "login-message", role: "status" }, note || "");
  const form = el("form", { class: "login", id: "login" },
    el("h2", {}, "Log in"),
    el("p", { class: "info" }, "With your account of the Django application."),
    el("label", {}, "user name", el("input", { name: "username", autocomplete: "username", required: true })),
    el("label", {}, "password", el("input", { name: "password", type: "password", autocomplete: "current-password", required: true })),
    el("button", { type: "submit" }, "Log in"), status);
  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    const data = Object.fromEntries(new FormData(form).entries());
    status.className = "message";
    status.textContent = "Logging in…";
    let r;
    try {
      r = await send("POST", "/api/token/", {}, { username: data.username, password: data.password });
    } catch (e) {
      status.className = "message error";
      status.textContent = errorText(e);
      return;
    }
    if (r.status === 200 && r.body && r.body.access) {
      sessionStorage.setItem(ACCESS, r.body.access);
      if (r.body.refresh) sessionStorage.setItem(REFRESH, r.body.refresh);
      location.hash = next.startsWith("#/") && !next.startsWith("#/login") ? next : "#/runs";
      return;
    }
    status.className = "message error";
    if (r.status === 401) status.textContent = (r.body && r.body.detail) || "Wrong user name or password.";
    else if (r.status === 429) status.textContent = "Too many failed logins from this address: wait a moment and try again.";
    else if (r.status === 404) status.textContent = "This server has no login endpoint (/api/token/).";
    else status.textContent = "The server answered " + r.status + ": " + JSON.stringify(r.body);
  });
  show(form);
  setState("ready");
}

window.addEventListener("hashchange", render);
document.getElementById("logout").addEventListener("click", () => {
  clearTokens();
  toLogin("Logged out.");
});
render();
