"""The page ``sarchat inspect`` writes: one HTML file, its style and script inline, no network.

The cards are drawn by the script from the JSON in ``#sarchat-data``, one page of ``PAGE_SIZE`` at a
time, so a page stays quick whatever the number of records. Boxes are an SVG laid over the
thumbnail in the image's pixel coordinates (``viewBox`` = image size): reference boxes green,
predicted boxes magenta (dashed when unmatched at IoU 0.5), each matched prediction labelled with
its IoU; positional tasks get the 3x3 grid.
"""

PAGE_TEMPLATE = r"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; img-src 'self' data: file:; style-src 'unsafe-inline'; script-src 'unsafe-inline'">
<title>sarchat inspect: {{TITLE}}</title>
<style>
body{font:14px/1.4 system-ui,sans-serif;margin:0;background:#f4f4f4;color:#222}
header{background:#fff;padding:10px 16px;border-bottom:1px solid #ccc}
h1{font-size:18px;margin:0 0 6px}
.runs{display:flex;gap:24px;flex-wrap:wrap}.tables{display:flex;gap:16px;align-items:flex-start}
.run table{border-collapse:collapse;font-size:12px}.run td,.run th{border:1px solid #ddd;padding:2px 6px;text-align:left}
.controls{position:sticky;top:0;background:#eef;padding:8px 16px;border-bottom:1px solid #ccc;z-index:2;display:flex;flex-wrap:wrap;gap:10px;align-items:center}
.controls label{font-size:13px}
#cards{padding:12px 16px}
.card{background:#fff;border:1px solid #ccc;border-radius:4px;margin:0 0 12px;padding:8px}
.card .head{font-size:13px;margin-bottom:6px}
.badge{display:inline-block;padding:0 6px;border-radius:8px;background:#ddd;margin-left:6px}
.badge.zero{background:#f4b4b4}.badge.full{background:#b4e4b4}.badge.warn{background:#f8d890}
.sides{display:flex;gap:16px;flex-wrap:wrap}
.side{flex:1;min-width:420px;display:flex;gap:10px}
.figure{position:relative;width:256px;flex:none;align-self:flex-start;background:#000}
.figure img{display:block;width:100%;height:100%}
.figure svg{position:absolute;left:0;top:0;width:100%;height:100%;pointer-events:none;overflow:visible}
.figure .ref{fill:none;stroke:#00c853}.figure .pred{fill:none;stroke:#ff00ff}
.figure .pred.unmatched{stroke-dasharray:6 4}.figure .grid{stroke:#ffeb3b;stroke-opacity:.6;stroke-dasharray:4 4}
.figure .cell-ref{fill:#00c853;fill-opacity:.18}.figure .cell-pred{fill:none;stroke:#ff00ff}
.figure text{fill:#ff00ff;font-weight:bold;paint-order:stroke;stroke:#000;stroke-width:2px}
.text{flex:1;min-width:0;font-size:13px}
.text pre{white-space:pre-wrap;word-break:break-word;background:#f8f8f8;padding:4px;margin:2px 0;max-height:12em;overflow:auto}
.text .reason{font-weight:bold}
.metrics{border-collapse:collapse;font-size:12px}.metrics td{border:1px solid #ddd;padding:1px 5px}
.legend span{margin-right:12px}.swatch{display:inline-block;width:18px;height:0;border-top:3px solid;vertical-align:middle;margin-right:4px}
.missing{width:256px;height:120px;color:#fff;font-size:12px;padding:6px;box-sizing:border-box}
</style></head>
<body>
<header><h1>sarchat inspect: {{TITLE}}</h1><div class="runs" id="runs"></div>
<p class="legend"><span><i class="swatch" style="border-color:#00c853"></i>reference box</span><span><i class="swatch" style="border-color:#ff00ff"></i>predicted box, labelled with its IoU when matched at 0.5 (dashed: unmatched)</span><span><i class="swatch" style="border-color:#ffeb3b"></i>3x3 grid (positional tasks): cells the reference names shaded green, cells the response names outlined magenta</span><span>click a picture for full size</span></p>
<p id="rule"></p></header>
<div class="controls">
<label>task <select id="f-task"></select></label>
<label>subset <select id="f-subset"></select></label>
<label>category <select id="f-category"></select></label>
<label>score <select id="f-score"><option value="">all</option><option value="zero">0</option><option value="partial">between 0 and 100</option><option value="full">100</option><option value="none">no score</option></select></label>
<label><input type="checkbox" id="f-parse"> parse failures</label>
<label><input type="checkbox" id="f-failed"> failed requests</label>
<label><input type="checkbox" id="f-differs"> rescored differs from log</label>
<label>sort <select id="f-sort"><option value="zeros">score, zeros first</option><option value="desc">score, highest first</option><option value="order">record order</option><option value="gap">difference between runs</option></select></label>
<span><button id="prev">&lt;</button> <span id="pageinfo"></span> <button id="next">&gt;</button></span>
<span id="count"></span>
</div>
<div id="cards"></div>
<script type="application/json" id="sarchat-data">{{DATA}}</script>
<script>
"use strict";
const DATA = JSON.parse(document.getElementById("sarchat-data").textContent);
const PAGE_SIZE = 50;
const SVG = "http://www.w3.org/2000/svg";
const ROWS = ["top", "middle", "bottom"], COLS = ["left", "center", "right"];
let page = 0, shown = [];
function el(tag, attrs, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) node.setAttribute(k, v);
  for (const c of children) node.append(c instanceof Node ? c : document.createTextNode(String(c)));
  return node;
}
function svgEl(tag, attrs) {
  const node = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, v);
  return node;
}
const fmt = v => v === null || v === undefined ? "—" : (typeof v === "number" ? (Number.isInteger(v) ? v : v.toFixed(2)) : JSON.stringify(v));
function header() {
  const box = document.getElementById("runs");
  DATA.runs.forEach((run, i) => {
    const t = el("table");
    const p = run.provenance;
    for (const k of ["run", "data", "model", "profile", "frame", "budgets", "versions"]) t.append(el("tr", {}, el("th", {}, k), el("td", {}, p[k])));
    t.append(el("tr", {}, el("th", {}, "read in"), el("td", {}, `profile ${run.reading.profile}, frame ${run.reading.frame}` + (run.reading.conventions ? `, conventions ${run.reading.conventions}` : ""))));
    const s = el("table");
    s.append(el("tr", {}, ...["task", "records", "parse failures", "failed requests", "avg_score", "shown"].map(h => el("th", {}, h))));
    for (const [task, totals] of Object.entries(run.totals)) {
      const score = (run.scores[task] || {}).avg_score;
      const n = DATA.cards.filter(c => c.task === task).length;
      s.append(el("tr", {}, el("td", {}, task), el("td", {}, totals.records), el("td", {}, totals.parse_failures), el("td", {}, totals.failed_requests), el("td", {}, fmt(score)), el("td", {}, n)));
    }
    box.append(el("div", {class: "run", "data-run": i}, el("b", {}, `${i ? "B" : (DATA.runs.length > 1 ? "A" : "run")}: ${run.label}`), el("div", {}, `${run.kind} ${run.path}`), el("div", {class: "tables"}, t, s)));
  });
  document.getElementById("rule").textContent = DATA.per_task > 0
    ? `Shown: per task, at most ${DATA.per_task} records, those whose SHA-256 of "task:id" is lowest (the same records in every run on the same data); the scores and counts above are over every record.`
    : "Shown: every record.";
}
function options(id, values) {
  const s = document.getElementById(id);
  s.append(el("option", {value: ""}, "all"));
  for (const v of [...new Set(values)].filter(v => v !== null).sort()) s.append(el("option", {value: v}, v));
  s.addEventListener("change", () => { page = 0; update(); });
}
function figure(card, side) {
  const fig = el("div", {class: "figure", style: `height:${256 * card.height / card.width}px`});
  if (card.image_problem) { fig.append(el("div", {class: "missing"}, "image not drawn: " + card.image_problem)); }
  else fig.append(el("a", {href: `img/${card.image}.jpg`, target: "_blank"}, el("img", {src: `img/${card.image}_t.jpg`, alt: card.image_name, loading: "lazy"})));
  const svg = svgEl("svg", {viewBox: `0 0 ${card.width} ${card.height}`, preserveAspectRatio: "none"});
  const stroke = Math.max(card.width, card.height) / 128;
  if (card.grid) for (const k of [1, 2]) {
    svg.append(svgEl("line", {class: "grid", x1: card.width * k / 3, y1: 0, x2: card.width * k / 3, y2: card.height, "stroke-width": stroke / 2}));
    svg.append(svgEl("line", {class: "grid", x1: 0, y1: card.height * k / 3, x2: card.width, y2: card.height * k / 3, "stroke-width": stroke / 2}));
  }
  const r = side.reading || {};
  // cells named: the reference's green, the response's magenta (description objects, identification's cell)
  const cells = (names, cls) => names.filter(Boolean).forEach(name => {
    const [row, col] = name.split(" ");
    const i = ROWS.indexOf(row), j = COLS.indexOf(col);
    if (i < 0 || j < 0) return;
    svg.append(svgEl("rect", {class: cls, "data-cell": name, x: card.width * j / 3, y: card.height * i / 3, width: card.width / 3, height: card.height / 3,
                                   "stroke-width": stroke, "stroke-dasharray": `${2 * stroke} ${2 * stroke}`}));
  });
  if (r.items) { cells(r.reference_items.map(x => x[1]), "cell-ref"); cells(r.items.map(x => x[1]), "cell-pred"); }
  if (r.attributes) { cells([r.reference_attributes.cell], "cell-ref"); cells(r.attributes.cell || [], "cell-pred"); }
  (r.reference_boxes || []).forEach((b, j) => {
    const [x1, y1, x2, y2] = b.box;
    svg.append(svgEl("rect", {class: "ref", "data-ref": j, x: x1, y: y1, width: x2 - x1, height: y2 - y1, "stroke-width": stroke}));
  });
  const matched = new Map(((r.matches || {})["0.5"] || []).map(([i, j, iou]) => [i, iou]));
  (r.boxes || []).forEach((b, i) => {
    if (!b.box) return;
    const [x1, y1, x2, y2] = b.box;
    const hit = matched.has(i);
    svg.append(svgEl("rect", {class: "pred" + (hit ? "" : " unmatched"), "data-pred": i, x: x1, y: y1, width: x2 - x1, height: y2 - y1, "stroke-width": stroke}));
    if (hit) { const t = svgEl("text", {x: x1, y: Math.max(y1 - stroke, 6 * stroke), "font-size": 6 * stroke}); t.textContent = matched.get(i).toFixed(2); svg.append(t); }
  });
  fig.append(svg);
  return fig;
}
function readText(r) {
  const lines = [];
  if (r.scoring_error) lines.push(r.scoring_error);
  if ("count" in r) lines.push(`count: ${r.count} (${r.count_source}); reference ${r.reference_count}`);
  if (r.boxes) lines.push(`boxes (image pixels): ${r.boxes.length ? r.boxes.map((b, i) => `#${i} ${b.category ? b.category + " " : ""}${b.box ? "[" + b.box.map(v => Math.round(v)).join(", ") + "]" : "unusable numbers"} (${b.syntax})`).join("; ") : "none"}`);
  if (r.reference_boxes) lines.push(`reference boxes: ${r.reference_boxes.map((b, j) => `#${j} ${b.category ? b.category + " " : ""}[${b.box.map(v => Math.round(v)).join(", ")}]`).join("; ")}`);
  for (const t of ["0.5", "0.25"]) if (r.matches && r.matches[t]) lines.push(`matched at IoU ${t}: ${r.matches[t].length ? r.matches[t].map(([i, j, iou]) => `#${i}→ref #${j} (IoU ${iou.toFixed(2)})`).join(", ") : "none"}`);
  if (r.relations) lines.push(`relations: ${r.relations.map(x => x.join(" ")).join("; ") || "none"}; reference: ${r.reference_relations.map(x => x.join(" ")).join("; ") || "none"}`);
  if (r.items) lines.push(`objects (category, cell): ${r.items.map(x => `${x[0]} @ ${x[1] || "no cell"}`).join("; ") || "none"}; reference: ${r.reference_items.map(x => `${x[0]} @ ${x[1]}`).join("; ")}`);
  if (r.categories) lines.push(`categories: ${r.categories.join(", ") || "none"}; reference: ${r.reference_categories.join(", ")}`);
  if (r.attributes) lines.push(`attributes: ${Object.entries(r.attributes).map(([k, v]) => `${k} ${v.join("/") || "—"}`).join(", ")}; reference: ${Object.entries(r.reference_attributes).map(([k, v]) => `${k} ${v || "—"}`).join(", ")}`);
  return lines.join("\n");
}
function sideText(card, side, label) {
  const t = el("div", {class: "text"});
  if (label) t.append(el("b", {}, label));
  t.append(el("div", {}, "response:"), el("pre", {class: "response"}, side.response || "(empty)"));
  t.append(el("div", {}, "read:"), el("pre", {class: "read"}, readText(side.reading || {})));
  t.append(el("div", {class: "reason"}, (side.reading || {}).reason || ""));
  const m = el("table", {class: "metrics"});
  for (const [k, v] of Object.entries(side.columns)) if (v !== null) m.append(el("tr", {}, el("td", {}, k), el("td", {}, fmt(v))));
  t.append(m);
  return t;
}
function badge(side) {
  const s = side.score;
  const cls = side.failed ? "warn" : s === null ? "" : s === 0 ? "zero" : s === 100 ? "full" : "";
  let text = side.failed ? "failed request" : `score ${fmt(s)}`;
  if (side.parse_failure) text += ", parse failure";
  if (side.logged_differs) text += ", rescored differs from log";
  return el("span", {class: "badge " + cls}, text);
}
function renderCard(card) {
  const head = el("div", {class: "head"}, el("b", {}, card.task), ` ${card.subset} · ${card.category || "—"} · ${card.id} · ${card.image_name} (${card.width}×${card.height})`);
  card.runs.forEach(side => head.append(badge(side)));
  const q = el("div", {class: "text"}, el("div", {}, "question: " + card.question), el("details", {}, el("summary", {}, "reference answer"), el("pre", {}, card.answer)));
  const sides = el("div", {class: "sides"});
  card.runs.forEach((side, i) => sides.append(el("div", {class: "side"}, figure(card, side), sideText(card, side, card.runs.length > 1 ? (i ? "B: " : "A: ") + DATA.runs[i].label : ""))));
  return el("div", {class: "card", "data-id": card.id, "data-task": card.task}, head, q, sides);
}
const val = id => document.getElementById(id).value;
const checked = id => document.getElementById(id).checked;
function matches(card) {
  const a = card.runs;
  if (val("f-task") && card.task !== val("f-task")) return false;
  if (val("f-subset") && card.subset !== val("f-subset")) return false;
  if (val("f-category") && card.category !== val("f-category")) return false;
  const f = val("f-score");
  if (f && !a.some(s => f === "none" ? s.score === null : f === "zero" ? s.score === 0 : f === "full" ? s.score === 100 : s.score !== null && s.score > 0 && s.score < 100)) return false;
  if (checked("f-parse") && !a.some(s => s.parse_failure)) return false;
  if (checked("f-failed") && !a.some(s => s.failed)) return false;
  if (checked("f-differs") && !a.some(s => s.logged_differs)) return false;
  return true;
}
const num = s => s.score === null ? -1 : s.score;
function update() {
  const order = val("f-sort");
  shown = DATA.cards.map((c, i) => [c, i]).filter(([c]) => matches(c));
  const key = {zeros: ([c, i]) => [num(c.runs[0]), i], desc: ([c, i]) => [-num(c.runs[0]), i], order: ([c, i]) => [0, i],
               gap: ([c, i]) => [-(c.runs.length > 1 ? Math.abs(num(c.runs[0]) - num(c.runs[1])) : 0), i]}[order];
  shown.sort((x, y) => { const a = key(x), b = key(y); return a[0] - b[0] || a[1] - b[1]; });
  const pages = Math.max(1, Math.ceil(shown.length / PAGE_SIZE));
  page = Math.min(page, pages - 1);
  const box = document.getElementById("cards");
  box.replaceChildren(...shown.slice(page * PAGE_SIZE, (page + 1) * PAGE_SIZE).map(([c]) => renderCard(c)));
  document.getElementById("pageinfo").textContent = `page ${page + 1} of ${pages}`;
  document.getElementById("count").textContent = `${shown.length} of ${DATA.cards.length} cards`;
}
header();
options("f-task", DATA.cards.map(c => c.task));
options("f-subset", DATA.cards.map(c => c.subset));
options("f-category", DATA.cards.map(c => c.category));
for (const id of ["f-score", "f-sort", "f-parse", "f-failed", "f-differs"]) document.getElementById(id).addEventListener("change", () => { page = 0; update(); });
document.getElementById("prev").addEventListener("click", () => { page = Math.max(0, page - 1); update(); });
document.getElementById("next").addEventListener("click", () => { page += 1; update(); });
update();
document.body.setAttribute("data-ready-ms", String(performance.now()));  // navigation start to the cards drawn
document.body.setAttribute("data-ready", "1");
</script>
</body></html>
"""
