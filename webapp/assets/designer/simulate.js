// The simulation page: the route drawn by bpmn-js, the walk replayed on the server's scratch store at each
// step (start data plus each submission so far), the steps taken and the open ones marked on the diagram.
// The picture is drawn with bpmn-js markers rather than bpmn-js-token-simulation: that module animates
// tokens of its own in the browser, while the path here is the one the engine really took.
import NavigatedViewer from 'bpmn-js/lib/NavigatedViewer';
import { DRAFT_KEY, postJson } from './requests';

const root = document.getElementById('simulation');
const status = document.getElementById('wb-status');
const ZH = document.documentElement.lang !== 'en';
const t = (zh, en) => (ZH ? zh : en);
const setup = JSON.parse(document.getElementById('sim-setup').textContent);
const viewer = new NavigatedViewer({ container: '#sim-canvas' });
// The modeler's unsaved diagram (modeler.js puts it in this tab's sessionStorage), when the page was opened
// with ?draft=1 for this route: every walk posts it, and the server runs it instead of the newest version.
const draft = (() => {
  if (!new URLSearchParams(window.location.search).has('draft')) return null;
  try {
    const found = JSON.parse(sessionStorage.getItem(DRAFT_KEY) || 'null');
    return found && window.location.href.endsWith(found.process) ? found : null;
  } catch (error) {
    return null;
  }
})();
window.jiuzhuSimulation = viewer;
let steps = [];
let marked = [];

function say(text, kind = 'info') {
  status.textContent = text;
  status.className = `wb-status ${kind}`;
}

function cell(text) {
  const td = document.createElement('td');
  td.textContent = text == null || text === '' ? '—' : text;
  return td;
}

function mark(report) {
  const canvas = viewer.get('canvas');
  const registry = viewer.get('elementRegistry');
  for (const [id, marker] of marked) canvas.removeMarker(id, marker);
  marked = [];
  for (const [ids, marker] of [[report.elements, 'sim-done'], [report.current, 'sim-open']]) {
    for (const id of ids) {
      if (registry.get(id)) { canvas.addMarker(id, marker); marked.push([id, marker]); }
    }
  }
  const first = report.current[0] && registry.get(report.current[0]);
  if (first) canvas.scrollToElement(first, { top: 150, bottom: 150, left: 300, right: 300 });
}

// A voided document (文书作废) is named as voided, with why, never passed off as valid.
function documentLabel(d) {
  return d.voided ? `${d.title} ${d.number}${t(`（已作废：${d.voided_reason || ''}）`, ` (voided: ${d.voided_reason || ''})`)}`
    : `${d.title} ${d.number}`;
}

function showTaken(report) {
  const body = document.getElementById('sim-taken');
  body.replaceChildren(...report.taken.map((step, i) => {
    const tr = document.createElement('tr');
    tr.dataset.task = step.task;
    tr.append(cell(String(i + 1)), cell(step.title), cell(step.role_name), cell(step.unit), cell(step.deadline),
      cell(step.due_on), cell(step.documents.map(documentLabel).join(t('、', '; '))));
    return tr;
  }));
  document.getElementById('sim-outcome').textContent = report.status === 'running'
    ? t(`案件 ${report.number} 仍在办理中（模拟）`, `Case ${report.number} still running (simulated)`)
    : t(`流程已结束：${report.status_name}`, `The route ended: ${report.status_name}`);
}

function showOpen(report) {
  const box = document.getElementById('sim-open');
  box.replaceChildren();
  if (!report.open.length) {
    box.textContent = t('没有待办步骤', 'No open step');
    return;
  }
  for (const step of report.open) {
    const section = document.createElement('div');
    section.className = 'sim-step card';
    section.dataset.task = step.task;
    const title = document.createElement('h3');
    title.textContent = `${step.title} · ${step.role_name} · ${step.unit}`;
    const due = document.createElement('p');
    due.className = 'wb-based';
    due.textContent = t(`期限 ${step.deadline || '—'}，应于 ${step.due_on || '—'} 前办结；表单 ${step.form_key || '—'}`,
      `Deadline ${step.deadline || '—'}, due ${step.due_on || '—'}; form ${step.form_key || '—'}`);
    const data = document.createElement('textarea');
    data.rows = 8;
    data.spellcheck = false;
    data.value = JSON.stringify(step.sample, null, 2);
    data.setAttribute('aria-label', t('本步提交的数据（JSON）', 'Data submitted at this step (JSON)'));
    const go = document.createElement('button');
    go.type = 'button';
    go.className = 'sim-complete';
    go.textContent = t('以此数据办结本步', 'Complete the step with this data');
    go.addEventListener('click', () => {
      let parsed;
      try { parsed = JSON.parse(data.value); } catch (error) {
        say(t(`JSON 格式错误：${error.message}`, `Not JSON: ${error.message}`), 'error');
        return;
      }
      run([...steps, { task: step.task, data: parsed }]);
    });
    section.append(title, due, data, go);
    box.append(section);
  }
}

async function run(next) {
  let start;
  try { start = JSON.parse(document.getElementById('sim-start').value); } catch (error) {
    say(t(`申请数据不是 JSON：${error.message}`, `The start data is not JSON: ${error.message}`), 'error');
    return;
  }
  say(t('正在模拟…', 'Simulating…'));
  const village = document.getElementById('sim-village').value;
  const body = { village, start, steps: next };
  if (draft) body.draft = { bpmn: draft.bpmn, forms: draft.forms };
  const { ok, data } = await postJson(root.dataset.runUrl, body);
  if (!ok) {
    const [colon, semicolon] = [t('：', ': '), t('；', '; ')];
    if (data.problems && data.problems.length) {
      say(`${data.message || ''}${colon}${data.problems.map((p) => `${p.element_id || p.file}${colon}${p.message}`)
        .join(semicolon)}`, 'error');
      return;
    }
    const errors = Object.entries(data.errors || {}).map(([k, v]) => `${k}${colon}${v}`).join(semicolon);
    say(`${data.message || ''}${errors ? t(`（${errors}）`, ` (${errors})`) : ''}`, 'error');
    return;
  }
  steps = next;
  mark(data);
  showTaken(data);
  showOpen(data);
  say(t(`已模拟 ${data.taken.length} 步；未写入任何真实案件`, `${data.taken.length} step(s) simulated; no real case written`), 'ok');
  root.dataset.steps = String(data.taken.length);
}

async function main() {
  await viewer.importXML(draft ? draft.bpmn : setup.bpmn);
  if (draft) {
    root.dataset.draft = 'true';
    document.getElementById('sim-draft').hidden = false;
    document.getElementById('sim-drawn-version').hidden = true;
    document.getElementById('sim-drawn-draft').hidden = false;
  }
  viewer.get('canvas').zoom('fit-viewport');
  document.getElementById('sim-start').value = JSON.stringify(setup.start, null, 2);
  document.getElementById('sim-lodge').addEventListener('click', () => run([]));
  say(t('选择村（社区）并检查申请数据，然后开始模拟', 'Choose the village, check the start data, then start'));
  root.dataset.ready = 'true';
}

main().catch((error) => say(t(`流程图无法打开：${error.message}`, `The route cannot be drawn: ${error.message}`), 'error'));
