// The JSON Schema form of the selected step, edited beside the diagram with a live preview rendered by the
// server as the task page renders it. Edited and new forms travel with the draft (saved, validated and
// deployed with it); forms/ itself is never written.
import { getBusinessObject } from 'bpmn-js/lib/util/ModelUtil';
import { postJson } from './requests';

const ZH = document.documentElement.lang !== 'en';
const t = (zh, en) => (ZH ? zh : en);
const KEY = /^[a-z][a-z0-9_]{0,63}$/;

export default class FormEditor {
  constructor(modeler, choices, forms, root) {
    this._modeler = modeler;
    this._choices = choices;
    this._forms = { ...forms };  // form key → schema edited with this draft
    this._root = root;
    this._key = null;
    this._text = root.querySelector('#wb-form-json');
    this._title = root.querySelector('#wb-form-key');
    this._preview = root.querySelector('#wb-form-preview');
    this._problems = root.querySelector('#wb-form-problems');
    this._timer = null;
    for (const key of Object.keys(this._forms)) this._offer(key);
    this._text.addEventListener('input', () => this._edited());
    root.querySelector('#wb-form-new').addEventListener('click', () => this._create());
    // A diagram-js listener that returns a value stops the event (the properties panel would miss it).
    modeler.on('selection.changed', ({ newSelection }) => {
      this._select(newSelection[0]);
    });
    modeler.on('element.changed', ({ element }) => {
      const selected = modeler.get('selection').get()[0];
      if (selected && element.id === selected.id) this._select(selected);
    });
  }

  // The forms to send with the draft.
  forms() {
    return this._forms;
  }

  _offer(key) {
    if (!this._choices.forms.some((f) => f.key === key)) {
      this._choices.forms.push({ key, title: (this._forms[key] && this._forms[key].title) || key });
    }
  }

  _formKeyOf(element) {
    const bo = element && getBusinessObject(element);
    return bo && bo.$instanceOf('camunda:FormSupported') ? bo.get('camunda:formKey') : undefined;
  }

  async _select(element) {
    const key = this._formKeyOf(element);
    this._root.hidden = !element || !getBusinessObject(element).$instanceOf('camunda:FormSupported');
    if (key === this._key) return;
    this._key = key || null;
    this._title.textContent = key || t('（该步骤未设置表单）', '(no form)');
    this._text.value = '';
    this._preview.replaceChildren();
    this._problems.replaceChildren();
    this._text.disabled = !key;
    if (!key) return;
    let schema = this._forms[key];
    if (!schema) {
      const response = await fetch(`${this._root.dataset.formsUrl}${encodeURIComponent(key)}`,
        { headers: { Accept: 'application/json' } });
      if (!response.ok) {
        this._say(t(`表单「${key}」在 forms/ 中不存在，可点击“新建表单”`, `Form '${key}' is not in forms/`));
        return;
      }
      schema = (await response.json()).schema;
    }
    if (this._key !== key) return;
    this._text.value = JSON.stringify(schema, null, 2);
    this._render(schema);
  }

  _create() {
    const element = this._modeler.get('selection').get()[0];
    const input = this._root.querySelector('#wb-form-new-key');
    const key = input.value.trim();
    if (!element || !getBusinessObject(element).$instanceOf('camunda:FormSupported')) {
      this._say(t('请先选择一个用户任务', 'Select a user task first'));
      return;
    }
    if (!KEY.test(key)) {
      this._say(t('表单标识只能由小写字母、数字和下划线组成，以字母开头', 'Form keys are lower-case letters, digits and _'));
      return;
    }
    const name = getBusinessObject(element).name || key;
    this._forms[key] = this._forms[key] || {
      $schema: 'https://json-schema.org/draft/2020-12/schema', title: name, type: 'object',
      properties: { notes: { type: 'string', title: t('情况记录', 'Notes'), maxLength: 1000, 'x-widget': 'textarea' } },
      required: ['notes'], additionalProperties: false,
    };
    this._offer(key);
    this._key = null;
    this._modeler.get('modeling').updateProperties(element, { 'camunda:formKey': key });
    input.value = '';
  }

  _edited() {
    let schema;
    try {
      schema = JSON.parse(this._text.value);
    } catch (error) {
      this._say(t(`JSON 格式错误：${error.message}`, `Not JSON: ${error.message}`));
      return;
    }
    this._forms[this._key] = schema;
    this._offer(this._key);
    clearTimeout(this._timer);
    this._timer = setTimeout(() => this._render(schema), 500);
  }

  async _render(schema) {
    const key = this._key;
    const { data } = await postJson(this._root.dataset.previewUrl, { form_key: key, schema });
    if (key !== this._key) return;
    this._problems.replaceChildren();
    if (data.ok) {
      // The server renders it from the schema with the app's escaping template: the same HTML as the task page.
      this._preview.innerHTML = data.html;
    } else {
      for (const problem of data.problems || [{ message: data.message }]) this._say(problem.message);
    }
  }

  _say(text) {
    const item = document.createElement('li');
    item.textContent = text;
    this._problems.append(item);
  }
}
