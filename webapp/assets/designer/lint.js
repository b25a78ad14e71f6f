// Lint while editing (bpmnlint via bpmn-js-bpmnlint): Jiuzhu's rules as a plugin, beside two of bpmnlint's
// own. Advice only, and quick: the server's validation on save decides (the same checks as `jiuzhu deploy`).
import noDisconnected from 'bpmnlint/rules/no-disconnected';
import { deadlineError } from './jiuzhu-properties';
import { getProperty } from './camunda-properties';

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
};

export function useChoices(value) {
  choices = value;
}

export const lintConfig = {
  config: { rules: { 'jiuzhu/user-task-form': 'error', 'jiuzhu/deadline': 'error', 'jiuzhu/disconnected': 'warn' } },
  resolver: {
    resolveRule(pkg, ruleName) {
      return RULES[`${pkg}/${ruleName}`];
    },
    resolveConfig(pkg, configName) {
      throw new Error(`unknown lint config ${pkg}/${configName}`);
    },
  },
};
