/**
 * The script and style inlined into every HTML report (see html.ts): a flame graph drawn in
 * SVG by a few dozen lines of plain JavaScript, with zoom (click a frame), search, and, for
 * two snapshots, a differential colouring. No library, no network: the report is one file.
 *
 * The script reads the JSON in `<script id="wtm-data">`: `names` (frame labels) and `nodes`,
 * six numbers per node — parent index (-1 for the root), name index, bytes, blocks, old bytes,
 * old blocks — parents before children. Values are inclusive (a node counts its subtree).
 */

/** CSS of the report. */
export const REPORT_CSS = `
body { font: 14px/1.4 system-ui, -apple-system, "Segoe UI", sans-serif; margin: 0 24px 48px; color: #222; }
h1 { font-size: 20px; margin: 20px 0 4px; }
h2 { font-size: 16px; margin: 28px 0 8px; }
p.meta { margin: 2px 0; color: #555; font-size: 13px; }
.controls { display: flex; gap: 8px; align-items: center; margin: 8px 0; flex-wrap: wrap; }
.controls input[type=search] { width: 260px; padding: 3px 6px; }
.controls button { padding: 3px 10px; }
.controls button[aria-pressed=true] { background: #333; color: #fff; }
#flame { width: 100%; display: block; border: 1px solid #ddd; background: #fafafa; }
#flame g.frame { cursor: pointer; }
#flame g.frame rect { stroke: #fff; stroke-width: 0.5; }
#flame g.frame.match rect { fill: #c05cf0 !important; }
#flame g.frame.ancestor rect { opacity: 0.55; }
#flame text { font: 11px ui-monospace, Menlo, Consolas, monospace; fill: #111; pointer-events: none; }
#details { font: 12px ui-monospace, Menlo, Consolas, monospace; min-height: 1.5em; color: #333; margin: 4px 0; white-space: pre; }
table { border-collapse: collapse; font-size: 13px; }
th, td { padding: 2px 10px; border-bottom: 1px solid #eee; text-align: right; white-space: nowrap; }
th { background: #f3f3f3; position: sticky; top: 0; }
td.loc, th.loc { text-align: left; font-family: ui-monospace, Menlo, Consolas, monospace; }
td.grow { color: #b00; } td.shrink { color: #05a; }
.legend span { display: inline-block; padding: 0 6px; margin-right: 6px; border-radius: 2px; }
`;

