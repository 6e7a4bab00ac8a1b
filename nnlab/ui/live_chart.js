// Train's live curves, fetched by the browser itself: no Streamlit rerun while the run trains
// (ui/live_chart.py mounts it; ui/live_route.py answers). The page reruns once, when the run has
// ended (or when something needs the page: a live verdict, a pause), through setTriggerValue.
//
// Streamlit loads this module once per page (a Blob URL) and calls its default function again at every
// rerun that changes the mount's data, WITHOUT the previous call's cleanup; only the last returned
// cleanup runs at unmount. So one loop per run lives in this module-level Map, and a second call for
// the same run hands back that loop's own cleanup instead of starting another loop.
const loops = new Map();  // run serial -> {stop, cleanup, host}
const W = 480, H = 220, LEFT = 52, RIGHT = 10, TOP = 12, BOTTOM = 30;
const SVG = "http://www.w3.org/2000/svg";
// What the live charts of this page did, for the journeys and the benchmark (harmless in production).
const probe = (window.__nnlabLive = window.__nnlabLive || { fetches: 0, answers: 0, errors: [], calls: 0, drawn: [], told: [] });

function apiUrl(page) {  // from the page's own address: works under server.baseUrlPath and behind a proxy's prefix
  let path = window.location.pathname;
  if (page && path.endsWith("/" + page)) path = path.slice(0, -page.length);
  else if (page && path.endsWith("/" + page + "/")) path = path.slice(0, -page.length - 1);
  if (!path.endsWith("/")) path += "/";
  return path + "api/live";
}

function el(name, attrs, parent) {
  const node = document.createElementNS(SVG, name);
  for (const [k, v] of Object.entries(attrs || {})) node.setAttribute(k, v);
  if (parent) parent.appendChild(node);
  return node;
}

function chart(box, title) {
  const svg = el("svg", { viewBox: `0 0 ${W} ${H}`, class: "curve", role: "img" });
  el("rect", { x: LEFT, y: TOP, width: W - LEFT - RIGHT, height: H - TOP - BOTTOM, class: "frame" }, svg);
  const label = (x, y, anchor) => el("text", { x, y, "text-anchor": anchor, class: "tick" }, svg);
  const c = {
    svg, title, train: el("polyline", { class: "train" }, svg), val: el("polyline", { class: "val" }, svg),
    trainDot: el("circle", { class: "train-dot", r: 3.5 }, svg), valDot: el("circle", { class: "val-dot", r: 3.5 }, svg),
    yTop: label(LEFT - 4, TOP + 10, "end"), yBottom: label(LEFT - 4, H - BOTTOM, "end"),
    xLeft: label(LEFT, H - BOTTOM + 14, "start"), xRight: label(W - RIGHT, H - BOTTOM + 14, "end"),
    name: label((W + LEFT) / 2, H - 4, "middle"), lo: null, hi: null,
  };
  c.name.textContent = title;
  box.appendChild(svg);
  return c;
}

// At most ≈2 points per pixel column: each column's lowest and highest value, in epoch order.
function thinned(rows, field, x) {
  if (rows.length <= 2 * (W - LEFT - RIGHT)) return rows.filter((r) => r[field] != null).map((r) => [x(r.epoch), r[field]]);
  const columns = new Map();
  for (const r of rows) {
    const v = r[field];
    if (v == null) continue;
    const px = Math.round(x(r.epoch));
    const col = columns.get(px);
    if (!col) columns.set(px, { lo: v, hi: v, first: v });
    else { col.lo = Math.min(col.lo, v); col.hi = Math.max(col.hi, v); }
  }
  const out = [];
  for (const [px, col] of columns) { out.push([px, col.first === col.hi ? col.hi : col.lo]); if (col.lo !== col.hi) out.push([px, col.first === col.hi ? col.lo : col.hi]); }
  return out;
}

function drawChart(c, rows, field, epochs, percent) {
  const values = [];
  for (const r of rows) for (const f of [field, "val_" + field]) if (r[f] != null && Number.isFinite(r[f])) values.push(r[f]);
  if (!values.length) return;
  let lo = Math.min(...values), hi = Math.max(...values);
  if (percent) { lo = Math.min(lo, 0); hi = Math.max(hi, 1); } else lo = Math.min(lo, 0);
  if (hi <= lo) hi = lo + 1;
  // Rescale only when the range grows or shrinks by half: the lines do not jump at every epoch.
  if (c.hi === null || hi > c.hi || lo < c.lo || (hi - lo) < 0.5 * (c.hi - c.lo)) { c.lo = lo; c.hi = hi + 0.05 * (hi - lo); }
  const n = Math.max(epochs || 1, rows[rows.length - 1].epoch);
  const x = (e) => LEFT + (W - LEFT - RIGHT) * (n > 1 ? (e - 1) / (n - 1) : 0.5);
  const y = (v) => H - BOTTOM - (H - TOP - BOTTOM) * (Math.min(Math.max(v, c.lo), c.hi) - c.lo) / (c.hi - c.lo);
  for (const [line, dot, f] of [[c.train, c.trainDot, field], [c.val, c.valDot, "val_" + field]]) {
    const points = thinned(rows, f, x).map(([px, v]) => [px.toFixed(1), y(v).toFixed(1)]);
    line.setAttribute("points", points.map((p) => p.join(",")).join(" "));
    const last = points[points.length - 1];  // the newest epoch, marked
    if (last) { dot.setAttribute("cx", last[0]); dot.setAttribute("cy", last[1]); }
  }
  const fmt = (v) => (percent ? `${(100 * v).toFixed(0)} %` : v === 0 ? "0"
    : Math.abs(v) >= 1000 || Math.abs(v) < 0.01 ? v.toExponential(1) : String(Number(v.toPrecision(3))));
  c.yTop.textContent = fmt(c.hi); c.yBottom.textContent = fmt(c.lo);
  c.xLeft.textContent = "1"; c.xRight.textContent = `epoch ${n}`;
}

