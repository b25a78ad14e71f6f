// Lint while editing (bpmnlint via bpmn-js-bpmnlint): Jiuzhu's rules as a plugin (mirroring deploy's checks of
// forms, deadlines, lanes, gateway branches and property names), beside bpmnlint's no-disconnected. Advice only, and quick: the server's validation on save decides (the same checks as `jiuzhu deploy`).
import noDisconnected from 'bpmnlint/rules/no-disconnected';
import { deadlineError } from './jiuzhu-properties';
import { getProperty, listProperties } from './camunda-properties';

const ZH = document.documentElement.lang !== 'en';
const t = (zh, en) => (ZH ? zh : en);
let choices = null;

function isUserTask(node) {
  return node.$instanceOf && node.$instanceOf('bpmn:UserTask');
}

// A user task with no form: the person doing it would have nothing to fill in.
function userTaskForm() {
  return {
    check(node, reporter) {
      if (!isUserTask(node)) return;
      const key = node.get('camunda:formKey');
      if (!key) {
        reporter.report(node.id, t('用户任务缺少表单（请在“救助流程规则”中选择表单）', 'User task without a form (formKey)'));
      } else if (choices && !choices.forms.some((f) => f.key === key)) {
        reporter.report(node.id, t(`表单「${key}」在 forms/ 目录中不存在`, `Form '${key}' is not in forms/`));
      }
    },
  };
}

// A user task's deadline, when set, has the shape the server reads (10wd, 7d, dom26).
function deadlineShape() {
  return {
    check(node, reporter) {
      if (!isUserTask(node) || !choices) return;
      const error = deadlineError(getProperty(node, 'deadline'), choices.deadline);
      if (error) reporter.report(node.id, error);
    },
  };
}

const HUMAN = ['bpmn:UserTask', 'bpmn:ManualTask'];
const isHuman = (node) => node.$instanceOf && HUMAN.some((type) => node.$instanceOf(type));

function laneRefs(laneSets, into = new Set()) {
  for (const laneSet of laneSets || []) {
    for (const lane of laneSet.get('lanes')) {
      for (const ref of lane.get('flowNodeRef')) into.add(ref.id);
      if (lane.get('childLaneSet')) laneRefs([lane.get('childLaneSet')], into);
    }
  }
  return into;
}

// Deploy refuses a human task outside every lane: its lane names the role that does it.
function userTaskLane() {
  return {
    check(node, reporter) {
      if (!node.$instanceOf || !node.$instanceOf('bpmn:Process')) return;
      const inLane = laneRefs(node.get('laneSets'));
      for (const element of node.get('flowElements')) {
        if (isHuman(element) && !inLane.has(element.id)) {
          reporter.report(element.id, t('用户任务不在任何泳道内（泳道决定由哪个角色办理）', 'User task outside every lane'));
        }
      }
    },
  };
}

// Deploy refuses a branch of an exclusive or inclusive gateway with neither a condition nor the default mark.
function gatewayBranch() {
  return {
    check(node, reporter) {
      if (!node.$instanceOf || !['bpmn:ExclusiveGateway', 'bpmn:InclusiveGateway'].some((type) => node.$instanceOf(type))) return;
      const outgoing = node.get('outgoing');
      if (outgoing.length < 2) return;
      for (const flow of outgoing) {
        if (!flow.get('conditionExpression') && node.get('default') !== flow) {
          reporter.report(flow.id, t(`网关「${node.name || node.id}」的分支既无条件也不是默认分支`,
            `Branch of gateway '${node.name || node.id}' has neither a condition nor is the default`));
        }
      }
    },
  };
}

// Deploy refuses a camunda:property name the engine does not read (names as the server's choices list them;
// a NAME ending in COLUMN or FIELD stands for any column or form field after its prefix, e.g. register.COLUMN,
// at_most:FIELD).
const PLACEHOLDERS = ['COLUMN', 'FIELD'];
function knownName(name, known, prefixes) {
  return known.includes(name) || prefixes.some((prefix) => name.startsWith(prefix))
    || known.some((k) => PLACEHOLDERS.some((p) => k.endsWith(p) && name.startsWith(k.slice(0, -p.length))));
}

function unknownProperty() {
  return {
    check(node, reporter) {
      if (!choices || !node.$instanceOf) return;
      let known;
      let prefixes = [];
      if (isHuman(node)) [known, prefixes] = [choices.properties.task, [choices.document_prefix]];
      else if (node.$instanceOf('bpmn:EndEvent')) known = choices.properties.end;
      else if (node.$instanceOf('bpmn:Process')) known = choices.properties.process;
      else return;
      for (const { name } of listProperties(node)) {
        if (!knownName(name || '', known, prefixes)) {
          reporter.report(node.id, t(`未知的属性名「${name}」（可用：${known.join('、')}）`,
            `Unknown property name '${name}' (known: ${known.join(', ')})`));
        }
      }
    },
  };
}

function disconnected() {
  const rule = noDisconnected();
  return {
    check(node, reporter) {
      rule.check(node, { report: (id) => reporter.report(id, t('该元素未连接到流程中（不会被执行）', 'Element is not connected')) });
    },
  };
}

const RULES = {
  'bpmnlint-plugin-jiuzhu/user-task-form': userTaskForm,
  'bpmnlint-plugin-jiuzhu/deadline': deadlineShape,
  'bpmnlint-plugin-jiuzhu/disconnected': disconnected,
  'bpmnlint-plugin-jiuzhu/user-task-lane': userTaskLane,
  'bpmnlint-plugin-jiuzhu/gateway-branch': gatewayBranch,
  'bpmnlint-plugin-jiuzhu/unknown-property': unknownProperty,
};

export function useChoices(value) {
  choices = value;
}

export const lintConfig = {
  config: {
    rules: {
      'jiuzhu/user-task-form': 'error', 'jiuzhu/deadline': 'error', 'jiuzhu/disconnected': 'warn',
      'jiuzhu/user-task-lane': 'error', 'jiuzhu/gateway-branch': 'error', 'jiuzhu/unknown-property': 'error',
    },
  },
  resolver: {
    resolveRule(pkg, ruleName) {
      return RULES[`${pkg}/${ruleName}`];
    },
    resolveConfig(pkg, configName) {
      throw new Error(`unknown lint config ${pkg}/${configName}`);
    },
  },
};
