// Renders a BPMN diagram with bpmn-js: on a case, marks completed and current steps (data-states); on the
// supervisor's heatmap, colours each user task by its median time and labels it (data-heat).
(function () {
  var container = document.getElementById('diagram');
  var source = document.getElementById('diagram-xml');
  if (!container || !source || typeof BpmnJS === 'undefined') { return; }
  var xml = source.textContent.replace(/<\\\//g, '</');
  var states = JSON.parse(container.getAttribute('data-states') || '{}');
  var heat = JSON.parse(container.getAttribute('data-heat') || 'null');
  // Upper bounds in hours of the legend's bands (half a day, two days, a working week, two weeks).
  var BANDS = [4, 24, 72, 168];
  function band(hours) {
    if (hours === null || hours === undefined) { return 'heat-none'; }
    for (var i = 0; i < BANDS.length; i++) { if (hours < BANDS[i]) { return 'heat-' + i; } }
    return 'heat-' + BANDS.length;
  }
  // On a phone a whole route fitted to 390 px is a strip of unreadable boxes: when the diagram sits in a
  // sideways-scrolling box (.diagram-scroll) that is narrower than the route drawn at a readable scale, the
  // diagram is widened to that scale and the box scrolled to the current step; the finger scrolls the rest.
  var MIN_SCALE = 0.55;
  function readableOnPhone(canvas) {
    var box = container.parentNode;
    if (!box || !box.classList || !box.classList.contains('diagram-scroll')) { return; }
    if (!window.matchMedia || !window.matchMedia('(max-width: 640px)').matches) { return; }  // app.css's phone
    var inner = canvas.viewbox().inner;
    if (!inner.width || !inner.height) { return; }
    var scale = Math.min(1, Math.max(MIN_SCALE, (container.clientHeight - 20) / inner.height));
    var width = Math.ceil(inner.width * scale) + 40;
    if (canvas.viewbox().scale >= MIN_SCALE || width <= box.clientWidth) { return; }
    container.style.width = width + 'px';
    canvas.resized();
    canvas.zoom('fit-viewport');
    var active = Object.keys(states).filter(function (id) { return states[id] === 'active'; })[0];
    var element = active && viewer.get('elementRegistry').get(active);
    if (element) {
      var view = canvas.viewbox();
      var x = (element.x + element.width / 2 - view.x) * view.scale;
      box.scrollLeft = Math.max(0, x - box.clientWidth / 2);
    }
  }
  var viewer = new BpmnJS({ container: container });
  viewer.importXML(xml).then(function () {
    var canvas = viewer.get('canvas');
    canvas.zoom('fit-viewport');
    readableOnPhone(canvas);
    Object.keys(states).forEach(function (id) {
      try { canvas.addMarker(id, states[id] === 'active' ? 'step-active' : 'step-done'); } catch (e) { /* element not drawn */ }
    });
    if (heat) {
      var overlays = viewer.get('overlays');
      viewer.get('elementRegistry').filter(function (el) { return el.type === 'bpmn:UserTask'; }).forEach(function (el) {
        var h = heat[el.id];
        canvas.addMarker(el.id, band(h ? h.median : null));
        if (h) {
          var badge = document.createElement('span');
          badge.className = 'heat-badge';
          badge.textContent = (h.median === null ? '—' : h.median + 'h') + (h.waiting ? ' · ' + h.waiting : '');
          overlays.add(el.id, { position: { bottom: 4, left: 2 }, html: badge });
        }
      });
    }
    container.setAttribute('data-rendered', 'true');
  }).catch(function (err) {
    container.textContent = '流程图无法显示 / diagram could not be shown: ' + err.message;
  });
})();
