// Roam dashboard: draws the leader's JSON document (see DashboardSnapshot) into the page. The
// document arrives by Server-Sent Events from /api/stream whenever it changes; nothing here polls.
// Data is written with textContent only, never as HTML.
'use strict';

let session = { role: 'viewer', canApply: false, name: '' };
let updates = 0;

function el(tag, attrs, ...children) {
  const e = tag === 'svg' || tag === 'polyline' || tag === 'line' || tag === 'text' || tag === 'rect'
    ? document.createElementNS('http://www.w3.org/2000/svg', tag) : document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null) continue;
    if (k === 'style') {
      // Through the CSSOM: the page's Content-Security-Policy refuses style attributes.
      for (const decl of v.split(';')) {
        const i = decl.indexOf(':');
        if (i > 0) e.style.setProperty(decl.slice(0, i).trim(), decl.slice(i + 1).trim());
      }
    } else {
      e.setAttribute(k, v);
    }
  }
  for (const c of children) {
    if (c === null || c === undefined) continue;
    e.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return e;
}

function bytes(n) {
  if (n === null || n === undefined) return '–';
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let i = 0;
  while (n >= 1024 && i < units.length - 1) { n /= 1024; i++; }
  return (i === 0 ? n : n.toFixed(1)) + ' ' + units[i];
}
function pct(f) { return f === null || f === undefined ? '–' : Math.round(f * 100) + '%'; }
function num(x, d) { return x === null || x === undefined ? '–' : Number(x).toFixed(d); }
function time(ms) { return ms ? new Date(ms).toLocaleTimeString() : '–'; }
function state(s) { return el('span', { class: 'state ' + s }, s || '–'); }
function fill(tbody, rows) { tbody.replaceChildren(...rows); }
function def(pairs) {
  return el('dl', {}, ...pairs.flatMap(([k, v]) => [el('dt', {}, k), el('dd', {}, v)]));
}

function loadBar(h) {
  const scale = Math.max(1, (h.target && h.target.high) || 0, h.load || 0);
  const bar = el('div', { class: 'bar', title: 'demand ' + num(h.cpuDemand, 2) + ' of ' + h.cores + ' cores' });
  if (h.target) {
    bar.append(el('div', { class: 'band', style: 'left:' + (100 * h.target.low / scale) + '%;width:'
      + (100 * (h.target.high - h.target.low) / scale) + '%' }));
  }
  bar.append(el('div', { class: 'fill' + (h.balanced === false ? ' out' : ''),
    style: 'width:' + Math.min(100, 100 * (h.load || 0) / scale) + '%' }));
  if (h.target) bar.append(el('div', { class: 'mean', style: 'left:' + (100 * h.target.mean / scale) + '%' }));
  return el('td', {}, bar, el('span', {}, pct(h.load)));
}

function memBar(h) {
  return el('td', {}, el('div', { class: 'bar' }, el('div', { class: 'fill', style: 'width:' + 100 * (h.memoryFraction || 0) + '%' })),
    el('span', {}, bytes(h.memoryUsedBytes) + ' / ' + bytes(h.memoryBytes)));
}

function chart(svg, samples, value, target, label) {
  const w = 400, h = 120, left = 34, bottom = 16, top = 8;
  const pts = samples.filter(s => value(s) !== null);
  svg.replaceChildren(el('line', { class: 'axis', x1: left, y1: h - bottom, x2: w, y2: h - bottom }),
    el('line', { class: 'axis', x1: left, y1: top, x2: left, y2: h - bottom }));
  if (pts.length === 0) {
    svg.append(el('text', { x: left + 10, y: h / 2 }, 'no samples yet (one every 10 s while this master leads)'));
    return;
  }
  const now = Date.now(), from = now - 3600 * 1000;
  let max = Math.max(...pts.map(value), ...(target ? pts.map(s => target(s) || 0) : [0]));
  max = max <= 0 ? 1 : max * 1.15;
  const x = t => left + (w - left) * Math.max(0, t - from) / (now - from);
  const y = v => h - bottom - (h - bottom - top) * v / max;
  svg.append(el('text', { x: 2, y: top + 8 }, label(max)), el('text', { x: 2, y: h - bottom }, '0'),
    el('text', { x: left, y: h - 2 }, '-60 min'), el('text', { x: w - 24, y: h - 2 }, 'now'));
  if (target) {
    const tp = pts.filter(s => target(s) !== null);
    if (tp.length) svg.append(el('polyline', { class: 'target', points: tp.map(s => x(s.time) + ',' + y(target(s))).join(' ') }));
  }
  const line = pts.length === 1 ? [pts[0], { ...pts[0], time: pts[0].time + 1 }] : pts;
  svg.append(el('polyline', { class: 'line', points: line.map(s => x(s.time) + ',' + y(value(s))).join(' ') }));
}

