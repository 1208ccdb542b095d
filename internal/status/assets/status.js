// The gateway's status page: polls status.json (same origin) and draws it. Every value
// from the server goes through textContent or an SVG attribute, never through HTML.
"use strict";

const SVG = "http://www.w3.org/2000/svg";
let refreshMs = 2000;
let lockoutEnds = {}; // budget name -> epoch ms when its lockout ends (for the countdown)

function el(tag, attrs, text) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) e.setAttribute(k, v);
  if (text !== undefined) e.textContent = text;
  return e;
}

function svg(tag, attrs) {
  const e = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs || {})) e.setAttribute(k, v);
  return e;
}

function fmt(n) {
  return Number(n).toLocaleString("en-US", { maximumFractionDigits: 0 });
}

function ago(iso) {
  const s = Math.max(0, Math.round((Date.now() - Date.parse(iso)) / 1000));
  if (s < 60) return s + " s ago";
  if (s < 3600) return Math.round(s / 60) + " min ago";
  return Math.round(s / 3600) + " h ago";
}

function when(iso) {
  return new Date(iso).toLocaleString() + " (" + ago(iso) + ")";
}

// chart draws points in use over the last few windows against capacity, with a dashed
// capacity line and a faint line at each window boundary counted back from now.
function chart(b, now) {
  const w = 600, h = 100, top = 6, bottom = 2;
  const s = svg("svg", { class: "chart", viewBox: `0 0 ${w} ${h}`, preserveAspectRatio: "none", role: "img",
    "aria-label": `points in use over the last ${b.history.length} samples` });
  const span = 5 * b.window_seconds * 1000;
  const start = now - span;
  const max = Math.max(b.capacity, ...b.history.map((p) => p.used), 1);
  const x = (t) => ((t - start) / span) * w;
  const y = (v) => top + (1 - v / max) * (h - top - bottom);
  for (let i = 1; i < 5; i++) {
    const xi = x(now - i * b.window_seconds * 1000);
    s.appendChild(svg("line", { class: "window", x1: xi, x2: xi, y1: top, y2: h - bottom }));
  }
  const pts = b.history.map((p) => [x(Date.parse(p.at)), y(p.used)]).filter(([px]) => px >= 0);
  if (pts.length > 0) {
    const line = pts.map(([px, py], i) => (i ? "L" : "M") + px.toFixed(1) + " " + py.toFixed(1)).join(" ");
    const last = pts[pts.length - 1];
    s.appendChild(svg("path", { class: "area", d: `${line} L${last[0].toFixed(1)} ${h - bottom} L${pts[0][0].toFixed(1)} ${h - bottom} Z` }));
    s.appendChild(svg("path", { class: "line", d: line }));
  }
  s.appendChild(svg("line", { class: "cap", x1: 0, x2: w, y1: y(b.capacity), y2: y(b.capacity) }));
  // Labels live in HTML: the SVG stretches to the card's width and would stretch text too.
  const box = el("div", { class: "chart-box" });
  box.appendChild(s);
  const legend = el("div", { class: "legend muted small" });
  legend.appendChild(el("span", {}, `points in use, last 5 windows (${b.window_seconds} s each, now at the right)`));
  legend.appendChild(el("span", {}, "dashed: capacity " + fmt(b.capacity)));
  box.appendChild(legend);
  return box;
}

