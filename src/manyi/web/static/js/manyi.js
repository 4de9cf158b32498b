/* Small behaviours that need no framework. */
(function () {
  "use strict";

  // Customer form: show the enterprise or the individual profile for the chosen kind.
  function syncKind(form) {
    var select = form.querySelector("select[name=kind]");
    if (!select) return;
    form.querySelectorAll("[data-kind]").forEach(function (group) {
      group.hidden = group.dataset.kind !== select.value;
    });
  }

  // Customer list on a phone: the filters fold away behind one button.
  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-toggle-filters]");
    if (!button) return;
    var open = button.form.classList.toggle("show-more");
    button.setAttribute("aria-expanded", String(open));
  });

  document.addEventListener("change", function (event) {
    var form = event.target.closest("form[data-kind-form]");
    if (form && event.target.name === "kind") syncKind(form);
  });

  // A form that asks before it sends (cancelling or returning an order).
  document.addEventListener("submit", function (event) {
    var form = event.target.closest("form[data-confirm-message]");
    if (form && !window.confirm(form.dataset.confirmMessage)) event.preventDefault();
  });

  // Order form: "Add a line" and the remove buttons work in place. Without
  // this script they are submit buttons and the server redraws the form.
  function renumberLines(table) {
    table.querySelectorAll("[data-order-line]").forEach(function (row, i) {
      var n = String(i + 1);
      row.querySelectorAll("[id], [for], [aria-labelledby], [aria-describedby]").forEach(function (el) {
        ["id", "for", "aria-labelledby", "aria-describedby"].forEach(function (name) {
          var value = el.getAttribute(name);
          if (value) el.setAttribute(name, value.replace(/line-\d+-/g, "line-" + n + "-"));
        });
      });
      var head = row.querySelector("[data-line-head]");
      head.textContent = n;
      head.setAttribute("aria-label", table.dataset.lineLabel.replace("{n}", n));
      var remove = row.querySelector("[data-remove-line]");
      var label = table.dataset.removeLabel.replace("{n}", n);
      remove.value = n;
      remove.setAttribute("aria-label", label);
      remove.title = label;
    });
  }

  function clearLine(row) {
    row.querySelectorAll("select").forEach(function (el) { el.value = ""; });
    row.querySelectorAll("input[name=line_quantity]").forEach(function (el) { el.value = "1"; });
    row.querySelectorAll("input[name=line_price]").forEach(function (el) { el.value = ""; });
    row.querySelectorAll(".invalid-feedback").forEach(function (el) { el.remove(); });
    row.querySelectorAll(".is-invalid").forEach(function (el) {
      el.classList.remove("is-invalid");
      el.removeAttribute("aria-invalid");
      el.removeAttribute("aria-describedby");
    });
  }

  document.addEventListener("click", function (event) {
    var add = event.target.closest("[data-add-line]");
    var remove = event.target.closest("[data-remove-line]");
    var form = (add || remove) && (add || remove).form;
    var table = form && form.querySelector("table.order-lines");
    var template = form && form.querySelector("template[data-line-template]");
    if (!table || !template) return;
    event.preventDefault();
    var body = table.querySelector("[data-order-lines]");
    if (add) {
      var row = template.content.querySelector("[data-order-line]").cloneNode(true);
      body.appendChild(row);
      renumberLines(table);
      row.querySelector("select").focus();
      return;
    }
    var line = remove.closest("[data-order-line]");
    if (body.querySelectorAll("[data-order-line]").length === 1) {
      clearLine(line);  // an order keeps one row to fill in
      line.querySelector("select").focus();
      return;
    }
    var next = line.nextElementSibling || line.previousElementSibling;
    line.remove();
    renumberLines(table);
    next.querySelector("select").focus();
  });

  // Charts: Apache ECharts, loaded only by the pages that draw one. Each chart
  // reads its data from the JSON the server wrote with json_script; the table
  // beside it stays for screen readers and folds away once the chart is drawn.
  var charts = [];
  var PALETTE = ["#c2410c", "#0f766e", "#6366f1", "#ca8a04", "#be185d", "#0369a1"];

  function number(value, format) {
    if (format === "money") return "¥" + Math.round(value).toLocaleString("en-US");
    if (format === "percent") return value + "%";
    return Number(value).toLocaleString("en-US");
  }

  function barOption(spec) {
    var twoAxes = spec.series.some(function (s) { return s.axis === 1; });
    var formats = [0, 1].map(function (axis) {
      var s = spec.series.filter(function (t) { return (t.axis || 0) === axis; })[0];
      return s ? s.format : "";
    });
    var category = {type: "category", data: spec.categories, inverse: !!spec.horizontal, axisTick: {alignWithLabel: true}, axisLabel: {hideOverlap: true}};
    function valueAxis(axis) {
      return {
        type: "value", name: twoAxes && spec.axes ? spec.axes[axis] : "", splitLine: {show: axis === 0},
        nameTextStyle: {align: axis === 0 ? "left" : "right"},
        axisLabel: {formatter: function (v) { return number(v, formats[axis]); }}
      };
    }
    return {
      legend: spec.series.length > 1 ? {top: 0} : undefined,
      tooltip: {trigger: "axis", axisPointer: {type: "shadow"}},
      xAxis: spec.horizontal ? valueAxis(0) : category,
      yAxis: spec.horizontal ? category : twoAxes ? [valueAxis(0), valueAxis(1)] : valueAxis(0),
      series: spec.series.map(function (s) {
        return {
          type: s.line ? "line" : "bar", name: s.name, data: s.data, yAxisIndex: spec.horizontal ? 0 : s.axis || 0,
          showSymbol: false, barMaxWidth: 36, stack: s.stack,
          tooltip: {valueFormatter: function (v) { return number(v, s.format); }}
        };
      })
    };
  }

  function paretoOption(spec) {
    var percentAxis = function (name, gap) {
      return {type: "value", min: 0, max: 100, name: name, nameLocation: "middle", nameGap: gap, axisLabel: {formatter: "{value}%"}};
    };
    var curve = {
      type: "line", name: spec.names.curve, data: spec.points, showSymbol: false, areaStyle: {opacity: 0.12},
      markLine: {symbol: "none", silent: true, lineStyle: {type: "dashed", color: "#6b7280"}, label: {show: false}, data: [{xAxis: spec.mark}]}
    };
    if (spec.top !== null && spec.top !== undefined) {
      curve.markPoint = {
        symbol: "circle", symbolSize: 8, silent: true,
        label: {position: "right", formatter: spec.mark + "% → " + spec.top + "%", fontWeight: "bold", color: "#7c2d12"},
        data: [{coord: [spec.mark, spec.top]}]
      };
    }
    return {
      legend: {top: 0},
      tooltip: {trigger: "axis", valueFormatter: function (v) { return v + "%"; }},
      xAxis: percentAxis(spec.names.x, 26),
      yAxis: percentAxis(spec.names.y, 44),
      grid: {left: 32, bottom: 24},
      series: [
        curve,
        {type: "line", name: spec.names.equal, data: [[0, 0], [100, 100]], showSymbol: false, lineStyle: {type: "dotted", color: "#9ca3af"}, itemStyle: {color: "#9ca3af"}}
      ]
    };
  }

  function heatmapOption(spec) {
    return {
      tooltip: {
        formatter: function (p) { return spec.y[p.value[1]] + " → " + spec.x[p.value[0]] + "<br>" + number(p.value[2], spec.format); }
      },
      grid: {bottom: 40},
      xAxis: {type: "category", data: spec.x, name: spec.names.x, nameLocation: "middle", nameGap: 28, splitArea: {show: true}, axisLabel: {interval: 0, hideOverlap: true}},
      yAxis: {type: "category", data: spec.y, inverse: true, splitArea: {show: true}},
      visualMap: {show: false, min: 0, max: spec.max || 1, inRange: {color: ["#fff7ed", "#fdba74", "#c2410c"]}},
      series: [{
        type: "heatmap", data: spec.cells,
        label: {show: true, fontSize: 11, formatter: function (p) { return number(p.value[2], spec.format); }}
      }]
    };
  }

  var BUILDERS = {bar: barOption, pareto: paretoOption, heatmap: heatmapOption};

  function drawCharts(root) {
    if (!window.echarts) return;
    var font = window.getComputedStyle(document.body).fontFamily;
    var locale = (document.documentElement.lang || "").indexOf("zh") === 0 ? "ZH" : "EN";
    var still = window.matchMedia && window.matchMedia("(prefers-reduced-motion: reduce)").matches;
    root.querySelectorAll("[data-chart]").forEach(function (el) {
      var source = document.getElementById(el.dataset.chart);
      if (el.dataset.drawn || !source) return;
      var spec = JSON.parse(source.textContent);
      var build = BUILDERS[spec.kind];
      if (!build) return;
      el.hidden = false;
      if (spec.height) el.style.height = spec.height + "px";
      var option = build(spec);
      option.color = PALETTE;
      option.animation = !still;
      option.textStyle = {fontFamily: font};
      option.grid = Object.assign({left: 24, right: 24, top: option.legend ? 40 : 16, bottom: 8, containLabel: true}, option.grid || {});
      var chart = window.echarts.init(el, null, {renderer: "canvas", locale: locale});
      chart.setOption(option);
      el.dataset.drawn = "true";
      charts.push(chart);
      var data = el.closest(".card-body") && el.closest(".card-body").querySelector("details.chart-data");
      if (data) data.open = false;
    });
  }

  var resizing = null;
  window.addEventListener("resize", function () {
    window.clearTimeout(resizing);
    resizing = window.setTimeout(function () { charts.forEach(function (c) { c.resize(); }); }, 150);
  });

  function init(root) {
    drawCharts(root);
    root.querySelectorAll("form[data-kind-form]").forEach(syncKind);
    // A form sent back with errors: put the cursor in the first field that has one.
    var error = root.querySelector(".invalid-feedback");
    var field = error && error.parentElement.querySelector("input, select, textarea");
    if (field) field.focus();
  }

  document.addEventListener("DOMContentLoaded", function () { init(document); });
  document.addEventListener("htmx:load", function (event) { init(event.target); });

  // After an interaction is logged, reset the view to show it at the top.
  document.addEventListener("htmx:afterSwap", function (event) {
    if (event.detail.target && event.detail.target.id === "timeline") {
      var first = event.detail.target.querySelector(".timeline-item");
      if (first) first.classList.add("just-added");
    }
  });
  // The pipeline board: drag a deal card onto another column. What gets sent
  // is the card's own "Move" form (the keyboard way) with the column's stage.
  var dragged = null;
  function clearDropTargets() {
    document.querySelectorAll(".pipeline-column.drop-target").forEach(function (c) { c.classList.remove("drop-target"); });
  }
  document.addEventListener("dragstart", function (event) {
    var card = event.target.closest && event.target.closest(".deal-card");
    if (!card) return;
    dragged = card;
    event.dataTransfer.effectAllowed = "move";
    event.dataTransfer.setData("text/plain", card.dataset.deal);
    card.classList.add("dragging");
  });
  document.addEventListener("dragend", function () {
    if (dragged) dragged.classList.remove("dragging");
    dragged = null;
    clearDropTargets();
  });
  document.addEventListener("dragover", function (event) {
    var column = dragged && event.target.closest && event.target.closest(".pipeline-column");
    if (!column) return;
    event.preventDefault();
    event.dataTransfer.dropEffect = "move";
    if (!column.classList.contains("drop-target")) {
      clearDropTargets();
      column.classList.add("drop-target");
    }
  });
  document.addEventListener("drop", function (event) {
    var column = dragged && event.target.closest && event.target.closest(".pipeline-column");
    if (!column) return;
    event.preventDefault();
    var form = dragged.querySelector("form.deal-move-form");
    clearDropTargets();
    if (!form || form.querySelector("select[name=stage]").value === column.dataset.stage) return;
    form.querySelector("select[name=stage]").value = column.dataset.stage;
    if (window.htmx) window.htmx.trigger(form, "submit"); else form.submit();
  });
})();