/** The flame-graph script (plain ES2017, no template literals). */
export const REPORT_JS = String.raw`
(function () {
  'use strict';
  var data = JSON.parse(document.getElementById('wtm-data').textContent);
  var names = data.names, raw = data.nodes, diff = data.mode === 'diff';
  var n = raw.length / 6;
  var nodes = new Array(n);
  for (var i = 0; i < n; i++) {
    nodes[i] = { parent: raw[i * 6], name: names[raw[i * 6 + 1]], size: raw[i * 6 + 2], count: raw[i * 6 + 3],
      oldSize: raw[i * 6 + 4], oldCount: raw[i * 6 + 5], children: [], depth: 0 };
    if (nodes[i].parent >= 0) { nodes[i].depth = nodes[nodes[i].parent].depth + 1; nodes[nodes[i].parent].children.push(nodes[i]); }
  }
  var root = nodes[0];
  var useOld = false, focus = root, query = '';
  var svg = document.getElementById('flame');
  var details = document.getElementById('details');
  var ROW = 18, NS = 'http://www.w3.org/2000/svg';

  function value(node) { return useOld ? node.oldSize : node.size; }
  function fmtSize(size, sign) {
    var units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
    for (var u = 0; u < units.length; u++) {
      if (Math.abs(size) < 100 && u > 0) return (sign && size >= 0 ? '+' : '') + size.toFixed(1) + ' ' + units[u];
      if (Math.abs(size) < 10240 || u === units.length - 1) return (sign && size >= 0 ? '+' : '') + size.toFixed(0) + ' ' + units[u];
      size /= 1024;
    }
  }
  function hash(s) { var h = 2166136261; for (var i = 0; i < s.length; i++) { h ^= s.charCodeAt(i); h = Math.imul(h, 16777619); } return h >>> 0; }
  function color(node) {
    if (node === root) return '#d8d8d8';
    if (node.name === '[truncated]') return '#c8c8c8';
    if (diff) {
      var d = node.size - node.oldSize, m = Math.max(node.size, node.oldSize) || 1, r = Math.min(1, Math.abs(d) / m);
      var c = Math.round(235 - 160 * r);
      if (d > 0) return 'rgb(250,' + c + ',' + c + ')';
      if (d < 0) return 'rgb(' + c + ',' + c + ',250)';
      return 'rgb(225,225,225)';
    }
    var h = hash(node.name);
    return 'hsl(' + (10 + h % 45) + ',' + (70 + (h >> 8) % 25) + '%,' + (58 + (h >> 16) % 12) + '%)';
  }
  function describe(node) {
    var total = value(root) || 1;
    var text = node.name + '  ' + fmtSize(value(node), false) + ' (' + (100 * value(node) / total).toFixed(1) + '%), ' +
      (useOld ? node.oldCount : node.count) + ' blocks';
    var self = value(node);
    for (var i = 0; i < node.children.length; i++) self -= value(node.children[i]);
    text += ', self ' + fmtSize(self, false);
    if (diff) text += '  |  old ' + fmtSize(node.oldSize, false) + ', new ' + fmtSize(node.size, false) + ' (' + fmtSize(node.size - node.oldSize, true) + ')';
    return text;
  }
  function matches(node) { return query !== '' && node !== root && node.name.indexOf(query) >= 0; }

  function draw() {
    while (svg.firstChild) svg.removeChild(svg.firstChild);
    var width = svg.clientWidth || 1000;
    var maxDepth = 0, drawn = 0, matched = 0;
    var scale = value(focus) > 0 ? width / value(focus) : 0;
    function frame(node, x, w, cls) {
      var g = document.createElementNS(NS, 'g');
      g.setAttribute('class', 'frame' + (cls ? ' ' + cls : '') + (matches(node) ? ' match' : ''));
      g.setAttribute('data-name', node.name);
      var rect = document.createElementNS(NS, 'rect');
      rect.setAttribute('x', x.toFixed(2)); rect.setAttribute('y', String(node.depth * ROW));
      rect.setAttribute('width', Math.max(w, 0.5).toFixed(2)); rect.setAttribute('height', String(ROW - 1));
      rect.setAttribute('fill', color(node));
      var title = document.createElementNS(NS, 'title');
      title.textContent = describe(node);
      g.appendChild(title); g.appendChild(rect);
      if (w > 30) {
        var text = document.createElementNS(NS, 'text');
        text.setAttribute('x', (x + 3).toFixed(2)); text.setAttribute('y', String(node.depth * ROW + 12.5));
        var chars = Math.floor((w - 6) / 6.6);
        text.textContent = node.name.length <= chars ? node.name : node.name.slice(0, Math.max(0, chars - 1)) + '\u2026';
        g.appendChild(text);
      }
      g.addEventListener('click', function () { focus = node; draw(); });
      g.addEventListener('mouseenter', function () { details.textContent = describe(node); });
      svg.appendChild(g);
      drawn++;
      if (node.depth > maxDepth) maxDepth = node.depth;
    }
    for (var a = focus; a.parent >= 0; ) { a = nodes[a.parent]; frame(a, 0, width, 'ancestor'); }
    function walk(node, x) {
      var w = value(node) * scale;
      if (w < 0.4) return;
      frame(node, x, w, '');
      if (matches(node)) matched += value(node);
      var kids = node.children.slice().sort(function (p, q) { return value(q) - value(p) || (p.name < q.name ? -1 : 1); });
      for (var i = 0; i < kids.length; i++) { walk(kids[i], x); x += value(kids[i]) * scale; }
    }
    walk(focus, 0);
    svg.setAttribute('height', String((maxDepth + 1) * ROW + 1));
    svg.setAttribute('data-frames', String(drawn));
    document.getElementById('match').textContent = query === '' ? '' :
      'matched ' + fmtSize(matched, false) + ' (' + (100 * matched / (value(root) || 1)).toFixed(1) + '% of the total)';
  }

  document.getElementById('reset').addEventListener('click', function () { focus = root; draw(); });
  document.getElementById('search').addEventListener('input', function (e) { query = e.target.value; draw(); });
  var toggle = document.getElementById('width-old');
  if (toggle) {
    var toggleNew = document.getElementById('width-new');
    function set(old) { useOld = old; toggle.setAttribute('aria-pressed', String(old)); toggleNew.setAttribute('aria-pressed', String(!old)); draw(); }
    toggle.addEventListener('click', function () { set(true); });
    toggleNew.addEventListener('click', function () { set(false); });
  }
  window.addEventListener('resize', draw);
  details.textContent = describe(root);
  draw();
})();
`;
