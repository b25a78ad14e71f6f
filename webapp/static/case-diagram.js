// Renders the case's BPMN with bpmn-js and marks completed and current steps.
(function () {
  var container = document.getElementById('diagram');
  var source = document.getElementById('diagram-xml');
  if (!container || !source || typeof BpmnJS === 'undefined') { return; }
  var xml = source.textContent.replace(/<\\\//g, '</');
  var states = JSON.parse(container.getAttribute('data-states') || '{}');
  var viewer = new BpmnJS({ container: container });
  viewer.importXML(xml).then(function () {
    var canvas = viewer.get('canvas');
    canvas.zoom('fit-viewport');
    Object.keys(states).forEach(function (id) {
      try { canvas.addMarker(id, states[id] === 'active' ? 'step-active' : 'step-done'); } catch (e) { /* element not drawn */ }
    });
    container.setAttribute('data-rendered', 'true');
  }).catch(function (err) {
    container.textContent = '流程图无法显示 / diagram could not be shown: ' + err.message;
  });
})();
