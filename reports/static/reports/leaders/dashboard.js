/* 经营看板 (issue 20). Each .leaders-card fetches its JSON endpoint (data-src: the page's
   filters, the reader's reach applied on the server), draws the chart with ECharts and fills
   the table view from the same rows. No inline script (CSP): this file is static. */
(function () {
  "use strict";

  function pct(ratio) {
    if (ratio === null || ratio === undefined) { return ""; }
    // one rounding rule: half up, one decimal (as reports.summary.pct)
    var v = Math.round(parseFloat(ratio) * 1000 + 1e-9) / 10;
    return v.toFixed(1) + "%";
  }
  function num(v) { return v === null || v === undefined ? null : parseFloat(v); }
  function money(v) {
    if (v === null || v === undefined) { return ""; }
    return parseFloat(v).toLocaleString("zh-CN", { minimumFractionDigits: 2, maximumFractionDigits: 2 });
  }
  function wan(v) { return v === null || v === undefined ? null : Math.round(parseFloat(v) / 100) / 100; }
  function cell(col, row) {
    var v = row[col.key];
    if (col.kind === "money") { return money(v); }
    if (col.kind === "pct") { return pct(v); }
    if (col.kind === "bool") { return v ? "●" : ""; }
    return v === null || v === undefined ? "" : String(v);
  }
  function table(columns, rows) {
    var t = document.createElement("table");
    t.className = "table compact";
    var head = t.createTHead().insertRow();
    columns.forEach(function (c) {
      var th = document.createElement("th");
      th.scope = "col";
      th.textContent = c.label;
      head.appendChild(th);
    });
    var body = t.createTBody();
    rows.forEach(function (r) {
      var tr = body.insertRow();
      columns.forEach(function (c) {
        var td = tr.insertCell();
        td.textContent = cell(c, r);
        if (c.kind !== "text") { td.className = "num"; }
      });
    });
    return t;
  }
  function label(data, key) {
    var found = data.columns.filter(function (c) { return c.key === key; })[0];
    return found ? found.label : key;
  }
  function navigate(params) {
    var url = new URL(window.location.href);
    Object.keys(params).forEach(function (k) {
      if (params[k] === null) { url.searchParams.delete(k); } else { url.searchParams.set(k, params[k]); }
    });
    window.location.assign(url.toString());
  }

  function text(key) {
    var holder = document.querySelector(".leaders-grid");
    return (holder && holder.getAttribute("data-" + key)) || "";
  }

  var grid = { left: 8, right: 16, top: 40, bottom: 8, containLabel: true };
  var builders = {
    trend: function (d) {
      return {
        grid: grid, tooltip: { trigger: "axis" }, legend: { top: 0 },
        xAxis: { type: "category", data: d.rows.map(function (r) { return r.day.slice(5); }) },
        yAxis: { type: "value", name: text("unit") },
        series: [
          { name: label(d, "cumulative"), type: "line", data: d.rows.map(function (r) { return wan(r.cumulative); }) },
          { name: label(d, "pace_amount"), type: "line", lineStyle: { type: "dashed" }, symbol: "none",
            data: d.rows.map(function (r) { return wan(r.pace_amount); }) }
        ]
      };
    },
    ranking: function (d) {
      var rows = d.rows.slice().reverse();
      var pace = d.meta.pace.ratio ? parseFloat(d.meta.pace.ratio) * 100 : null;
      return {
        grid: grid, tooltip: { trigger: "axis", axisPointer: { type: "shadow" } }, legend: { top: 0 },
        xAxis: { type: "value", axisLabel: { formatter: "{value}%" } },
        yAxis: { type: "category", data: rows.map(function (r) { return r.branch; }), axisLabel: { width: 90, overflow: "truncate" } },
        series: [{
          name: label(d, "rate"), type: "bar",
          data: rows.map(function (r) {
            return { value: r.rate === null ? 0 : Math.round(parseFloat(r.rate) * 1000) / 10, branch_id: r.branch_id,
                     itemStyle: { color: r.behind ? "#d92d20" : "#1846a3" } };
          }),
          markLine: pace === null ? undefined : { symbol: "none", data: [{ xAxis: Math.round(pace * 10) / 10, name: text("pace") }],
                                                   label: { formatter: text("pace") + " {c}%" } }
        }]
      };
    },
    filing: function (d) {
      return {
        grid: grid, tooltip: { trigger: "axis" }, legend: { top: 0 },
        xAxis: { type: "category", data: d.rows.map(function (r) { return r.day.slice(5); }) },
        yAxis: { type: "value", max: 100, axisLabel: { formatter: "{value}%" } },
        series: [
          { name: label(d, "rate"), type: "bar", data: d.rows.map(function (r) { return r.rate === null ? 0 : Math.round(parseFloat(r.rate) * 1000) / 10; }) },
          { name: label(d, "on_time_rate"), type: "line", data: d.rows.map(function (r) { return r.on_time_rate === null ? 0 : Math.round(parseFloat(r.on_time_rate) * 1000) / 10; }) }
        ]
      };
    },
    hospitality: function (d) {
      return {
        grid: grid, tooltip: { trigger: "axis" }, legend: { top: 0 },
        xAxis: { type: "category", data: d.rows.map(function (r) { return r.region; }) },
        yAxis: { type: "value", axisLabel: { formatter: "{value}%" } },
        series: [{ name: label(d, "rate"), type: "bar", data: d.rows.map(function (r) {
          return { value: r.rate === null ? 0 : Math.round(parseFloat(r.rate) * 1000) / 10, region_id: r.region_id };
        }) }]
      };
    },
    sell_through: function (d) {
      return {
        grid: grid, tooltip: { trigger: "axis" }, legend: { top: 0 },
        xAxis: { type: "category", data: d.rows.map(function (r) { return r.region; }) },
        yAxis: { type: "value", max: 100, axisLabel: { formatter: "{value}%" } },
        series: [{ name: label(d, "rate"), type: "bar", data: d.rows.map(function (r) {
          return { value: r.rate === null ? 0 : Math.round(parseFloat(r.rate) * 1000) / 10, region_id: r.region_id };
        }) }]
      };
    },
    periods: function (d) {
      function rates(key) {
        return d.rows.map(function (r) {
          return { value: r[key] === null ? 0 : Math.round(parseFloat(r[key]) * 1000) / 10, region_id: r.region_id };
        });
      }
      return {
        grid: grid, tooltip: { trigger: "axis" }, legend: { top: 0 },
        xAxis: { type: "category", data: d.rows.map(function (r) { return r.region; }) },
        yAxis: { type: "value", axisLabel: { formatter: "{value}%" } },
        series: [
          { name: label(d, "quarter_rate"), type: "bar", data: rates("quarter_rate") },
          { name: label(d, "year_rate"), type: "bar", data: rates("year_rate") }
        ]
      };
    }
  };

  function draw(card) {
    var key = card.getAttribute("data-chart");
    var box = card.querySelector(".leaders-chart");
    var status = card.querySelector(".leaders-status");
    fetch(card.getAttribute("data-src"), { headers: { Accept: "application/json" }, credentials: "same-origin" })
      .then(function (resp) {
        if (!resp.ok) { throw new Error(resp.status); }
        return resp.json();
      })
      .then(function (data) {
        var chart = window.echarts.init(box, null, { renderer: "canvas" });
        chart.setOption(builders[key](data));
        chart.on("click", function (params) {
          var item = params.data || {};
          if (item.branch_id) { navigate({ branch: item.branch_id }); }
          else if (item.region_id) { navigate({ region: item.region_id, branch: null }); }
        });
        if (window.ResizeObserver) { new ResizeObserver(function () { chart.resize(); }).observe(box); }
        var body = card.querySelector(".leaders-table-body");
        body.appendChild(table(data.columns, data.rows));
        if (data.regions && data.regions.length) { body.appendChild(table(data.region_columns, data.regions)); }
        status.textContent = data.rows.length ? "" : text("empty");
        card.setAttribute("data-drawn", "1");
      })
      .catch(function () { status.textContent = text("failed"); card.setAttribute("data-drawn", "error"); });
  }

  function start() {
    if (!window.echarts) { return; }
    Array.prototype.forEach.call(document.querySelectorAll(".leaders-card[data-src]"), draw);
  }
  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", start); } else { start(); }
}());
