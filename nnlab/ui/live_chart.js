// Live curves fetched by the browser itself: no Streamlit rerun while the runs train (ui/live_chart.py
// mounts them; ui/live_route.py answers). Train's run (data.serial), or a race's or sweep's runs
// (data.runs: one request for all, one colour per run). The page reruns once, when the run or every run
// has ended (or when something needs the page: a live verdict, a pause), through setTriggerValue.
//
// Streamlit loads this module once per page (a Blob URL) and calls its default function again at every
// rerun that changes the mount's data, WITHOUT the previous call's cleanup; only the last returned
// cleanup runs at unmount. So one loop per run lives in this module-level Map, and a second call for
// the same run hands back that loop's own cleanup instead of starting another loop.
const fetchedRows = new Map();  // run serial -> the epoch rows fetched so far (kept across reruns of the page)
const drawnHold = new Map();  // run serial -> its pause as its page last drew it (serving/live_answer.hold_state)
const fetchedMarks = new Map();  // run serial -> the rates set by hand it was last told (serving/live_answer.rate_marks_of)
const drawnVerdict = new Map();  // run serial -> its live verdict's button as its page last drew it (live_answer.verdict_state)
const loops = new Map();  // run serial, or "group:" + the runs' serials -> {stop, cleanup, host, stopped}
const W = 480, H = 220, LEFT = 52, RIGHT = 10, TOP = 12, BOTTOM = 30;
const FETCH_TIMEOUT_MS = 25000;  // a long poll's answer comes within 15 s (the route's hold) and its gap
const SVG = "http://www.w3.org/2000/svg";
// Vega's tableau10, the scheme of the compare charts (charts/training.run_colours): each run keeps its colour at the end.
const RUN_COLOURS = ["#4c78a8", "#f58518", "#e45756", "#72b7b2", "#54a24b", "#eeca3b", "#b279a2", "#ff9da6", "#9d755d", "#bab0ac"];
// What the live charts of this page did, for the journeys and the benchmark (harmless in production).
// drawnRuns: for a race's or sweep's chart, each run's last epoch drawn, at each drawing.
// progress: each fraction a progress line was told; fits: the epochs told with each fitted curve drawn;
// inside: the stamp of each inside view drawn; trials: the number of a search's trials at each drawing of its table;
// marks: the short labels of the rates set by hand (learning rate, L1, L2), at each drawing of them on Train's curves;
// links: the links of the inside panel's network drawing, counted at each drawing; trialStarts: a search's trials'
// first epoch drawn, one per trial; timeouts: long polls given up as stalled (and asked again).
const probe = (window.__nnlabLive = window.__nnlabLive || { fetches: 0, answers: 0, errors: [], calls: 0, drawn: [], told: [], toldAt: [], drawnRuns: [], progress: [], fits: [], inside: [], trials: [], marks: [], links: [], trialStarts: [], timeouts: 0 });

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

// A chart's frame and labels; its lines come with each series (line()).
function chart(box, title) {
  const svg = el("svg", { viewBox: `0 0 ${W} ${H}`, class: "curve", role: "img" });
  el("rect", { x: LEFT, y: TOP, width: W - LEFT - RIGHT, height: H - TOP - BOTTOM, class: "frame" }, svg);
  const label = (x, y, anchor) => el("text", { x, y, "text-anchor": anchor, class: "tick" }, svg);
  const c = {
    svg, title, lines: [],
    yTop: label(LEFT - 4, TOP + 10, "end"), yBottom: label(LEFT - 4, H - BOTTOM, "end"),
    xLeft: label(LEFT, H - BOTTOM + 14, "start"), xRight: label(W - RIGHT, H - BOTTOM + 14, "end"),
    name: label((W + LEFT) / 2, H - 4, "middle"), lo: null, hi: null, x: null,
    onset: el("line", { class: "onset", visibility: "hidden" }, svg),  // where overfitting set in (a live verdict's)
    marks: el("g", { class: "marks" }, svg),  // the rates set by hand during the run (markChanges)
  };
  c.name.textContent = title;
  box.appendChild(svg);
  return c;
}