export default function (component) {
  const { data, parentElement, setTriggerValue } = component;
  probe.calls++;
  const old = loops.get(data.serial);
  if (old && old.host.isConnected && !old.stopped()) return old.cleanup;  // a rerun that keeps the chart: the loop goes on
  if (old) old.stop();

  const root = parentElement.querySelector(".nnlab-live");
  const host = parentElement.host || root;  // the shadow root's element in the page: journeys read it
  host.setAttribute("data-nnlab-live", String(data.serial));
  host.setAttribute("data-nnlab-drawn-epoch", "0");
  root.querySelector(".note")?.remove();  // the JavaScript runs: the note for when it does not goes
  const status = root.querySelector(".status"), bar = root.querySelector(".bar > div");
  const notes = root.querySelector(".notes"), box = root.querySelector(".charts"), hint = root.querySelector(".hint");
  box.replaceChildren();
  const percent = data.metric === "accuracy";
  const charts = [[chart(box, "loss (solid: training, dashed: validation)"), "loss", false],
                  [chart(box, `${data.metric === "accuracy" ? "accuracy" : "mean absolute error"}`), data.metric, percent]];
  const rows = [];
  let token = data.token, after = 0, version = 0, stopped = false, told = false, control = null;
  const stop = () => { stopped = true; if (control) control.abort(); };
  const cleanup = () => { stop(); if (loops.get(data.serial) === entry) loops.delete(data.serial); };
  const entry = { stop, cleanup, host, stopped: () => stopped };
  loops.set(data.serial, entry);

  const tell = (name, value) => {
    if (told) return;
    told = true; stop(); probe.told.push(name);
    setTriggerValue(name, value);
  };

  (async () => {
    let pause = 0;
    while (!stopped) {
      if (pause) await new Promise((resolve) => setTimeout(resolve, pause));
      if (stopped) return;
      control = new AbortController();
      let answer;
      try {
        probe.fetches++;
        const response = await fetch(`${apiUrl(data.page)}?t=${encodeURIComponent(token)}&after=${after}&v=${version}`,
                                     { signal: control.signal, cache: "no-store", credentials: "same-origin" });
        if (response.status === 429 || response.status === 503) { pause = 1000; continue; }
        const type = response.headers.get("content-type") || "";
        if (!type.startsWith("application/json")) { probe.errors.push("not json"); tell("failed", "unreachable"); return; }
        if (!response.ok) { probe.errors.push(response.status); tell("failed", `refused ${response.status}`); return; }
        answer = await response.json();
      } catch (error) {
        if (stopped) return;
        probe.errors.push(String(error));
        pause = Math.min(5000, (pause || 250) * 2);  // the server restarting, the network gone: try again, slower
        continue;
      }
      pause = 0;
      probe.answers++;
      token = answer.t; after = answer.next; version = answer.v;
      // Only what changed is touched: each change costs the browser a layout.
      if (status.textContent !== answer.status) status.textContent = answer.status;
      const width = `${Math.round(100 * answer.fraction)}%`;
      if (bar.style.width !== width) bar.style.width = width;
      const warned = answer.warnings.join("\n");
      if (notes.dataset.shown !== warned) {
        notes.dataset.shown = warned;
        notes.replaceChildren(...answer.warnings.map((text) => { const p = document.createElement("p"); p.textContent = text; return p; }));
      }
      hint.hidden = rows.length + answer.rows.length > 0 || !answer.status.startsWith("Epoch");
      if (answer.rows.length) {
        rows.push(...answer.rows);
        for (const [c, field, pct] of charts) drawChart(c, rows, field, answer.epochs, pct);
        host.setAttribute("data-nnlab-drawn-epoch", String(rows[rows.length - 1].epoch));
        probe.drawn.push(rows[rows.length - 1].epoch);
      }
      if (answer.done) { tell("ended", data.serial); return; }  // one rerun: the verdict and the full charts
      if (answer.finding) { tell("finding", data.serial); return; }  // the page shows the live verdict and its Stop
      if (answer.paused) { tell("paused", data.serial); return; }  // paused elsewhere: the step buttons need the page
    }
  })();
  return cleanup;
}
