/* quanlu 驾驶舱: draws each panel's chart with ECharts (vendored, served by us) from the
   figures the page passes as JSON (json_script: no inline script under the CSP). One
   horizontal bar chart a panel, an agency a row, so long Chinese names stay readable
   on a phone; a bar is a link to that agency's cases, as the table's first column. */
(function () {
  "use strict";
  var ROW = 34, GAP = 10;

  function narrow() { return window.innerWidth < 600; }

  // The legend wraps (every series named, none hidden behind a scroller); the grid starts
  // below it. Roughly: a legend item is its label's characters plus the swatch.
  function legendRows(spec, width) {
    var rows = 1, used = 0;
    spec.series.forEach(function (s) {
      var w = s.name.length * 13 + 40;
      if (used && used + w > width) { rows += 1; used = 0; }
      used += w;
    });
    return rows;
  }

  function option(spec, width) {
    var stack = spec.kind === "stack", rows = legendRows(spec, width);
    return {
      animation: false,
      legend: { top: 0, left: 0, right: 0, itemGap: 8, textStyle: { fontSize: 12 } },
      tooltip: { trigger: "axis", axisPointer: { type: "shadow" }, renderMode: "richText", confine: true },
      grid: { top: 14 + rows * 22, left: 4, right: 16, bottom: 4, containLabel: true },
      xAxis: { type: "value", minInterval: 1 },
      yAxis: {
        type: "category", inverse: true, data: spec.categories,
        // Wrapped, not cut: names of one tree share their start (唐山市生态环境局…分局).
        axisLabel: { width: narrow() ? 110 : 220, overflow: "break", lineHeight: 13, fontSize: 11 }
      },
      series: spec.series.map(function (s) {
        var one = { name: s.name, type: "bar", data: s.data, barMaxWidth: 18, cursor: "pointer" };
        if (stack) one.stack = "all";
        if (s.color) one.itemStyle = { color: s.color };
        return one;
      })
    };
  }

  function height(spec, width) {
    var per = spec.kind === "stack" ? ROW : Math.max(ROW, spec.series.length * 12 + GAP);
    return Math.max(180, spec.categories.length * per + 50 + legendRows(spec, width) * 22);
  }

  function draw(echarts) {
    var data = document.getElementById("dashboard-charts");
    if (!data) return;
    var specs = JSON.parse(data.textContent), charts = [];
    document.querySelectorAll("[data-chart]").forEach(function (el) {
      var spec = specs[Number(el.dataset.chart)];
      if (!spec || el.dataset.drawn) return;
      var width = el.clientWidth || window.innerWidth;
      el.style.height = height(spec, width) + "px";  // CSSOM: allowed where a style attribute is not
      var chart = echarts.init(el, null, { renderer: "svg", locale: "ZH" });
      chart.setOption(option(spec, width));
      chart.on("click", function (p) {
        var url = spec.links[p.dataIndex];
        if (url) window.location.assign(url);
      });
      el.dataset.drawn = "1";
      charts.push(chart);
    });
    window.addEventListener("resize", function () {
      charts.forEach(function (c) { if (!c.isDisposed()) c.resize(); });
    });
  }

  // A date typed in means a custom period.
  ["dash-since", "dash-until"].forEach(function (id) {
    var input = document.getElementById(id), period = document.getElementById("dash-period");
    if (input && period) input.addEventListener("change", function () { period.value = "custom"; });
  });

  // Loaded with defer after ECharts on a full page load; after an htmx (boosted)
  // navigation the two scripts may run in either order, so wait for ECharts' own load.
  if (window.echarts) {
    draw(window.echarts);
  } else {
    var tag = document.querySelector("script[data-echarts]");
    if (tag) tag.addEventListener("load", function () { draw(window.echarts); });
  }
})();
