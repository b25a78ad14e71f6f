// The Jiuzhu group of the properties panel: the camunda:properties the engine reads (deadline, documents,
// publicity, the data declarations), with choices from what the installation knows (served by the server as
// one list), and the Camunda 7 fields the engine does not honour hidden and named.
import { h } from '@bpmn-io/properties-panel/preact';
import { SelectEntry, TextFieldEntry, isSelectEntryEdited, isTextFieldEntryEdited } from '@bpmn-io/properties-panel';
import { useService } from 'bpmn-js-properties-panel';
import { getBusinessObject, is } from 'bpmn-js/lib/util/ModelUtil';
import { getProperty, listProperties, setProperty } from './camunda-properties';

const ZH = document.documentElement.lang !== 'en';
const t = (zh, en) => (ZH ? zh : en);

// Groups of the Camunda panel whose fields deploy refuses or the engine ignores (see UNHONOURED in the choices).
const HIDDEN_GROUPS = new Set([
  'CamundaPlatform__UserAssignment', 'CamundaPlatform__Form', 'CamundaPlatform__FormData',
  'CamundaPlatform__AsynchronousContinuations', 'CamundaPlatform__JobExecution', 'CamundaPlatform__ExecutionListener',
  'CamundaPlatform__TaskListener', 'CamundaPlatform__Input', 'CamundaPlatform__Output',
  'CamundaPlatform__FieldInjection', 'CamundaPlatform__ConnectorInput', 'CamundaPlatform__ConnectorOutput',
  'CamundaPlatform__ExternalTask', 'CamundaPlatform__Implementation', 'CamundaPlatform__InMapping',
  'CamundaPlatform__OutMapping', 'CamundaPlatform__InMappingPropagation', 'CamundaPlatform__OutMappingPropagation',
  'CamundaPlatform__HistoryCleanup', 'CamundaPlatform__Tasklist', 'CamundaPlatform__CandidateStarter',
  'CamundaPlatform__StartInitiator', 'CamundaPlatform__BusinessKey',
]);
const HIDDEN_ENTRIES = new Set(['versionTag', 'jobPriority', 'priority', 'taskPriority']);
const HUMAN = ['bpmn:UserTask', 'bpmn:ManualTask'];

export function deadlineError(value, rule) {
  if (!value) return null;
  const match = new RegExp(rule.pattern).exec(value);
  const [low, high] = rule.day_of_month;
  if (!match || (match[3] !== undefined && !(Number(match[3]) >= low && Number(match[3]) <= high))) {
    return t(`期限「${value}」格式应为 10wd（工作日）、7d（天）或 dom26（每月 26 日）`,
      `Deadline '${value}' must look like 10wd, 7d or dom26`);
  }
  return null;
}

function ownerOf(element) {
  // A pool's properties are its process's.
  const bo = getBusinessObject(element);
  return is(element, 'bpmn:Participant') ? bo.get('processRef') : bo;
}

function textProperty(id, name, label, description, validate) {
  function Entry({ element }) {
    const injector = useService('injector');
    const debounce = useService('debounceInput');
    const bo = ownerOf(element);
    return h(TextFieldEntry, {
      element, id, label, description, debounce, validate,
      getValue: () => getProperty(bo, name) || '',
      setValue: (value) => setProperty(injector, element, bo, name, (value || '').trim()),
    });
  }
  return { id, component: Entry, isEdited: isTextFieldEntryEdited };
}

function selectProperty(id, name, label, options) {
  function Entry({ element }) {
    const injector = useService('injector');
    const bo = ownerOf(element);
    return h(SelectEntry, {
      element, id, label,
      getValue: () => getProperty(bo, name) || '',
      setValue: (value) => setProperty(injector, element, bo, name, value),
      getOptions: () => [{ value: '', label: t('（不设置）', '(none)') }, ...options],
    });
  }
  return { id, component: Entry, isEdited: isSelectEntryEdited };
}

function selectAttribute(id, attribute, label, options, description) {
  function Entry({ element }) {
    const modeling = useService('modeling');
    const bo = getBusinessObject(element);
    const current = bo.get(attribute) || '';
    const known = options.some((o) => o.value === current);
    return h(SelectEntry, {
      element, id, label, description,
      getValue: () => current,
      setValue: (value) => modeling.updateProperties(element, { [attribute]: value || undefined }),
      getOptions: () => [{ value: '', label: t('（未选择）', '(none)') },
        ...(known || !current ? [] : [{ value: current, label: t(`${current}（不存在）`, `${current} (missing)`) }]),
        ...options],
    });
  }
  return { id, component: Entry, isEdited: isSelectEntryEdited };
}

function note(id, text) {
  function Entry() {
    return h('div', { class: 'bio-properties-panel-entry jz-note' }, text);
  }
  return { id, component: Entry };
}

