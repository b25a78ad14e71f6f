// Draws the supervisor's dashboard charts with ECharts from the figures the page carries; every chart's
// numbers are also in the table beside it, so the page reads without JavaScript.
(function () {
  var source = document.getElementById('dashboard-data');
  if (!source || typeof echarts === 'undefined') { return; }
  var d = JSON.parse(source.textContent);
  var L = d.labels;
  var charts = [];
  function col(rows, i) { return rows.map(function (r) { return r[i]; }); }
  // A chart with no figure above zero says so, instead of an empty grid or a pie split evenly between zeros.
  function hasData(option) {
    return option.series.some(function (s) {
      return s.data.some(function (v) { var n = (v !== null && typeof v === 'object') ? v.value : v; return n > 0; });
    });
  }
  function draw(id, option) {
    var el = document.getElementById(id);
    if (!el) { return; }
    var chart = echarts.init(el, null, { renderer: 'svg' });
    if (!hasData(option)) {
      option = { title: { text: L.no_data, left: 'center', top: 'middle',
        textStyle: { color: '#6b7280', fontSize: 14, fontWeight: 'normal' } } };
      el.setAttribute('data-empty', 'true');
    }
    chart.setOption(Object.assign({ animation: false, tooltip: { trigger: 'axis' },
      grid: { left: 48, right: 16, top: 36, bottom: 64, containLabel: true } }, option));
    charts.push(chart);
    el.setAttribute('data-rendered', 'true');
  }
  function bars(rows, names, colours, stack) {
    return names.map(function (name, i) {
      return { name: name, type: 'bar', stack: stack, data: col(rows, i + 1), itemStyle: { color: colours[i] } };
    });
  }
  var slanted = { type: 'category', axisLabel: { rotate: 30, interval: 0 } };
  draw('chart-status', { tooltip: { trigger: 'item' }, series: [{ type: 'pie', radius: ['40%', '70%'],
    data: d.status.map(function (r) { return { name: r[0], value: r[1] }; }), label: { formatter: '{b}: {c}' } }] });
  draw('chart-types', { tooltip: { trigger: 'item' }, series: [{ type: 'pie', radius: '65%',
    data: d.types.map(function (r) { return { name: r[0], value: r[1] }; }), label: { formatter: '{b}: {c}' } }] });
  draw('chart-townships', { legend: {}, xAxis: Object.assign({ data: col(d.areas, 0) }, slanted), yAxis: { type: 'value' },
    series: bars(d.areas, [L.running, L.completed], ['#c27803', '#0e9f6e'], 'cases') });
  draw('chart-on-time', { xAxis: Object.assign({ data: col(d.on_time, 0) }, slanted), yAxis: { type: 'value', max: 100 },
    series: [{ name: L.on_time, type: 'bar', data: col(d.on_time, 1), itemStyle: { color: '#1c64f2' } }] });
  draw('chart-trend', { legend: {}, xAxis: { type: 'category', data: col(d.trend, 0) },
    yAxis: [{ type: 'value', max: 100, name: '%' }, { type: 'value' }],
    series: [{ name: L.on_time, type: 'line', data: col(d.trend, 1), connectNulls: true, itemStyle: { color: '#1c64f2' } },
             { name: L.lodged, type: 'bar', yAxisIndex: 1, data: col(d.trend, 2), itemStyle: { color: '#cbd5e1' } }] });
  draw('chart-backlog', { legend: {}, yAxis: { type: 'category', data: col(d.backlog, 0).reverse(), axisLabel: { width: 160, overflow: 'truncate' } },
    xAxis: { type: 'value' }, grid: { left: 16, right: 16, top: 36, bottom: 24, containLabel: true },
    series: [{ name: L.open, type: 'bar', data: col(d.backlog, 1).reverse(), itemStyle: { color: '#c27803' } },
             { name: L.overdue, type: 'bar', data: col(d.backlog, 2).reverse(), itemStyle: { color: '#e02424' } }] });
  draw('chart-decisions', { legend: {}, xAxis: Object.assign({ data: d.decisions.map(function (r) {
      return r[3] ? r[0] + ' ⚠' : r[0]; }) }, slanted), yAxis: { type: 'value' },
    series: [{ name: L.approved, type: 'bar', itemStyle: { color: '#0e9f6e' }, data: d.decisions.map(function (r) {
      return { value: r[1], itemStyle: { color: r[3] ? '#e02424' : '#0e9f6e' } }; }) },
             { name: L.refused, type: 'bar', data: col(d.decisions, 2), itemStyle: { color: '#6b7280' } }] });
  window.addEventListener('resize', function () { charts.forEach(function (c) { c.resize(); }); });
})();
