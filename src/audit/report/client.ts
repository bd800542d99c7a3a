/**
 * The report page's own script, inlined after uPlot's: it draws the charts
 * from the embedded JSON and makes the tables sortable and the invocations
 * searchable. Plain ES2020 with no imports, as it runs in the reader's
 * browser from a file; the tables are already there without it.
 */
export const CLIENT_SCRIPT = String.raw`(function () {
  'use strict';
  var data = JSON.parse(document.getElementById('report-data').textContent);

  function drawChart(spec) {
    var element = document.getElementById(spec.id);
    if (!element) return;
    var points = spec.style === 'points';
    var stacked = spec.style === 'stacked';
    var bars = stacked ? uPlot.paths.bars({ size: [0.7, 48] }) : undefined;
    // Times as UTC ISO text (months-days; with hours over a short span), never the reader's zone.
    var utc = function (ts) { return new Date(ts * 1000).toISOString(); };
    var series = [{ label: 'time (UTC)', value: function (u, ts) { return ts == null ? '' : utc(ts).slice(0, 16).replace('T', ' '); } }].concat(
      spec.series.map(function (line) {
        var options = {
          label: line.label,
          stroke: line.color,
          width: points ? 0 : stacked ? 1 : 2,
          spanGaps: true,
          paths: points ? function () { return null; } : bars,
          points: { show: !stacked, space: 0, size: points ? 9 : 5, fill: line.color, stroke: line.color },
        };
        if (stacked) {
          options.fill = line.color;
          // The legend shows the node's own count, not the top of its bar.
          options.value = function (u, value, seriesIndex, index) { return index == null ? '' : line.own[index]; };
        }
        return options;
      })
    );
    var options = {
      width: Math.max(320, element.clientWidth || 800),
      height: 260,
      series: series,
      axes: [
        {
          space: 70,
          values: function (u, splits) {
            var long = u.scales.x.max - u.scales.x.min > 3 * 86400;
            return splits.map(function (ts) { return long ? utc(ts).slice(5, 10) : utc(ts).slice(5, 16).replace('T', ' '); });
          },
        },
        { label: spec.yLabel },
      ],
      legend: { live: true },
    };
    var values = [spec.x].concat(spec.series.map(function (line) { return line.values; }));
    var chart = new uPlot(options, values, element);
    window.addEventListener('resize', function () {
      chart.setSize({ width: Math.max(320, element.clientWidth || 800), height: 260 });
    });
  }
  data.charts.forEach(drawChart);

  // Sorting: a click on a header sorts by that column's data-sort values; again, the other way.
  function sortTable(table, index, kind, descending) {
    var body = table.tBodies[0];
    var rows = Array.prototype.slice.call(body.rows);
    rows.sort(function (a, b) {
      var left = a.cells[index].getAttribute('data-sort');
      var right = b.cells[index].getAttribute('data-sort');
      var order;
      if (kind === 'number') {
        var x = left === '' ? -Infinity : Number(left);
        var y = right === '' ? -Infinity : Number(right);
        order = x - y;
      } else {
        order = left.localeCompare(right);
      }
      return descending ? -order : order;
    });
    rows.forEach(function (row) { body.appendChild(row); });
  }
  Array.prototype.forEach.call(document.querySelectorAll('table.data'), function (table) {
    Array.prototype.forEach.call(table.tHead.rows[0].cells, function (header, index) {
      var button = document.createElement('button');
      button.type = 'button';
      button.className = 'sort';
      while (header.firstChild) button.appendChild(header.firstChild);
      header.appendChild(button);
      button.addEventListener('click', function () {
        var descending = header.getAttribute('aria-sort') === 'ascending';
        Array.prototype.forEach.call(table.tHead.rows[0].cells, function (other) { other.removeAttribute('aria-sort'); });
        header.setAttribute('aria-sort', descending ? 'descending' : 'ascending');
        sortTable(table, index, header.getAttribute('data-kind'), descending);
      });
    });
  });

  // Search: every word typed must appear in a row for it to stay.
  var search = document.getElementById('invocation-search');
  var table = document.getElementById('invocations');
  var count = document.getElementById('invocation-count');
  if (search && table) {
    search.hidden = false;
    var rows = Array.prototype.slice.call(table.tBodies[0].rows);
    var total = rows.length;
    var filter = function () {
      var words = search.value.toLowerCase().split(/\s+/).filter(Boolean);
      var shown = 0;
      rows.forEach(function (row) {
        var text = row.textContent.toLowerCase();
        var match = words.every(function (word) { return text.indexOf(word) >= 0; });
        row.hidden = !match;
        if (match) shown++;
      });
      if (count) count.textContent = shown === total ? total + ' runs' : shown + ' of ' + total + ' runs';
    };
    search.addEventListener('input', filter);
    filter();
  }
})();
`;