async function apply(id, button) {
  button.disabled = true;
  const out = document.getElementById('apply-result');
  try {
    // The custom header is what the server checks (with the SameSite cookie) to know the page sent it.
    const r = await fetch('/api/apply?id=' + encodeURIComponent(id), { method: 'POST', headers: { 'X-Roam-Action': 'apply' },
      credentials: 'same-origin' });
    const body = await r.json();
    out.textContent = r.ok ? 'applied ' + id : 'refused: ' + body.error;
  } catch (e) {
    out.textContent = 'refused: ' + e;
  }
}

function render(d) {
  updates++;
  document.body.dataset.updates = updates;
  document.getElementById('leader').textContent = 'leader ' + d.leader.id + ' (' + d.leader.address + ', epoch '
    + d.leader.epoch + ') · ' + time(d.time);
  const c = d.cluster;
  document.getElementById('summary').replaceChildren(
    el('div', { class: 'card' }, 'Hosts powered on', el('b', {}, c.poweredOnHosts + ' / ' + c.hosts)),
    el('div', { class: 'card' }, 'VMs running', el('b', {}, c.runningVms + ' / ' + c.vms)),
    el('div', { class: 'card' }, 'Mean CPU load', el('b', {}, pct(c.meanLoad))),
    el('div', { class: 'card' }, 'Imbalance / target', el('b', {}, d.drs.available ? num(d.drs.imbalance, 3) + ' / ' + num(d.drs.target, 3) : '–')),
    el('div', { class: 'card' }, 'Migrations in flight', el('b', {}, d.migrations.inFlight.length)));

  fill(document.querySelector('#hosts tbody'), d.hosts.map(h => el('tr', { 'data-host': h.name },
    el('td', {}, h.name, el('div', { class: 'muted small' }, h.address)), el('td', {}, state(h.state)),
    loadBar(h), memBar(h), el('td', {}, h.vms), el('td', { class: 'small' }, h.note))));

  const migrations = d.migrations.inFlight.concat(d.migrations.recent);
  document.getElementById('no-migrations').hidden = d.migrations.inFlight.length > 0;
  fill(document.querySelector('#migrations tbody'), migrations.map(m => el('tr', { 'data-migration': m.id, 'data-vm': m.vm,
      'data-status': m.status, 'data-percent': m.percent, 'data-bytes': m.bytesTransferred },
    el('td', {}, m.vm), el('td', {}, m.source + ' → ' + m.destination),
    el('td', {}, state(m.status), m.error ? el('div', { class: 'small' }, m.error) : null),
    el('td', {}, el('div', { class: 'bar' }, el('div', { class: 'fill', style: 'width:' + m.percent + '%' })),
      el('span', {}, m.percent + '% · ' + bytes(m.bytesTransferred) + ' of ' + bytes(m.bytesTotal))),
    el('td', {}, m.rounds), el('td', {}, num(m.dirtyPagesPerSecond, 0) + ' pages/s'),
    el('td', {}, m.status === 'completed' ? m.downtimeMs + ' ms (actual)' : m.expectedDowntimeMs + ' ms'),
    el('td', {}, bytes(m.throughputBytesPerSecond) + '/s'))));

  if (d.drs.available) {
    document.getElementById('drs').replaceChildren(def([['imbalance', num(d.drs.imbalance, 3) + ' (target ' + num(d.drs.target, 3) + ')'],
      ['automation', d.drs.automation + ', threshold ' + d.drs.threshold], ['last pass', time(d.drs.lastPass)],
      ['blocked', Object.entries(d.drs.blocked).map(([k, v]) => k + ': ' + v).join('; ') || 'none']]));
  } else {
    document.getElementById('drs').textContent = 'no DRS pass yet';
  }
  const recs = d.drs.available ? d.drs.recommendations : [];
  fill(document.querySelector('#recommendations tbody'), recs.length ? recs.map(r => {
    let action;
    if (session.canApply) {
      action = el('button', { class: 'apply', 'data-id': r.id }, 'Apply');
      action.addEventListener('click', () => apply(r.id, action));
    } else {
      action = el('span', { class: 'muted small', title: 'applying needs role operator' }, 'read-only');
    }
    return el('tr', { 'data-recommendation': r.id }, el('td', {}, r.vm), el('td', {}, (r.from || '–') + ' → ' + (r.to || '–')),
      el('td', {}, r.kind), el('td', { class: 'small' }, r.reason), el('td', {}, action));
  }) : [el('tr', {}, el('td', { colspan: 5, class: 'muted' }, 'no recommendations'))]);

  document.getElementById('dpm').replaceChildren(d.dpm.available ? def([['level', d.dpm.level],
    ['utilization', pct(d.dpm.utilizationShort) + ' (short), ' + pct(d.dpm.utilizationLong) + ' (long)'],
    ['band', d.dpm.targetPercent + '% ± ' + d.dpm.tolerancePercent + '%'], ['note', d.dpm.note || '–'],
    ['standby', d.dpm.hosts.map(h => h.name + ' (' + h.state + ')').join(', ') || 'none']]) : el('span', { class: 'muted' }, 'no DPM pass yet'));
  document.getElementById('ha').replaceChildren(def([['HA', d.ha.enabled ? 'enabled' : 'disabled'],
    ['host failures tolerated', d.ha.hostFailures], ['protected VMs', d.ha.protectedVms],
    ['hosts in trouble', d.ha.troubledHosts.map(h => h.name + ' (' + h.state + ')').join(', ') || 'none'],
    ['last HA events', d.ha.recent.map(e => time(e.time) + ' ' + e.kind + ' ' + (e.vm || e.host)).join('; ') || 'none']]));

  chart(document.getElementById('chart-imbalance'), d.history, s => s.imbalance, s => s.target, m => num(m, 2));
  chart(document.getElementById('chart-hosts'), d.history, s => s.poweredOnHosts, null, m => num(m, 0));

  fill(document.querySelector('#vms tbody'), d.vms.map(v => el('tr', { 'data-vm': v.name },
    el('td', {}, v.name), el('td', {}, state(v.state), v.migration ? el('span', { class: 'small muted' }, ' migrating') : null),
    el('td', {}, v.host), el('td', {}, v.program), el('td', {}, bytes(v.memoryBytes)), el('td', {}, v.restartPriority))));
  fill(document.querySelector('#events tbody'), d.events.map(e => el('tr', {}, el('td', { class: 'small' }, time(e.time)),
    el('td', {}, e.kind), el('td', {}, e.vm), el('td', {}, e.host), el('td', { class: 'small' }, e.message))));
}

async function start() {
  try {
    const r = await fetch('/api/session', { credentials: 'same-origin' });
    if (r.ok) session = await r.json();
  } catch (e) { /* shown as read-only */ }
  document.body.dataset.role = session.role;
  document.getElementById('who').textContent = session.name + ' (' + session.role + ')';
  const live = document.getElementById('live');
  const events = new EventSource('/api/stream');
  events.onopen = () => { live.textContent = 'live'; live.className = 'pill on'; };
  events.onerror = () => { live.textContent = 'reconnecting…'; live.className = 'pill off'; };
  events.onmessage = m => render(JSON.parse(m.data));
}

start();