// One run's training (solid) and validation (dashed) lines and their newest points: in the CSS's two
// colours for Train's run, in the run's colour for a race's or sweep's.
function line(c, colour) {
  const paint = colour ? { style: `stroke: ${colour}` } : {}, fill = colour ? { style: `fill: ${colour}` } : {};
  const lines = { train: el("polyline", { class: "train", ...paint }, c.svg), val: el("polyline", { class: "val", ...paint }, c.svg),
                  trainDot: el("circle", { class: "train-dot", r: 3.5, ...fill }, c.svg), valDot: el("circle", { class: "val-dot", r: 3.5, ...fill }, c.svg) };
  c.lines.push(lines);
  return lines;
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

// `runs`: one list of rows per line of the chart (c.lines), all on one scale.
function drawChart(c, runs, field, epochs, percent) {
  const values = [];
  for (const rows of runs) for (const r of rows) for (const f of [field, "val_" + field]) if (r[f] != null && Number.isFinite(r[f])) values.push(r[f]);
  if (!values.length) return;
  let lo = Math.min(...values), hi = Math.max(...values);
  if (percent) { lo = Math.min(lo, 0); hi = Math.max(hi, 1); } else lo = Math.min(lo, 0);
  if (hi <= lo) hi = lo + 1;
  // Rescale only when the range grows or shrinks by half: the lines do not jump at every epoch.
  if (c.hi === null || hi > c.hi || lo < c.lo || (hi - lo) < 0.5 * (c.hi - c.lo)) { c.lo = lo; c.hi = hi + 0.05 * (hi - lo); }
  const n = Math.max(epochs || 1, ...runs.map((rows) => (rows.length ? rows[rows.length - 1].epoch : 1)));
  const x = (e) => LEFT + (W - LEFT - RIGHT) * (n > 1 ? (e - 1) / (n - 1) : 0.5);
  const y = (v) => H - BOTTOM - (H - TOP - BOTTOM) * (Math.min(Math.max(v, c.lo), c.hi) - c.lo) / (c.hi - c.lo);
  c.x = x;
  runs.forEach((rows, i) => {
    const lines = c.lines[i];
    for (const [polyline, dot, f] of [[lines.train, lines.trainDot, field], [lines.val, lines.valDot, "val_" + field]]) {
      const points = thinned(rows, f, x).map(([px, v]) => [px.toFixed(1), y(v).toFixed(1)]);
      polyline.setAttribute("points", points.map((p) => p.join(",")).join(" "));
      const last = points[points.length - 1];  // the newest epoch, marked
      if (last) { dot.setAttribute("cx", last[0]); dot.setAttribute("cy", last[1]); }
    }
  });
  const fmt = (v) => (percent ? `${(100 * v).toFixed(0)} %` : v === 0 ? "0"
    : Math.abs(v) >= 1000 || Math.abs(v) < 0.01 ? v.toExponential(1) : String(Number(v.toPrecision(3))));
  c.yTop.textContent = fmt(c.hi); c.yBottom.textContent = fmt(c.lo);
  c.xLeft.textContent = "1"; c.xRight.textContent = `epoch ${n}`;
}

// The onset of overfitting (a live verdict's `onset` epoch) as a vertical line, or none.
function markOnset(c, epoch) {
  if (epoch == null || !c.x) { c.onset.setAttribute("visibility", "hidden"); return; }
  const px = c.x(epoch).toFixed(1);
  for (const [k, v] of [["x1", px], ["x2", px], ["y1", TOP], ["y2", H - BOTTOM], ["visibility", "visible"]]) c.onset.setAttribute(k, v);
}

// The rates set by hand during the run (a live answer's `marks`: epoch, short label, sentence) as labelled
// vertical rules, as the final Altair charts draw them (charts/training._rate_change_layers).
function markChanges(c, marks) {
  c.marks.replaceChildren();
  if (!c.x) return;
  for (const mark of marks) {
    const px = c.x(mark.epoch).toFixed(1);
    const rule = el("line", { x1: px, x2: px, y1: TOP, y2: H - BOTTOM, class: "change" }, c.marks);
    el("title", {}, rule).textContent = mark.label;
    el("text", { x: (Number(px) + 4).toFixed(1), y: TOP + 22, class: "tick change-label" }, c.marks).textContent = mark.short;
  }
}

const metricTitle = (metric) => (metric === "accuracy" ? "accuracy" : "mean absolute error");

// The view under `id` that this call continues (a rerun that keeps the chart: its loop goes on), or null
// after stopping a stale one; Streamlit does not clean up the earlier call (see the top).
function continued(id) {
  const old = loops.get(id);
  if (old && old.host.isConnected && !old.stopped()) return old;
  if (old) old.stop();
  return null;
}

// The fetch loop of one view: GET the route with query() until stopped, and hand each answer to
// answered(), which returns the trigger to tell the page (one rerun) or null to go on. A refusal or an
// HTML answer (a proxy that does not pass the route on) tells "failed"; a busy server (429, 503) and a
// network error are tried again, slower.
function follow(id, host, data, setTriggerValue, query, answered) {
  let stopped = false, told = false, control = null;
  const stop = () => { stopped = true; if (control) control.abort(); };
  const cleanup = () => { stop(); if (loops.get(id) === entry) loops.delete(id); };
  const entry = { stop, cleanup, host, stopped: () => stopped };
  loops.set(id, entry);
  const tell = (name, value) => {
    if (told) return;
    told = true; stop(); probe.told.push(name); probe.toldAt.push(Date.now());
    setTriggerValue(name, value);
  };
  (async () => {
    let pause = 0;
    while (!stopped) {
      if (pause) await new Promise((resolve) => setTimeout(resolve, pause));
      if (stopped) return;
      control = new AbortController();
      // A long poll the server holds at most 15 s (ui/live_route.HOLD_SECONDS): one that neither answers nor fails
      // long after that (a connection stalled on the way) is given up and asked again, not waited on for ever.
      let timedOut = false;
      const timer = setTimeout(() => { timedOut = true; control.abort(); }, FETCH_TIMEOUT_MS);
      let answer;
      try {
        probe.fetches++;
        const response = await fetch(`${apiUrl(data.page)}?${query()}`, { signal: control.signal, cache: "no-store", credentials: "same-origin" });
        if (response.status === 429 || response.status === 503) { pause = 1000; continue; }
        const type = response.headers.get("content-type") || "";
        if (!type.startsWith("application/json")) { probe.errors.push("not json"); tell("failed", "unreachable"); return; }
        if (!response.ok) { probe.errors.push(response.status); tell("failed", `refused ${response.status}`); return; }
        answer = await response.json();
      } catch (error) {
        if (stopped) return;
        if (timedOut) { probe.timeouts++; pause = 0; continue; }
        probe.errors.push(String(error));
        pause = Math.min(5000, (pause || 250) * 2);  // the server restarting, the network gone: try again, slower
        continue;
      } finally {
        clearTimeout(timer);
      }
      pause = 0;
      probe.answers++;
      const trigger = answered(answer);
      if (trigger) { tell(trigger, data.serial ?? data.runs[0].serial); return; }
    }
  })();
  return cleanup;
}

function setText(node, text) {  // only what changed is touched: each change costs the browser a layout
  if (node.textContent !== text) node.textContent = text;
}

function setWidth(bar, fraction) {
  const width = `${Math.round(100 * fraction)}%`;
  if (bar.style.width !== width) bar.style.width = width;
}

export default function (component) {
  probe.calls++;
  if (component.data.progress) return watchProgress(component);
  if (component.data.search) return watchSearch(component);
  if (component.data.fit) return watchFit(component);
  if (component.data.inside) return watchInside(component);
  return component.data.runs ? watchGroup(component) : watchRun(component);
}

// The start every view of one piece of work shares: the loop it continues (its cleanup), or its root and host,
// marked for the journeys, the note for a page without JavaScript taken away.
function mounted(id, parentElement, serial) {
  const old = continued(id);
  if (old) return { cleanup: old.cleanup };
  const root = parentElement.querySelector(".nnlab-live");
  const host = parentElement.host || root;
  host.setAttribute("data-nnlab-live", String(serial));
  root.querySelector(".note")?.remove();
  return { root, host };
}

// Work shown by its progress line only (the learning-rate finder): its words and bar, one rerun at its end.
function watchProgress({ data, parentElement, setTriggerValue }) {
  const id = "progress:" + data.serial;
  const { cleanup, root, host } = mounted(id, parentElement, data.serial);
  if (cleanup) return cleanup;
  const status = root.querySelector(".status"), bar = root.querySelector(".bar > div");
  let token = data.token, version = 0;
  return follow(id, host, data, setTriggerValue, () => `t=${encodeURIComponent(token)}&after=0&v=${version}`, (answer) => {
    token = answer.t; version = answer.v;
    setText(status, answer.status);
    setWidth(bar, answer.fraction);
    probe.progress.push(answer.fraction);
    return answer.done ? "ended" : null;  // one rerun: the curve and "Use this learning rate"
  });
}

function watchRun({ data, parentElement, setTriggerValue }) {
  drawnHold.set(data.serial, data.hold || "");  // at each rerun: the pause its page now shows (a loop goes on across reruns)
  drawnVerdict.set(data.serial, data.verdict || "");  // and its live verdict's button
  const old = continued(data.serial);
  if (old) return old.cleanup;
  const root = parentElement.querySelector(".nnlab-live");
  const host = parentElement.host || root;  // the shadow root's element in the page: journeys read it
  // The epochs already fetched for this run stay with the page: a loop started again after a rerun (a step
  // of a paused run is done) draws them at once and asks only for the ones after.
  if (!fetchedRows.has(data.serial)) fetchedRows.set(data.serial, []);
  const rows = fetchedRows.get(data.serial);
  let marks = fetchedMarks.get(data.serial) || [];
  host.setAttribute("data-nnlab-live", String(data.serial));
  host.setAttribute("data-nnlab-drawn-epoch", String(rows.length ? rows[rows.length - 1].epoch : 0));
  root.querySelector(".note")?.remove();  // the JavaScript runs: the note for when it does not goes
  const status = root.querySelector(".status"), bar = root.querySelector(".bar > div");
  const notes = root.querySelector(".notes"), box = root.querySelector(".charts"), hint = root.querySelector(".hint");
  const verdict = root.querySelector(".verdict"), verdictText = verdict.querySelector("span");
  box.replaceChildren();
  const percent = data.metric === "accuracy";
  const charts = [[chart(box, "loss (solid: training, dashed: validation)"), "loss", false],
                  [chart(box, metricTitle(data.metric)), data.metric, percent]];
  for (const [c, field, pct] of charts) {
    line(c, null);
    if (rows.length) { drawChart(c, [rows], field, data.epochs, pct); markChanges(c, marks); }
  }
  let token = data.token, after = rows.length, version = 0;
  return follow(data.serial, host, data, setTriggerValue, () => `t=${encodeURIComponent(token)}&after=${after}&v=${version}`, (answer) => {
    token = answer.t; after = answer.next; version = answer.v;
    setText(status, answer.status);
    setWidth(bar, answer.fraction);
    const warned = answer.warnings.join("\n");
    if (notes.dataset.shown !== warned) {
      notes.dataset.shown = warned;
      notes.replaceChildren(...answer.warnings.map((text) => { const p = document.createElement("p"); p.textContent = text; return p; }));
    }
    hint.hidden = rows.length + answer.rows.length > 0 || !answer.status.startsWith("Epoch");
    if (answer.rows.length) {
      rows.push(...answer.rows);
      for (const [c, field, pct] of charts) drawChart(c, [rows], field, answer.epochs, pct);
      host.setAttribute("data-nnlab-drawn-epoch", String(rows[rows.length - 1].epoch));
      probe.drawn.push(rows[rows.length - 1].epoch);
    }
    const told = JSON.stringify(answer.marks || []);
    if (answer.rows.length || told !== JSON.stringify(marks)) {  // a redrawn chart may have a new scale
      marks = answer.marks || [];
      fetchedMarks.set(data.serial, marks);
      for (const [c] of charts) markChanges(c, marks);
      if (told !== host.getAttribute("data-nnlab-marks")) {
        host.setAttribute("data-nnlab-marks", told);
        probe.marks.push(marks.map((mark) => mark.short));
      }
    }
    const said = answer.verdict ? `${answer.verdict.text} ${answer.verdict.advice}` : "";
    setText(verdictText, said);
    verdict.hidden = !said;
    const onset = answer.verdict ? answer.verdict.onset : null;
    if (String(onset) !== host.getAttribute("data-nnlab-onset") || answer.rows.length) {
      for (const [c] of charts) markOnset(c, onset);
      host.setAttribute("data-nnlab-onset", String(onset));
    }
    if (answer.done) return "ended";  // one rerun: the verdict and the full charts
    // A live verdict's button ("Stop and keep epoch N") came, went or names another epoch: one rerun draws it.
    if ((answer.verdict_state || "") !== drawnVerdict.get(data.serial)) return "finding";
    // Paused, stepped, resumed (here or in another tab), or the pause's allowance moved: the page's step
    // buttons and words are out of date, one rerun draws them again. A paused run costs nothing else.
    if ((answer.hold || "") !== drawnHold.get(data.serial)) return "paused";
    return null;
  });
}

// The inside panel's open tab (data.inside: "weights", "maps" or "stats"), fetched with `view=inside-<tab>`: its
// images (palette PNGs made by the server) or its per-layer lines, redrawn when the run's snapshot or statistics
// move on (the answer's `view`, null when nothing changed); one rerun at the run's end.
function watchInside({ data, parentElement, setTriggerValue }) {
  const id = `inside:${data.serial}:${data.inside}`;
  const { cleanup, root, host } = mounted(id, parentElement, data.serial);
  if (cleanup) return cleanup;
  const hint = root.querySelector(".hint"), caption = root.querySelector(".caption"), box = root.querySelector(".inside");
  const draw = { weights: insideWeights, maps: insideMaps, stats: insideStats }[data.inside];
  let token = data.token, after = 0, version = 0;
  return follow(id, host, data, setTriggerValue, () => `t=${encodeURIComponent(token)}&after=${after}&v=${version}&view=inside-${data.inside}`, (answer) => {
    token = answer.t; after = answer.next; version = answer.v;
    if (answer.view) {
      hint.hidden = true;
      setText(caption, answer.view.caption || answer.view.ratio || "");
      caption.hidden = !caption.textContent;
      draw(box, answer.view, data);
      probe.inside.push(answer.next);
    }
    return answer.done ? "ended" : null;  // one rerun: the page draws the panel as the run ended
  });
}

function image(box, url) {  // the one <img> of a box, its picture replaced
  let img = box.querySelector("img");
  if (!img) { img = document.createElement("img"); box.appendChild(img); }
  if (img.getAttribute("src") !== url) img.setAttribute("src", url);
  return img;
}

function insideWeights(box, view) {
  const img = image(box, view.url);
  img.style.width = `${Math.round(view.width * 64 / view.tile)}px`;  // ≈64 px a tile, as the page's chart
  img.alt = view.caption;
}

function insideMaps(box, view, data) {
  if (!box.querySelector(".plane")) {  // Playground's two check boxes under its output, kept across answers
    box.innerHTML = '<div class="maps"></div><p class="layers"></p><p class="caption network-caption"></p><div class="network"></div>' +
      '<div class="plane-options">' +
      '<label><input type="checkbox" class="show-test"> Show test data</label>' +
      '<label><input type="checkbox" class="discretize"> Discretize output</label></div><div class="plane"></div>';
  }
  const maps = box.querySelector(".maps");
  if (view.url) image(maps, view.url).style.width = `${64 * view.columns}px`; else maps.replaceChildren();  // 64 px a map, as the page's chart
  setText(box.querySelector(".layers"), view.layers.length ? `Rows, top to bottom: ${view.layers.join(", ")}` : "");
  if (view.network) {
    setText(box.querySelector(".network-caption"), view.network.caption);
    drawNetwork(box.querySelector(".network"), view.network);
  }
  const plane = box.querySelector(".plane"), showTest = box.querySelector(".show-test"), discretize = box.querySelector(".discretize");
  const redraw = () => {
    image(plane, discretize.checked ? view.classes : view.prediction);
    plane.classList.toggle("with-test", showTest.checked);
  };
  showTest.onchange = redraw;
  discretize.onchange = redraw;  // `view` is this answer's: a later answer sets them again
  redraw();
  let svg = plane.querySelector("svg");
  if (!svg) {  // the points, once: blue the last class, orange the others, grey a regression's; test points as squares
    svg = el("svg", { viewBox: "0 0 100 100", preserveAspectRatio: "none" }, plane);
    const [a, b] = view.x1, [c, d] = view.x2;
    for (const [x1, x2, last, test] of data.points) {  // edged dark: white edges vanished where the output is pale
      const x = 100 * (x1 - a) / (b - a), y = 100 - 100 * (x2 - c) / (d - c);
      const style = `fill: ${last === 1 ? "#1f77b4" : last === 0 ? "#ff7f0e" : "#555"}; stroke: #333; stroke-width: 0.25`;
      if (test) el("rect", { x: (x - 0.8).toFixed(2), y: (y - 0.8).toFixed(2), width: 1.6, height: 1.6, class: "test", style }, svg);
      else el("circle", { cx: x.toFixed(2), cy: y.toFixed(2), r: 0.9, style }, svg);
    }
  }
}

// The network as Playground draws it (charts/inside.network_chart draws the same for the page): a column per layer,
// a node per neuron, a link per weight, blue above zero and orange below, as wide as it is large; each link's
// weight in its tooltip (an SVG title). Redrawn whole at each snapshot: at most inside.MOST_LINKS links.
function drawNetwork(box, network) {
  const SPACE = 34, LAYER = 130, columns = network.columns;
  if (!columns.length) { box.replaceChildren(); return; }
  const tallest = Math.max(...columns.map((names) => names.length));
  const px = (x) => LAYER * (x + 0.5), py = (k, n) => SPACE * (k - (n - 1) / 2 + (tallest - 1) / 2 + 1.2);
  const svg = el("svg", { viewBox: `0 0 ${LAYER * columns.length} ${SPACE * (tallest + 1.4)}`, class: "net", role: "img" });
  const largest = Math.max(1e-12, ...network.weights.flat(2).map(Math.abs));
  let drawn = 0;
  network.weights.forEach((kernel, x) => kernel.forEach((row, i) => row.forEach((w, j) => {
    const link = el("line", { x1: px(x), y1: py(i, columns[x].length).toFixed(1), x2: px(x + 1), y2: py(j, columns[x + 1].length).toFixed(1),
                              class: "link", style: `stroke: ${w >= 0 ? "#0877bd" : "#f59322"}; stroke-width: ${(1.5 + 5.5 * Math.abs(w) / largest).toFixed(2)}` }, svg);
    el("title", {}, link).textContent = `${columns[x][i]} → ${columns[x + 1][j]}: weight ${w}`;
    drawn++;
  })));
  columns.forEach((names, x) => {
    el("text", { x: px(x), y: 12, "text-anchor": "middle", class: "tick" }, svg).textContent = network.layers[x];
    names.forEach((name, k) => { el("title", {}, el("circle", { cx: px(x), cy: py(k, names.length).toFixed(1), r: 8, class: "node" }, svg)).textContent = name; });
  });
  box.replaceChildren(svg);
  probe.links.push(drawn);
}

function insideStats(box, view) {
  box.replaceChildren();
  if (!view) return;
  const all = view.layers.flatMap((layer) => (view.norms[layer] || []).map((p) => p[1])).filter((v) => v > 0);
  const epochs = view.layers.flatMap((layer) => (view.bands[layer] || []).map((p) => p[0]));
  const [e0, e1] = [Math.min(...epochs, 1), Math.max(...epochs, 1)];
  const x = (e, w) => LEFT + (w - LEFT - RIGHT) * (e1 > e0 ? (e - e0) / (e1 - e0) : 0.5);
  if (all.length) {  // each layer's gradient norm, log scale, coloured along the depth
    const svg = el("svg", { viewBox: `0 0 ${W} ${H}`, class: "curve", role: "img" }, box);
    el("rect", { x: LEFT, y: TOP, width: W - LEFT - RIGHT, height: H - TOP - BOTTOM, class: "frame" }, svg);
    const [lo, hi] = [Math.log10(Math.min(...all)), Math.log10(Math.max(...all))];
    const y = (v) => H - BOTTOM - (H - TOP - BOTTOM) * (hi > lo ? (Math.log10(v) - lo) / (hi - lo) : 0.5);
    view.layers.forEach((layer, i) => {
      const points = (view.norms[layer] || []).filter((p) => p[1] > 0).map((p) => `${x(p[0], W).toFixed(1)},${y(p[1]).toFixed(1)}`);
      el("polyline", { points: points.join(" "), class: "norm", style: `stroke: ${view.colours[i]}` }, svg);
    });
    const label = (px, py, anchor, text) => { el("text", { x: px, y: py, "text-anchor": anchor, class: "tick" }, svg).textContent = text; };
    label(LEFT - 4, TOP + 10, "end", (10 ** hi).toExponential(1)); label(LEFT - 4, H - BOTTOM, "end", (10 ** lo).toExponential(1));
    label((W + LEFT) / 2, H - 4, "middle", "gradient norm per layer (log scale), by epoch");
    const legend = document.createElement("p");
    legend.className = "legend";
    view.layers.forEach((layer, i) => {
      const swatch = document.createElement("span");
      swatch.className = "swatch"; swatch.style.background = view.colours[i];
      legend.append(swatch, `${layer}  `);
    });
    box.appendChild(legend);
  }
  const charts = document.createElement("div");
  charts.className = "charts";
  box.appendChild(charts);
  for (const layer of view.layers) {  // the weights' 16–84 % band around the median, per layer
    const rows = (view.bands[layer] || []).filter((r) => r[2] != null);
    if (!rows.length) continue;
    const c = chart(charts, `${layer}: weights, median and 16–84 %`);
    const values = rows.flatMap((r) => [r[1], r[3]]).filter((v) => v != null);
    const [lo, hi] = [Math.min(...values), Math.max(...values)];
    const y = (v) => H - BOTTOM - (H - TOP - BOTTOM) * (hi > lo ? (v - lo) / (hi - lo) : 0.5);
    const upper = rows.filter((r) => r[3] != null).map((r) => `${x(r[0], W).toFixed(1)},${y(r[3]).toFixed(1)}`);
    const lower = rows.filter((r) => r[1] != null).map((r) => `${x(r[0], W).toFixed(1)},${y(r[1]).toFixed(1)}`).reverse();
    el("polygon", { points: [...upper, ...lower].join(" "), class: "band" }, c.svg);
    el("polyline", { points: rows.map((r) => `${x(r[0], W).toFixed(1)},${y(r[2]).toFixed(1)}`).join(" "), class: "median" }, c.svg);
    c.yTop.textContent = String(Number(hi.toPrecision(3))); c.yBottom.textContent = String(Number(lo.toPrecision(3)));
    c.xLeft.textContent = String(e0); c.xRight.textContent = `epoch ${e1}`;
  }
}

// Universal approximation: the training points (grey), the true curve (blue, dashed) and the curve the network
// computes now (orange, each answer's `curve`), with how far it is from the true one on average; one rerun at the end.
function watchFit({ data, parentElement, setTriggerValue }) {
  const id = "fit:" + data.serial;
  const { cleanup, root, host } = mounted(id, parentElement, data.serial);
  if (cleanup) return cleanup;
  const status = root.querySelector(".status"), bar = root.querySelector(".bar > div"), distance = root.querySelector(".distance");
  const box = root.querySelector(".charts");
  box.replaceChildren();
  const FW = 720, FH = 320;
  const svg = el("svg", { viewBox: `0 0 ${FW} ${FH}`, class: "fit", role: "img" }, box);
  const ys = [...data.points, ...data.target].map((p) => p[1]).filter((v) => v != null);
  const xs = [...data.points, ...data.target].map((p) => p[0]);
  const [x0, x1] = [Math.min(...xs), Math.max(...xs)];
  let [y0, y1] = [Math.min(...ys), Math.max(...ys)];
  const pad = 0.1 * (y1 - y0 || 1); y0 -= pad; y1 += pad;
  const px = (x) => LEFT + (FW - LEFT - RIGHT) * (x - x0) / (x1 - x0 || 1);
  const py = (y) => FH - BOTTOM - (FH - TOP - BOTTOM) * (Math.min(Math.max(y, y0), y1) - y0) / (y1 - y0);
  const path = (pairs) => pairs.filter((p) => p[1] != null).map((p) => `${px(p[0]).toFixed(1)},${py(p[1]).toFixed(1)}`).join(" ");
  el("rect", { x: LEFT, y: TOP, width: FW - LEFT - RIGHT, height: FH - TOP - BOTTOM, class: "frame" }, svg);
  for (const [x, y] of data.points) el("circle", { cx: px(x).toFixed(1), cy: py(y).toFixed(1), r: 2.5, class: "dot" }, svg);
  el("polyline", { points: path(data.target), class: "truth" }, svg);
  const fitted = el("polyline", { class: "fitted" }, svg);
  const label = (x, y, anchor, text) => { el("text", { x, y, "text-anchor": anchor, class: "tick" }, svg).textContent = text; };
  label(LEFT - 4, TOP + 10, "end", String(Number(y1.toPrecision(3)))); label(LEFT - 4, FH - BOTTOM, "end", String(Number(y0.toPrecision(3))));
  label(LEFT, FH - BOTTOM + 14, "start", String(x0)); label(FW - RIGHT, FH - BOTTOM + 14, "end", String(x1));
  let token = data.token, after = 0, version = 0;
  return follow(id, host, data, setTriggerValue, () => `t=${encodeURIComponent(token)}&after=${after}&v=${version}`, (answer) => {
    token = answer.t; after = answer.next; version = answer.v;
    setText(status, answer.status);
    setWidth(bar, answer.fraction);
    if (answer.curve && answer.curve.length) {
      fitted.setAttribute("points", path(answer.curve));
      // fit_error's figure: the mean distance to the true curve on the same grid (concepts/approximation.fit_error)
      const gaps = answer.curve.map((p, i) => (p[1] != null && data.target[i] ? Math.abs(p[1] - data.target[i][1]) : null)).filter((g) => g != null);
      if (gaps.length) {
        setText(distance, `Average distance between the fit and the curve: ${(gaps.reduce((a, b) => a + b, 0) / gaps.length).toFixed(4)}`);
        distance.hidden = false;
      }
      probe.fits.push(answer.next);
    }
    return answer.done ? "ended" : null;  // one rerun: the final fit, drawn by the page
  });
}

// A search: the study's progress, its place in the queue, the current trial's line and curves (started again
// when the trial changes), and the trials told so far with the best of them (sent when one is told). One
// rerun, at the end: the page's results.
function watchSearch({ data, parentElement, setTriggerValue }) {
  const id = "search:" + data.serial;
  const { cleanup, root, host } = mounted(id, parentElement, data.serial);
  if (cleanup) return cleanup;
  host.setAttribute("data-nnlab-drawn-epoch", "0");
  const best = root.querySelector(".best"), table = root.querySelector("table.trials");
  const status = root.querySelector(".status"), bar = root.querySelector(".bar > div");
  const place = root.querySelector(".place"), trialLine = root.querySelector(".trial"), box = root.querySelector(".charts");
  let token = data.token, after = data.after || 0, version = 0, trial = null, rows = [], charts = [];
  return follow(id, host, data, setTriggerValue, () => `t=${encodeURIComponent(token)}&after=${after}&v=${version}`, (answer) => {
    token = answer.t; version = answer.v; after = answer.next;
    setText(status, answer.status);
    setWidth(bar, answer.fraction);
    setText(place, answer.place);
    place.hidden = !answer.place;
    const now = answer.trial;
    trialLine.hidden = !now;
    if (now) {
      setText(trialLine, `${now.label} · ${now.status}`);
      if (now.serial !== trial) {  // a new trial: its own curves, from its first epoch
        trial = now.serial; rows = [];
        box.replaceChildren();
        charts = [[chart(box, "loss (solid: training, dashed: validation)"), "loss", false],
                  [chart(box, metricTitle(now.metric)), now.metric, now.metric === "accuracy"]];
        for (const [c] of charts) line(c, null);
      }
      if (answer.rows.length) {
        if (!rows.length) probe.trialStarts.push(answer.rows[0].epoch);  // where this trial's curves begin
        rows.push(...answer.rows);
        for (const [c, field, pct] of charts) drawChart(c, [rows], field, now.epochs, pct);
        host.setAttribute("data-nnlab-drawn-epoch", String(rows[rows.length - 1].epoch));
        probe.drawn.push(rows[rows.length - 1].epoch);
      }
    }
    if (answer.told) drawTrials(table, best, answer.told, answer.best);
    return answer.done ? "ended" : null;  // one rerun: the results
  });
}

// The trials told so far, newest first: number, what became of it, its figure, epochs and knobs (text only).
function drawTrials(table, best, told, bestText) {
  setText(best, bestText);
  best.hidden = !bestText;
  table.hidden = !told.length;
  const body = table.tBodies[0];
  body.replaceChildren(...told.map((trial) => {
    const row = document.createElement("tr");
    for (const value of [trial.trial, trial.state, trial.shown, trial.epochs, trial.settings]) {
      const cell = document.createElement("td");
      cell.textContent = String(value);
      row.appendChild(cell);
    }
    return row;
  }));
  probe.trials.push(told.length);
}

// A race's or sweep's runs: one request for all (their cursors in one query), each run's progress line
// with its colour, and its lines in each chart; one rerun once every run has ended and been drawn.
function watchGroup({ data, parentElement, setTriggerValue }) {
  const id = "group:" + data.runs.map((run) => run.serial).join(",");
  const old = continued(id);
  if (old) return old.cleanup;
  const root = parentElement.querySelector(".nnlab-live");
  const host = parentElement.host || root;
  host.setAttribute("data-nnlab-live", data.runs.map((run) => run.serial).join(","));
  host.setAttribute("data-nnlab-drawn-epoch", "0");
  host.setAttribute("data-nnlab-drawn-epochs", data.runs.map(() => 0).join(","));
  root.querySelector(".note")?.remove();
  const finished = root.querySelector(".finished"), box = root.querySelector(".charts"), hint = root.querySelector(".hint");
  const list = root.querySelector(".runs");
  list.replaceChildren();
  box.replaceChildren();
  const runs = data.runs.map((run, i) => {
    const colour = RUN_COLOURS[i % RUN_COLOURS.length];
    const row = document.createElement("div"), text = document.createElement("p"), bar = document.createElement("div");
    row.className = "run"; text.className = "status"; bar.className = "bar";
    const swatch = document.createElement("span"), name = document.createElement("b"), status = document.createElement("span");
    swatch.className = "swatch"; swatch.style.background = colour; name.textContent = run.label;
    status.textContent = " · Waiting…";
    text.append(swatch, name, status);
    bar.appendChild(document.createElement("div"));
    row.append(text, bar);
    list.appendChild(row);
    return { colour, status, bar: bar.firstChild, rows: [], after: 0 };
  });
  let metric = data.metric;
  const charts = [[chart(box, "loss"), "loss"], [chart(box, metricTitle(metric)), metric]];
  for (const [c] of charts) for (const run of runs) line(c, run.colour);
  let token = data.token, version = 0;
  return follow(id, host, data, setTriggerValue, () => `t=${encodeURIComponent(token)}&after=${runs.map((run) => run.after).join(",")}&v=${version}`, (answer) => {
    token = answer.t; version = answer.v;
    const told = answer.runs || [answer];  // a group of one is answered as Train's run is
    if (answer.metric && answer.metric !== metric) {  // the data's task is known once a run has loaded it
      metric = charts[1][1] = answer.metric;
      charts[1][0].name.textContent = metricTitle(metric);
    }
    let added = 0;
    told.forEach((news, i) => {
      const run = runs[i];
      setText(run.status, ` · ${news.status}`);
      setWidth(run.bar, news.fraction);
      run.rows.push(...news.rows);
      run.after = news.next;
      added += news.rows.length;
    });
    if (data.count_finished) {
      finished.hidden = false;
      setText(finished, `Runs finished: ${told.filter((news) => news.ended).length} of ${runs.length}`);
    }
    hint.hidden = runs.some((run) => run.rows.length) || !told.some((news) => news.status.startsWith("Epoch"));
    if (added) {
      for (const [c, field] of charts) drawChart(c, runs.map((run) => run.rows), field, data.epochs, metric === "accuracy" && field !== "loss");
      const drawn = runs.map((run) => (run.rows.length ? run.rows[run.rows.length - 1].epoch : 0));
      host.setAttribute("data-nnlab-drawn-epochs", drawn.join(","));
      host.setAttribute("data-nnlab-drawn-epoch", String(Math.max(...drawn)));
      probe.drawnRuns.push(drawn);
    }
    return answer.done ? "ended" : null;  // one rerun: the results table, the verdicts, the full charts
  });
}
