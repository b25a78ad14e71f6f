// The modeler page of one route: bpmn-js with the Camunda 7 properties and the Jiuzhu group; save a draft,
// validate it on the server (the checks of `jiuzhu deploy`, problems shown on their elements), deploy it
// with a change note. Every POST carries the CSRF token in the X-CSRFToken header.
import BpmnModeler from 'bpmn-js/lib/Modeler';
import { BpmnPropertiesPanelModule, BpmnPropertiesProviderModule, CamundaPlatformPropertiesProviderModule }
  from 'bpmn-js-properties-panel';
import CamundaBehaviorsModule from 'camunda-bpmn-js-behaviors/lib/camunda-platform';
import camundaModdle from 'camunda-bpmn-moddle/resources/camunda.json';
import lintModule from 'bpmn-js-bpmnlint';
import FormEditor from './forms';
import JiuzhuPropertiesProvider from './jiuzhu-properties';
import { lintConfig, useChoices } from './lint';
import { DRAFT_KEY, postJson } from './requests';

const root = document.getElementById('workbench');
const status = document.getElementById('wb-status');
const problemsList = document.getElementById('wb-problems');
const lintList = document.getElementById('wb-lint');
const ZH = document.documentElement.lang !== 'en';
const t = (zh, en) => (ZH ? zh : en);
let modeler;
let formEditor;
let shownProblems = [];

function say(text, kind = 'info') {
  status.textContent = text;
  status.className = `wb-status ${kind}`;
}

async function currentXml() {
  const { xml } = await modeler.saveXML({ format: true });
  return xml;
}

function clearProblems() {
  const overlays = modeler.get('overlays');
  const canvas = modeler.get('canvas');
  overlays.remove({ type: 'jz-problem' });
  for (const id of shownProblems) canvas.removeMarker(id, 'jz-has-problem');
  shownProblems = [];
  problemsList.replaceChildren();
}

function showProblems(problems) {
  clearProblems();
  const registry = modeler.get('elementRegistry');
  const overlays = modeler.get('overlays');
  const canvas = modeler.get('canvas');
  for (const problem of problems) {
    const item = document.createElement('li');
    const element = problem.element_id && registry.get(problem.element_id);
    const where = document.createElement('button');
    where.type = 'button';
    where.className = 'link';
    where.textContent = problem.element_id
      ? `${(element && element.businessObject.name) || problem.element_id}（${problem.element_id}）`
      : problem.file;
    item.append(where, document.createTextNode(`：${problem.message}`));
    item.dataset.element = problem.element_id || '';
    problemsList.append(item);
    if (!element) continue;
    where.addEventListener('click', () => {
      canvas.scrollToElement(element);
      modeler.get('selection').select(element);
    });
    if (!shownProblems.includes(element.id)) {
      shownProblems.push(element.id);
      canvas.addMarker(element.id, 'jz-has-problem');
      const badge = document.createElement('div');
      badge.className = 'jz-problem-badge';
      badge.title = problem.message;
      badge.textContent = '!';
      overlays.add(element.id, 'jz-problem', { position: { top: -10, right: 10 }, html: badge });
    }
  }
}

function showLint(issues) {
  const registry = modeler.get('elementRegistry');
  lintList.replaceChildren();
  for (const [id, found] of Object.entries(issues)) {
    const element = registry.get(id);
    for (const issue of found) {
      const item = document.createElement('li');
      item.className = `lint-${issue.category}`;
      item.dataset.element = id;
      item.textContent = `${(element && element.businessObject.name) || id}（${id}）：${issue.message}`;
      lintList.append(item);
    }
  }
}

async function send(url, body) {
  const { ok, status: code, data } = await postJson(url, body);
  if (data.problems && data.problems.length) showProblems(data.problems); else clearProblems();
  say(data.message || t(`请求失败（${code}）`, `Request failed (${code})`), ok && data.ok ? 'ok' : 'error');
  return { ok, data };
}

// The simulation page walks the diagram as it is in the modeler now: handed over in this tab's
// sessionStorage (nothing is saved on the server), validated there as deploy validates it.

