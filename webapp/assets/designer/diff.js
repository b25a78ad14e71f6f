// Two versions of a route side by side: bpmn-js-differ compares them; added, removed and changed elements
// are marked on the diagrams and the changed properties listed.
import NavigatedViewer from 'bpmn-js/lib/NavigatedViewer';
import camundaModdle from 'camunda-bpmn-moddle/resources/camunda.json';
import { diff } from 'bpmn-js-differ';

const root = document.getElementById('diff');
const ZH = document.documentElement.lang !== 'en';
const t = (zh, en) => (ZH ? zh : en);

async function text(url) {
  const response = await fetch(url, { credentials: 'same-origin' });
  return response.text();
}

function mark(viewer, ids, marker) {
  const registry = viewer.get('elementRegistry');
  const canvas = viewer.get('canvas');
  for (const id of ids) if (registry.get(id)) canvas.addMarker(id, marker);
}

function row(kind, id, name, detail) {
  const tr = document.createElement('tr');
  tr.className = `diff-${kind}`;
  for (const value of [{ added: t('新增', 'added'), removed: t('删除', 'removed'), changed: t('修改', 'changed'), layout: t('仅布局', 'layout') }[kind], name ? `${name}（${id}）` : id, detail]) {
    const td = document.createElement('td');
    td.textContent = value;
    tr.append(td);
  }
  return tr;
}

function describe(attrs) {
  const show = (v) => {
    if (v === undefined || v === null || v === '') return '—';
    if (typeof v === 'object') return v.id || v.name || JSON.stringify(v);
    return String(v).replace(/^#ref:/, '');
  };
  // bpmn-js-differ 3 hands its handler the delta's (old, new) as (newValue, oldValue): read them crosswise.
  return Object.entries(attrs).map(([name, change]) => `${name}: ${show(change.newValue)} → ${show(change.oldValue)}`)
    .join('；');
}

// Both diagrams at a readable scale around the first change, moving together.
function focus(left, right, changes) {
  const shape = (id) => [right, left].map((v) => v.get('elementRegistry').get(id)).find((e) => e && e.x !== undefined);
  const element = [...Object.keys(changes._added), ...Object.keys(changes._changed), ...Object.keys(changes._removed)]
    .map(shape).find(Boolean);
  for (const viewer of [left, right]) viewer.get('canvas').zoom('fit-viewport');
  const canvas = right.get('canvas');
  if (element && canvas.zoom() < 0.6) {
    const { outer } = canvas.viewbox();
    const width = outer.width / 0.8;
    const height = outer.height / 0.8;
    const box = { x: element.x + (element.width || 0) / 2 - width / 2, y: element.y - height / 3, width, height };
    for (const viewer of [left, right]) viewer.get('canvas').viewbox(box);
  }
  let syncing = false;
  const follow = (from, to) => from.on('canvas.viewbox.changed', ({ viewbox }) => {
    if (syncing) return;
    syncing = true;
    to.get('canvas').viewbox({ x: viewbox.x, y: viewbox.y, width: viewbox.width, height: viewbox.height });
    syncing = false;
  });
  follow(left, right);
  follow(right, left);
}

async function start() {
  const [oldXml, newXml] = await Promise.all([text(root.dataset.oldUrl), text(root.dataset.newUrl)]);
  const left = new NavigatedViewer({ container: '#diff-old', moddleExtensions: { camunda: camundaModdle } });
  const right = new NavigatedViewer({ container: '#diff-new', moddleExtensions: { camunda: camundaModdle } });
  await Promise.all([left.importXML(oldXml), right.importXML(newXml)]);
  const changes = diff(left.getDefinitions(), right.getDefinitions());
  focus(left, right, changes);
  mark(left, Object.keys(changes._removed), 'diff-removed');
  mark(right, Object.keys(changes._added), 'diff-added');
  mark(left, Object.keys(changes._changed), 'diff-changed');
  mark(right, Object.keys(changes._changed), 'diff-changed');
  const body = document.getElementById('diff-rows');
  for (const [id, el] of Object.entries(changes._added)) body.append(row('added', id, el.name, el.$type));
  for (const [id, el] of Object.entries(changes._removed)) body.append(row('removed', id, el.name, el.$type));
  for (const [id, change] of Object.entries(changes._changed)) {
    body.append(row('changed', id, change.model.name, describe(change.attrs)));
  }
  for (const [id, el] of Object.entries(changes._layoutChanged)) body.append(row('layout', id, el.name, ''));
  if (!body.children.length) body.append(row('layout', '—', '', t('两个版本没有差异', 'The versions do not differ')));
  document.getElementById('diff-count').textContent = t(
    `新增 ${Object.keys(changes._added).length}，删除 ${Object.keys(changes._removed).length}，修改 ${Object.keys(changes._changed).length}`,
    `${Object.keys(changes._added).length} added, ${Object.keys(changes._removed).length} removed, ${Object.keys(changes._changed).length} changed`);
  root.dataset.ready = 'true';
}

start();
