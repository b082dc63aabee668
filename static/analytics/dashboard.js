/* The admin's analytics charts (Chart.js from static/vendor/, installed from npm by `make install`).
   The figures come from the page's <script type="application/json" id="analytics-data"> (json_script): no inline
   script, as the Content-Security-Policy requires. Amounts arrive as strings (decimals) and are charted as numbers. */
(function () {
  "use strict";

  var COLORS = {
    blue: "#2563eb",
    orange: "#ea580c",
    amber: "#d97706",
    green: "#16a34a",
    purple: "#7c3aed",
  };

  function numbers(values) {
    return values.map(Number);
  }

  function draw(id, config) {
    var canvas = document.getElementById(id);
    if (!canvas) {
      return;
    }
    config.options = Object.assign({ responsive: true, maintainAspectRatio: false }, config.options || {});
    new window.Chart(canvas, config);
  }

  function init() {
    var node = document.getElementById("analytics-data");
    if (!node || !window.Chart) {
      return;
    }
    var data = JSON.parse(node.textContent);
    window.Chart.defaults.animation = false;

    draw("analytics-activity", {
      type: "line",
      data: {
        labels: data.days,
        datasets: [
          { label: "Clicks", data: numbers(data.clicks), borderColor: COLORS.blue, backgroundColor: COLORS.blue },
          {
            label: "Conversions",
            data: numbers(data.conversions),
            borderColor: COLORS.orange,
            backgroundColor: COLORS.orange,
          },
        ],
      },
      options: { scales: { y: { beginAtZero: true, ticks: { precision: 0 } } } },
    });

    draw("analytics-cashback", {
      type: "bar",
      data: {
        labels: data.days,
        datasets: [
          { label: "Pending (₹)", data: numbers(data.pending), backgroundColor: COLORS.amber },
          { label: "Paid (₹)", data: numbers(data.paid), backgroundColor: COLORS.green },
        ],
      },
      options: { scales: { x: { stacked: true }, y: { stacked: true, beginAtZero: true } } },
    });

    draw("analytics-merchants", {
      type: "bar",
      data: {
        labels: data.merchants.names,
        datasets: [
          { label: "Commission (₹)", data: numbers(data.merchants.commission), backgroundColor: COLORS.purple },
          { label: "Cashback (₹)", data: numbers(data.merchants.cashback), backgroundColor: COLORS.green },
        ],
      },
      options: { indexAxis: "y", scales: { x: { beginAtZero: true } } },
    });

    draw("analytics-funnel", {
      type: "bar",
      data: {
        labels: data.funnel.steps,
        datasets: [{ label: "Count", data: numbers(data.funnel.values), backgroundColor: COLORS.blue }],
      },
      options: { plugins: { legend: { display: false } }, scales: { y: { beginAtZero: true, ticks: { precision: 0 } } } },
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