function decisionLink(urlPattern) {
  // The table's own page (dmn-js), where it is edited as part of this route's draft.
  function Entry({ element }) {
    const ref = getBusinessObject(element).get('camunda:decisionRef');
    if (!ref || !urlPattern) return null;
    return h('div', { class: 'bio-properties-panel-entry jz-note' },
      h('a', { href: urlPattern.replace('__id__', encodeURIComponent(ref)), class: 'jz-decision-link' },
        t(`打开决策表「${ref}」编辑`, `Open the decision table '${ref}'`)));
  }
  return { id: 'jz-decision-link', component: Entry };
}

function documentEntries(element, choices) {
  const prefix = choices.document_prefix;
  const titles = Object.fromEntries(choices.documents.map((d) => [d.kind, d.title]));
  const bo = getBusinessObject(element);
  const present = listProperties(bo).filter((p) => (p.name || '').startsWith(prefix));
  const entries = present.map((p) => {
    const kind = p.name.slice(prefix.length);
    return textProperty(`jz-doc-${kind}`, p.name, t(`文书：${titles[kind] || kind}`, `Document: ${titles[kind] || kind}`),
      t('出具条件（Python 表达式，True 表示总是出具）；清空即删除', 'Condition (Python; True: always). Empty removes it.'));
  });
  const used = new Set(present.map((p) => p.name));
  const options = choices.documents.filter((d) => !used.has(prefix + d.kind))
    .map((d) => ({ value: d.kind, label: `${d.title}（${d.kind}）` }));
  function AddDocument({ element: el }) {
    const injector = useService('injector');
    return h(SelectEntry, {
      element: el, id: 'jz-doc-add', label: t('添加文书', 'Add a document'),
      getValue: () => '',
      setValue: (kind) => kind && setProperty(injector, el, getBusinessObject(el), prefix + kind, 'True'),
      getOptions: () => [{ value: '', label: t('（选择文书类型）', '(choose a kind)') }, ...options],
    });
  }
  entries.push({ id: 'jz-doc-add', component: AddDocument });
  return entries;
}

function taskEntries(element, choices) {
  const forms = choices.forms.map((f) => ({ value: f.key, label: `${f.title}（${f.key}）` }));
  const economic = choices.economic_sources.map((s) => ({ value: s, label: s }));
  return [
    selectAttribute('jz-formKey', 'camunda:formKey', t('表单（formKey）', 'Form (formKey)'), forms,
      t('forms/ 中的 JSON Schema 表单', 'A JSON Schema form in forms/')),
    textProperty('jz-deadline', 'deadline', t('办理期限（deadline）', 'Deadline'),
      t('如 10wd（工作日）、7d（天）、dom26（每月 26 日）', 'e.g. 10wd (working days), 7d (days), dom26'),
      (value) => deadlineError(value, choices.deadline)),
    selectProperty('jz-clock', 'clock', t('计时（clock）', 'Clock'),
      choices.clock_values.map((v) => ({ value: v, label: v === 'paused' ? t('暂停计时（补正）', 'paused') : v }))),
    textProperty('jz-publicity', 'publicity', t('公示（publicity）', 'Publicity (公示)'),
      t(`公示名称，如 ${choices.publicity_names.join('、')}`, `The 公示's name: ${choices.publicity_names.join(', ')}`)),
    textProperty('jz-starts-clock', 'starts_clock', t('开始总时限（starts_clock）', 'Starts the overall limit'),
      t("True，或如 acceptance_decision == 'accepted'", "True, or e.g. acceptance_decision == 'accepted'")),
    textProperty('jz-limit-from-acceptance', 'limit_from_acceptance',
      t('自受理起的步骤时限（limit_from_acceptance）', 'Limit from acceptance'),
      t('如 15wd：本步骤须在受理后 15 个工作日内完成（特困初审意见），部署时核算', 'e.g. 15wd: done within 15 working days of acceptance; checked at deploy'),
      (value) => (value && !/^[0-9]+wd$/.test(value) ? t('应为工作日数，如 15wd', 'Working days, e.g. 15wd') : null)),
    ...documentEntries(element, choices),
    selectProperty('jz-economic-source', 'economic.source', t('经济状况核对来源', 'Economic check: source'), economic),
    textProperty('jz-economic-result', 'economic.result', t('核对结论字段', 'Economic check: result field')),
  ];
}

function processEntries(choices) {
  const labels = {
    overall_limit: t('总时限（overall_limit）：none、20wd 或字段名', 'Overall limit: none, 20wd or a field name'),
    summary: t('案件列表显示的字段（逗号分隔）', 'Fields the case list shows (comma-separated)'),
  };
  return choices.properties.process.map((name) => textProperty(`jz-process-${name}`, name, labels[name] || name));
}

