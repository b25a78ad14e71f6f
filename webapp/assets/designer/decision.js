// The decision table page: dmn-js's decision table editor on one DMN of the route; "validate and keep"
// sends it to the server, which runs deploy's DMN validation and keeps it in the route's draft.
import DmnModeler from 'dmn-js/lib/Modeler';
import { postJson } from './requests';
import chinese from './dmn-zh';

const root = document.getElementById('decision');
const status = document.getElementById('wb-status');
const problemsList = document.getElementById('wb-problems');
const ZH = document.documentElement.lang !== 'en';
const t = (zh, en) => (ZH ? zh : en);

function say(text, kind = 'info') {
  status.textContent = text;
  status.className = `wb-status ${kind}`;
}

function showProblems(problems) {
  problemsList.replaceChildren(...problems.map((problem) => {
    const item = document.createElement('li');
    const line = problem.line ? t(`（第 ${problem.line} 行）`, ` (line ${problem.line})`) : '';
    const where = problem.element_id ? `${problem.element_id}${line}` : problem.file;
    item.textContent = `${where}：${problem.message}`;
    return item;
  }));
}

async function main() {
  // dmn-js merges only each view's own additionalModules (not common's): the words go to the table view.
  const modeler = new DmnModeler({
    container: '#dmn-canvas', common: { keyboard: { bindTo: window } },
    decisionTable: { additionalModules: ZH ? [chinese] : [] },
  });
  window.jiuzhuDecision = modeler;  // the browser test reads the table through it
  await modeler.importXML(JSON.parse(document.getElementById('dmn-source').textContent));
  // The tables are edited as tables: open the decision table view even when the file has a DRD.
  const table = modeler.getViews().find((view) => view.type === 'decisionTable');
  if (table) await modeler.open(table);
  say(t('可直接编辑单元格；保存前服务器会按部署的规则校验', 'Edit the cells; the server validates as deploy does before keeping it'));
  document.getElementById('dmn-save').addEventListener('click', async () => {
    say(t('正在校验…', 'Validating…'));
    const { xml } = await modeler.saveXML({ format: true });
    const { ok, data } = await postJson(root.dataset.saveUrl, { dmn: xml });
    showProblems(data.problems || []);
    say(data.message || data.message_zh, ok ? 'ok' : 'error');
  });
}

main().catch((error) => say(t(`决策表无法打开：${error.message}`, `The table cannot be opened: ${error.message}`), 'error'));
