/*
 * Supervision dashboard charts (Apache ECharts, served from static/vendor/echarts/).
 *
 * The page carries its numbers twice: in the tables under each chart, and in a
 * <script type="application/json" id="dashboard-charts"> block that this file reads.
 * Each <div class="chart" data-chart="NAME" data-source="ID"> names one entry of that block:
 *   { categories: [...], axes: ["万元", "笔"], horizontal: bool,
 *     series: [{ name, type: "bar"|"line", data: [...], axis: 0|1, dashed: bool }] }
 * Charts start hidden, so without JavaScript the page shows only the tables.
 */
(function () {
  "use strict";

  var PALETTE = ["#1f4e8c", "#c8372d", "#2e7d4f", "#b7791f", "#6b4fa0"];
  var BAR_ROW_HEIGHT = 28;
  var MIN_HEIGHT = 320;

  function readBlock(id) {
    var block = id && document.getElementById(id);
    if (!block) {
      return null;
    }
    try {
      return JSON.parse(block.textContent);
    } catch (error) {
      return null;
    }
  }

  function reducedMotion() {
    return window.matchMedia && window.matchMedia("(prefers-reduced-motion: reduce)").matches;
  }

  function showValue(value) {
    return value === "-" || value === null || value === undefined ? "—" : String(value);
  }

  function valueAxes(spec) {
    return spec.axes.map(function (name, index) {
      return {
        type: "value",
        // A horizontal chart names its unit in the legend: an axis name there would be clipped.
        name: spec.horizontal ? "" : name,
        position: index === 0 ? (spec.horizontal ? "bottom" : "left") : (spec.horizontal ? "top" : "right"),
        splitLine: { show: index === 0 },
        axisLabel: { hideOverlap: true }
      };
    });
  }

  function series(spec) {
    return spec.series.map(function (item) {
      var entry = {
        name: item.name,
        type: item.type,
        data: item.data,
        barMaxWidth: 28,
        symbol: item.dashed ? "none" : "circle",
        connectNulls: false
      };
      entry[spec.horizontal ? "xAxisIndex" : "yAxisIndex"] = item.axis || 0;
      if (item.dashed) {
        entry.lineStyle = { type: "dashed", width: 1.5 };
      }
      return entry;
    });
  }

  function option(spec) {
    var categories = {
      type: "category",
      data: spec.categories,
      // Horizontal bars read from the top: the first category (rank 1, or the own bank) on top.
      inverse: Boolean(spec.horizontal),
      axisLabel: { hideOverlap: true }
    };
    var values = valueAxes(spec);
    return {
      color: PALETTE,
      animation: !reducedMotion(),
      // Drawn on the canvas, not as HTML: nothing for the Content-Security-Policy to refuse.
      tooltip: { trigger: "axis", renderMode: "richText", valueFormatter: showValue },
      legend: { top: 0, type: "scroll" },
      grid: { left: 8, right: spec.horizontal ? 32 : 8, top: 48, bottom: 8, containLabel: true },
      xAxis: spec.horizontal ? values : categories,
      yAxis: spec.horizontal ? categories : values,
      series: series(spec)
    };
  }

  function draw(container, charts) {
    var data = readBlock(container.getAttribute("data-source"));
    var spec = data && data[container.getAttribute("data-chart")];
    if (!spec || !spec.categories || spec.categories.length === 0) {
      return;
    }
    container.hidden = false;
    if (spec.horizontal) {
      container.style.height = Math.max(MIN_HEIGHT, spec.categories.length * BAR_ROW_HEIGHT + 96) + "px";
    }
    var chart = window.echarts.init(container, null, { renderer: "canvas" });
    chart.setOption(option(spec));
    charts.push(chart);
  }

  function start() {
    if (!window.echarts) {
      return;
    }
    var charts = [];
    Array.prototype.forEach.call(document.querySelectorAll(".chart[data-chart]"), function (container) {
      draw(container, charts);
    });
    var pending = null;
    window.addEventListener("resize", function () {
      window.clearTimeout(pending);
      pending = window.setTimeout(function () {
        charts.forEach(function (chart) {
          chart.resize();
        });
      }, 100);
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
