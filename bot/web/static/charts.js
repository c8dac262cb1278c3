/* The workbench's charts (统计, 月报): Apache ECharts, vendored beside this file, draws the
   JSON the page embeds in <script type="application/json" id="chart-data"> into each
   element with a data-chart attribute:
     rate:response | rate:resolution | rate:satisfaction   12 months of one rate, its target a markLine
     rates                                                  the three over 12 months in one chart
     bars:NAME                                              the three rates by building/category…
     ratings                                                how many tickets got 1–5 分
     heat                                                   category × building, tickets created
   The page's tables say the same for screen readers and print. */
(function () {
  "use strict";
  var holder = document.getElementById("chart-data");
  if (!holder || typeof echarts === "undefined") { return; }
  var data = JSON.parse(holder.textContent);
  var renderer = document.body.getAttribute("data-renderer") || "canvas";
  var COLORS = { response: "#0b57d0", resolution: "#137333", satisfaction: "#e37400" };
  var FONT = "system-ui, -apple-system, 'PingFang SC', 'Microsoft YaHei', 'Noto Sans CJK SC', sans-serif";
  var charts = [];

  function percent(value) { return value === null || value === undefined ? "—" : value + "%"; }

  function lowest(values, target) {
    var seen = values.filter(function (v) { return v !== null && v !== undefined; });
    if (target !== null && target !== undefined) { seen.push(target); }
    if (!seen.length) { return 0; }
    return Math.max(0, Math.floor((Math.min.apply(null, seen) - 5) / 10) * 10);
  }

  function rateSeries(rate) {
    var series = {
      name: rate.name, type: "line", data: rate.values, connectNulls: false, symbolSize: 6,
      itemStyle: { color: COLORS[rate.key] }, lineStyle: { width: 2 }
    };
    if (rate.target !== null && rate.target !== undefined) {
      series.markLine = {
        silent: true, symbol: "none", lineStyle: { type: "dashed", color: COLORS[rate.key] },
        label: { formatter: rate.name + "目标 " + rate.target + "%", position: "insideEndTop" },
        data: [{ yAxis: rate.target }]
      };
    }
    return series;
  }

  function trendOption(rates) {
    var floor = 100;
    rates.forEach(function (rate) { floor = Math.min(floor, lowest(rate.values, rate.target)); });
    return {
      tooltip: { trigger: "axis", valueFormatter: percent },
      legend: rates.length > 1 ? { top: 0 } : undefined,
      grid: { left: 48, right: 16, top: rates.length > 1 ? 32 : 16, bottom: 28 },
      xAxis: { type: "category", data: data.trend.months.map(function (m) { return m.slice(2); }) },
      yAxis: { type: "value", min: floor, max: 100, axisLabel: { formatter: "{value}%" } },
      series: rates.map(rateSeries)
    };
  }

  function barsOption(bars) {
    var names = [["response", "响应率"], ["resolution", "解决率"], ["satisfaction", "满意率"]];
    return {
      tooltip: { trigger: "axis", valueFormatter: percent },
      legend: { top: 0 },
      grid: { left: 48, right: 16, top: 32, bottom: 48 },
      xAxis: {
        type: "category", axisLabel: { interval: 0, rotate: bars.labels.length > 6 ? 30 : 0 },
        data: bars.labels.map(function (label, i) { return label + "（" + bars.created[i] + "）"; })
      },
      yAxis: { type: "value", min: 0, max: 100, axisLabel: { formatter: "{value}%" } },
      series: names.map(function (pair) {
        return { name: pair[1], type: "bar", data: bars[pair[0]], itemStyle: { color: COLORS[pair[0]] } };
      })
    };
  }

  function ratingsOption(ratings) {
    return {
      tooltip: { trigger: "axis" },
      grid: { left: 40, right: 16, top: 16, bottom: 28 },
      xAxis: { type: "category", data: ratings.labels },
      yAxis: { type: "value", minInterval: 1 },
      series: [{ name: "工单", type: "bar", data: ratings.values, itemStyle: { color: "#b3261e" },
                 label: { show: true, position: "top" } }]
    };
  }

  function heatOption(heat) {
    return {
      tooltip: {
        formatter: function (p) { return heat.categories[p.value[1]] + " · " + heat.buildings[p.value[0]] + "：" + p.value[2] + " 件"; }
      },
      grid: { left: 88, right: 16, top: 8, bottom: 64 },
      xAxis: { type: "category", data: heat.buildings, splitArea: { show: true } },
      yAxis: { type: "category", data: heat.categories, splitArea: { show: true } },
      visualMap: { min: 0, max: Math.max(1, heat.max), calculable: false, orient: "horizontal", left: "center",
                   bottom: 0, itemHeight: 120, inRange: { color: ["#fdecea", "#b3261e"] } },
      series: [{ name: "工单", type: "heatmap", data: heat.cells, label: { show: true } }]
    };
  }

  function optionOf(name) {
    var parts = name.split(":");
    if (parts[0] === "rate" && data.trend) {
      var rate = data.trend.rates.filter(function (r) { return r.key === parts[1]; })[0];
      return rate ? trendOption([rate]) : null;
    }
    if (parts[0] === "rates" && data.trend) { return trendOption(data.trend.rates); }
    if (parts[0] === "bars" && data.bars && data.bars[parts[1]] && data.bars[parts[1]].labels.length) {
      return barsOption(data.bars[parts[1]]);
    }
    if (parts[0] === "ratings" && data.ratings) { return ratingsOption(data.ratings); }
    if (parts[0] === "heat" && data.heat) { return heatOption(data.heat); }
    return null;
  }

  Array.prototype.forEach.call(document.querySelectorAll("[data-chart]"), function (element) {
    var option = optionOf(element.getAttribute("data-chart"));
    if (!option) { element.classList.add("none"); return; }
    option.animation = false;
    option.textStyle = { fontFamily: FONT };
    var chart = echarts.init(element, null, { renderer: renderer });
    chart.setOption(option);
    element.classList.add("drawn");
    charts.push(chart);
  });

  function resize() { charts.forEach(function (chart) { chart.resize(); }); }
  window.addEventListener("resize", resize);
  window.addEventListener("beforeprint", resize);
  window.addEventListener("afterprint", resize);
}());