function endEntries(element, choices) {
  const bo = getBusinessObject(element);
  const effect = getProperty(bo, 'recipient');
  const entries = [selectProperty('jz-recipient', 'recipient', t('对在册对象的影响（recipient）', 'Effect on the register'),
    choices.recipient_effects.map((v) => ({ value: v, label: v })))];
  const columns = choices.register_columns[effect];
  if (columns) {
    for (const column of [...columns.required, ...columns.optional]) {
      const zh = choices.register_columns_zh[column] || column;
      const required = columns.required.includes(column);
      entries.push(textProperty(`jz-register-${column}`, `register.${column}`,
        t(`${zh}${required ? '（必填）' : ''}`, `${column}${required ? ' (required)' : ''}`),
        t('存放该值的数据名', 'The data name holding it')));
    }
  }
  return entries;
}

function laneEntries(choices) {
  function Role({ element }) {
    const modeling = useService('modeling');
    const bo = getBusinessObject(element);
    // Each body's Chinese name (what the shipped routes write), then the role's code.
    const options = choices.roles.flatMap((r) => [...r.names.map((n) => ({ value: n, label: `${n}（${r.code}）` })),
      { value: r.code, label: `${r.code}（${r.name}）` }]);
    const current = bo.get('name') || '';
    if (current && !options.some((o) => o.value === current)) options.unshift({ value: current, label: current });
    return h(SelectEntry, {
      element, id: 'jz-lane-role', label: t('泳道角色', 'Lane role'),
      description: t('泳道决定由哪个角色办理其中的任务', 'The lane names the role that does its tasks'),
      getValue: () => current, setValue: (value) => modeling.updateProperties(element, { name: value }),
      getOptions: () => [{ value: '', label: t('（选择角色）', '(choose)') }, ...options],
    });
  }
  return [{ id: 'jz-lane-role', component: Role }];
}

export default class JiuzhuPropertiesProvider {
  constructor(propertiesPanel, config) {
    this._choices = config.choices;
    this._decisionUrl = config.decisionUrl;
    propertiesPanel.registerProvider(400, this);
  }

  getGroups(element) {
    return (groups) => {
      const kept = groups.filter((g) => !HIDDEN_GROUPS.has(g.id));
      for (const group of kept) {
        if (Array.isArray(group.entries)) group.entries = group.entries.filter((e) => !HIDDEN_ENTRIES.has(e.id));
      }
      const entries = this._entries(element);
      if (!entries.length) return kept;
      const hidden = Object.values(this._choices.unhonoured_camunda).join('、');
      entries.push(note('jz-hidden', t(`本系统不使用的 Camunda 字段已隐藏（部署时会被拒绝）：${hidden}`,
        `Camunda fields this engine does not honour are hidden (deploy refuses them): ${Object.keys(this._choices.unhonoured_camunda).join(', ')}`)));
      kept.splice(1, 0, { id: 'jiuzhu', label: t('救助流程规则', 'Jiuzhu rules'), entries, shouldOpen: true });
      return kept;
    };
  }

  _entries(element) {
    const choices = this._choices;
    if (HUMAN.some((type) => is(element, type)) || element.type === 'bpmn:Task') return taskEntries(element, choices);
    if (is(element, 'bpmn:StartEvent')) {
      const forms = choices.forms.map((f) => ({ value: f.key, label: `${f.title}（${f.key}）` }));
      return [selectAttribute('jz-formKey', 'camunda:formKey', t('申请表单（formKey）', 'Start form'), forms)];
    }
    if (is(element, 'bpmn:EndEvent')) return endEntries(element, choices);
    if (is(element, 'bpmn:BusinessRuleTask')) {
      const decisions = choices.decisions.map((d) => ({ value: d.id, label: `${d.name}（${d.id}）` }));
      return [selectAttribute('jz-decisionRef', 'camunda:decisionRef', t('决策表', 'Decision table'), decisions),
        decisionLink(this._decisionUrl)];
    }
    if (is(element, 'bpmn:Lane')) return laneEntries(choices);
    if (is(element, 'bpmn:SequenceFlow')) {
      return [textProperty('jz-extends-limit', 'extends_limit', t('可超过办结时限的依据（extends_limit）', 'Ground for running past the limit'),
        t('此连线之后的步骤不计入一般路径的时限核算；写明法规依据，如 公示有异议，可延长至45个工作日（2022年通知）',
          'Steps after this flow are not counted in the ordinary path; name the legal ground'))];
    }
    if (is(element, 'bpmn:Process') || is(element, 'bpmn:Participant')) return processEntries(choices);
    return [];
  }
}

JiuzhuPropertiesProvider.$inject = ['propertiesPanel', 'config.jiuzhu'];
