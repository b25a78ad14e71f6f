// dmn-js's words in Chinese (its translate service takes a template and replacements, as diagram-js's does).
// Only the labels a designer sees on a table; anything not listed stays as dmn-js writes it.
const ZH = {
  When: '条件', And: '且', Then: '结果', Annotations: '说明', Annotation: '说明', 'Hit policy:': '命中策略：',
  'Hit policy': '命中策略', Unique: '唯一（Unique）', First: '首条（First）', Priority: '优先（Priority）',
  Any: '任一（Any）', Collect: '汇总（Collect）', 'Rule order': '规则顺序（Rule order）',
  'Output order': '输出顺序（Output order）', 'Add rule': '添加规则', 'Add rule above': '在上方添加规则',
  'Add rule below': '在下方添加规则', 'Remove rule': '删除规则', 'Add input': '添加条件列', 'Add output': '添加结果列',
  'Add input column left': '在左侧添加条件列', 'Add input column right': '在右侧添加条件列',
  'Add output column left': '在左侧添加结果列', 'Add output column right': '在右侧添加结果列',
  'Remove input column': '删除条件列', 'Remove output column': '删除结果列', 'Copy rule': '复制规则',
  'Cut rule': '剪切规则', 'Edit string': '编辑文字', 'Edit number': '编辑数值', 'Edit boolean': '编辑是否',
  'Input label': '条件名称', 'Input expression': '条件表达式', 'Output label': '结果名称', 'Output name': '结果变量名',
  'Input type': '条件类型', 'Output type': '结果类型', 'Decision name': '决策名称', 'Expression language': '表达式语言',
  'Add cell description': '添加单元格说明', 'Remove cell description': '删除单元格说明', Edit: '编辑',
};

function translate(template, replacements = {}) {
  const text = ZH[template] || template;
  return text.replace(/{([^}]+)}/g, (_match, key) => (key in replacements ? replacements[key] : `{${key}}`));
}

export default { translate: ['value', translate] };
