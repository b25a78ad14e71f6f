// Reading and writing camunda:properties (the engine's rules on an element) through bpmn-js commands, so that
// every edit is undoable and ends up in the XML as Camunda Modeler writes it.
import { is } from 'bpmn-js/lib/util/ModelUtil';

function propertiesOf(bo) {
  const ext = bo && bo.get('extensionElements');
  return ext ? ext.get('values').find((v) => is(v, 'camunda:Properties')) : undefined;
}

export function listProperties(bo) {
  const props = propertiesOf(bo);
  return props ? props.get('values').map((p) => ({ name: p.name, value: p.value })) : [];
}

export function getProperty(bo, name) {
  const found = listProperties(bo).find((p) => p.name === name);
  return found ? found.value : undefined;
}

// Set (or, with an empty value, remove) the property ``name`` of the business object ``bo`` shown as ``element``.
export function setProperty(injector, element, bo, name, value) {
  const modeling = injector.get('modeling');
  const bpmnFactory = injector.get('bpmnFactory');
  const empty = value === undefined || value === null || value === '';
  let ext = bo.get('extensionElements');
  let props = propertiesOf(bo);
  const existing = props ? props.get('values').find((p) => p.name === name) : undefined;
  if (empty) {
    if (existing) {
      modeling.updateModdleProperties(element, props, { values: props.get('values').filter((p) => p !== existing) });
    }
    return;
  }
  if (existing) {
    modeling.updateModdleProperties(element, existing, { value });
    return;
  }
  if (!ext) {
    ext = bpmnFactory.create('bpmn:ExtensionElements', { values: [] });
    ext.$parent = bo;
    modeling.updateModdleProperties(element, bo, { extensionElements: ext });
  }
  if (!props) {
    props = bpmnFactory.create('camunda:Properties', { values: [] });
    props.$parent = ext;
    modeling.updateModdleProperties(element, ext, { values: [...ext.get('values'), props] });
  }
  const property = bpmnFactory.create('camunda:Property', { name, value });
  property.$parent = props;
  modeling.updateModdleProperties(element, props, { values: [...props.get('values'), property] });
}