async function simulateDraft() {
  sessionStorage.setItem(DRAFT_KEY, JSON.stringify({
    process: root.dataset.simulateUrl, bpmn: await currentXml(), forms: formEditor.forms(),
  }));
  window.location.assign(root.dataset.simulateUrl);
}

async function saveDraft() {
  say(t('正在保存草稿…', 'Saving the draft…'));
  await send(root.dataset.draftUrl, { bpmn: await currentXml(), forms: formEditor.forms() });
}

async function validate() {
  say(t('正在校验…', 'Validating…'));
  await send(root.dataset.validateUrl, { bpmn: await currentXml(), forms: formEditor.forms() });
}

async function deploy(event) {
  event.preventDefault();
  const note = document.getElementById('wb-note').value.trim();
  if (!note) {
    say(t('请填写变更说明（为什么修改）', 'A change note is required'), 'error');
    return;
  }
  say(t('正在部署…', 'Deploying…'));
  const { ok, data } = await send(root.dataset.deployUrl, { bpmn: await currentXml(), note, forms: formEditor.forms() });
  if (ok && data.ok) {
    document.getElementById('wb-deploy-dialog').close();
    const link = document.createElement('a');
    link.href = data.history;
    link.textContent = t('查看版本历史', 'See the history');
    status.append(' ', link);
  }
}

async function discard() {
  const { ok } = await postJson(root.dataset.discardUrl, {});
  if (ok) window.location.reload();
}

// Fit the route, but never so small that its labels cannot be read: then show its beginning at 75 %.
function showWhole(canvas) {
  canvas.zoom('fit-viewport');
  const { inner, outer } = canvas.viewbox();
  if (canvas.zoom() < 0.6) {
    canvas.viewbox({ x: inner.x - 100, y: inner.y - 20, width: outer.width / 0.75, height: outer.height / 0.75 });
  }
}

async function start() {
  const response = await fetch(root.dataset.sourceUrl, { headers: { Accept: 'application/json' } });
  const { source, choices } = await response.json();
  useChoices(choices);
  modeler = new BpmnModeler({
    container: '#wb-canvas',
    propertiesPanel: { parent: '#wb-properties' },
    additionalModules: [BpmnPropertiesPanelModule, BpmnPropertiesProviderModule,
      CamundaPlatformPropertiesProviderModule, CamundaBehaviorsModule, lintModule,
      { __init__: ['jiuzhuPropertiesProvider'], jiuzhuPropertiesProvider: ['type', JiuzhuPropertiesProvider] }],
    moddleExtensions: { camunda: camundaModdle },
    jiuzhu: { choices, decisionUrl: root.dataset.decisionUrl },
    linting: { bpmnlint: lintConfig, active: true },
  });
  modeler.on('linting.completed', ({ issues }) => showLint(issues));
  formEditor = new FormEditor(modeler, choices, source.forms || {}, document.getElementById('wb-form'));
  window.jiuzhuModeler = modeler;  // for the browser test and the console
  try {
    const { warnings } = await modeler.importXML(source.bpmn);
    showWhole(modeler.get('canvas'));
    say(warnings.length ? t(`已打开，有 ${warnings.length} 个导入警告`, `Opened with ${warnings.length} warning(s)`)
      : source.draft ? t('已打开您的草稿', 'Your draft is open') : t('已打开最新版本', 'The newest version is open'),
    warnings.length ? 'error' : 'ok');
  } catch (error) {
    say(t(`无法打开：${error.message}`, `Cannot open: ${error.message}`), 'error');
  }
  root.dataset.ready = 'true';
}

document.getElementById('wb-save').addEventListener('click', saveDraft);
document.getElementById('wb-validate').addEventListener('click', validate);
document.getElementById('wb-simulate').addEventListener('click', simulateDraft);
document.getElementById('wb-deploy').addEventListener('click', () => document.getElementById('wb-deploy-dialog').showModal());
document.getElementById('wb-deploy-cancel').addEventListener('click', () => document.getElementById('wb-deploy-dialog').close());
document.getElementById('wb-deploy-form').addEventListener('submit', deploy);
const discardButton = document.getElementById('wb-discard');
if (discardButton) discardButton.addEventListener('click', discard);
start();