function budgetCard(b, now) {
  const card = el("article", { class: "budget", "data-budget": b.name });
  const head = el("div", { class: "budget-head" });
  head.appendChild(el("h2", {}, b.name + (b.upstreams.length > 1 || b.upstreams[0] !== b.name ? " · " + b.upstreams.join(", ") : "")));
  const big = el("div", { class: "big" });
  big.appendChild(el("span", { "data-field": "used" }, b.error ? "?" : fmt(b.used)));
  big.appendChild(el("span", { class: "muted" }, " / "));
  big.appendChild(el("span", { "data-field": "capacity" }, fmt(b.capacity)));
  head.appendChild(big);
  card.appendChild(head);

  const gauge = el("div", { class: "gauge", title: `reserve: last ${b.reserve} points for critical callers` });
  const fill = el("div", { class: "fill" });
  const frac = Math.min(1, b.used / b.capacity);
  fill.style.width = (frac * 100).toFixed(1) + "%";
  if (frac >= 1) fill.classList.add("full");
  else if (frac >= 0.8) fill.classList.add("high");
  gauge.appendChild(fill);
  if (b.reserve > 0) {
    const r = el("div", { class: "reserve" });
    r.style.width = ((b.reserve / b.capacity) * 100).toFixed(1) + "%";
    gauge.appendChild(r);
  }
  card.appendChild(gauge);

  const stats = el("div", { class: "stats" });
  const stat = (label, field, value, cls) => {
    const d = el("span", { class: "stat" + (cls ? " " + cls : "") }, label + " ");
    d.appendChild(el("b", { "data-field": field }, value));
    stats.appendChild(d);
  };
  stat("waiting", "waiters", fmt(b.waiters));
  stat("window", "window", b.window_seconds + " s");
  stat("reserve", "reserve", fmt(b.reserve));
  if (b.locked_for_seconds > 0) {
    lockoutEnds[b.name] = now + b.locked_for_seconds * 1000;
    card.classList.add("locked");
    stat("LOCKED OUT for", "lockout", Math.ceil(b.locked_for_seconds) + " s", "lockout");
  } else {
    delete lockoutEnds[b.name];
    stat("lockout", "lockout", "none");
  }
  if (b.degraded) stat("store", "degraded", "local share", "lockout");
  card.appendChild(stats);
  if (b.error) card.appendChild(el("p", { class: "error" }, b.error));

  card.appendChild(chart(b, now));

  const list = el("div", { class: "callers-in-window", "data-list": "by_caller" });
  list.appendChild(el("h2", {}, "Points in the current window, by caller"));
  if (b.by_caller.length === 0) list.appendChild(el("p", { class: "muted" }, "nothing counted now"));
  for (const c of b.by_caller) {
    const row = el("div", { class: "row", "data-caller": c.caller });
    row.appendChild(el("span", { class: "name" }, c.caller === "_outside" ? "outside the gateway" : c.caller));
    const g = el("div", { class: "gauge" });
    const f = el("div", { class: "fill" });
    f.style.width = Math.min(100, (c.points / b.capacity) * 100).toFixed(1) + "%";
    g.appendChild(f);
    row.appendChild(g);
    row.appendChild(el("span", { class: "num", "data-field": "points" }, fmt(c.points)));
    list.appendChild(row);
  }
  card.appendChild(list);
  return card;
}

function fillTable(id, rows, cells) {
  const body = document.querySelector(`#${id} tbody`);
  body.replaceChildren();
  if (rows.length === 0) {
    const tr = el("tr");
    tr.appendChild(el("td", { class: "empty", colspan: 3 }, "none"));
    body.appendChild(tr);
  }
  for (const r of rows) {
    const tr = el("tr");
    for (const [text, cls, key] of cells(r)) {
      const td = el("td", cls ? { class: cls } : {}, text);
      if (key) tr.setAttribute("data-key", key);
      tr.appendChild(td);
    }
    body.appendChild(tr);
  }
}

function field(name, text) {
  document.querySelector(`[data-field="${name}"]`).textContent = text;
}

function render(s) {
  const now = Date.now();
  document.getElementById("version").textContent = s.version;
  const store = document.getElementById("store");
  store.className = "pill " + { shared: "ok", degraded: "bad", local: "warn" }[s.store.state];
  store.textContent = s.store.kind === "redis"
    ? (s.store.state === "degraded" ? "Redis unreachable: local share (" + s.store.degraded.join(", ") + ")" : "Redis: shared budget")
    : "memory: this replica only";
  field("updated", "updated " + new Date(s.generated_at).toLocaleTimeString());

  const budgets = document.getElementById("budgets");
  budgets.replaceChildren(...s.budgets.map((b) => budgetCard(b, now)));

  fillTable("callers", s.callers, (c) => [[c.name, "", c.name], [fmt(c.points_admitted), "num"], [fmt(c.refused), "num"]]);
  fillTable("refusals", s.refusals, (r) => [[r.upstream], [r.reason, "", r.upstream + "/" + r.reason], [fmt(r.count), "num"]]);
  fillTable("saved", s.saved, (r) => [[r.upstream], [r.reason, "", r.upstream + "/" + r.reason], [fmt(r.count), "num"]]);

  field("loaded_at", when(s.config.loaded_at));
  field("last_reload", s.config.last_reload ? s.config.last_reload.result + ", " + when(s.config.last_reload.at) : "none since start");
  field("reloads", fmt(s.config.reloads_applied) + " / " + fmt(s.config.reloads_refused));
  field("started_at", when(s.started_at));
  document.body.setAttribute("data-generated", s.generated_at);
}

// tick counts lockouts down between polls, so the number a person watches moves every second.
function tick() {
  const now = Date.now();
  for (const [name, end] of Object.entries(lockoutEnds)) {
    const e = document.querySelector(`[data-budget="${CSS.escape(name)}"] [data-field="lockout"]`);
    if (e) e.textContent = Math.max(0, Math.ceil((end - now) / 1000)) + " s";
  }
}

async function poll() {
  const err = document.getElementById("error");
  try {
    const r = await fetch("status.json", { cache: "no-store" });
    if (!r.ok) throw new Error("status.json answered " + r.status);
    const s = await r.json();
    refreshMs = Math.max(500, s.refresh_seconds * 1000);
    render(s);
    err.classList.add("hidden");
  } catch (e) {
    err.textContent = "Cannot reach the gateway's admin listener (" + e.message + "); retrying.";
    err.classList.remove("hidden");
  }
  setTimeout(poll, refreshMs);
}

setInterval(tick, 1000);
poll();
