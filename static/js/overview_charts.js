/* The ops overview's 90-day charts (templates/admin/index.html): reads the data the page carries
   as JSON (json_script, never executed) and draws it with the Chart.js Unfold ships
   (unfold/js/chart/chart.js, loaded before this file). No inline script, no CDN. */
(function () {
  "use strict";

  var PALETTE = ["#9333ea", "#0891b2", "#ea580c", "#16a34a", "#db2777"];

  function draw() {
    var source = document.getElementById("overview-chart-data");
    if (!source || typeof window.Chart === "undefined") {
      return;
    }
    var data = JSON.parse(source.textContent);
    var dark = document.documentElement.classList.contains("dark");
    var grid = dark ? "rgba(255,255,255,0.08)" : "rgba(0,0,0,0.06)";
    var ink = dark ? "#d1d5db" : "#4b5563";
    var locale = document.documentElement.lang || undefined;

    document.querySelectorAll("canvas[data-overview-chart]").forEach(function (canvas) {
      var chart = data[canvas.dataset.overviewChart];
      if (!chart) {
        return;
      }
      chart.datasets.forEach(function (dataset, i) {
        var colour = PALETTE[i % PALETTE.length];
        dataset.borderColor = colour;
        dataset.backgroundColor = colour + "22";
        dataset.borderWidth = 2;
        dataset.pointRadius = 0;
        dataset.tension = 0.25;
        dataset.spanGaps = true;
        dataset.fill = chart.datasets.length === 1;
      });
      new window.Chart(canvas.getContext("2d"), {
        type: "line",
        data: chart,
        options: {
          responsive: true,
          maintainAspectRatio: false,
          animation: false,
          interaction: { mode: "index", intersect: false },
          plugins: {
            legend: { display: chart.datasets.length > 1, labels: { color: ink } },
            tooltip: {
              callbacks: {
                label: function (ctx) {
                  return ctx.dataset.label + ": " + Number(ctx.parsed.y).toLocaleString(locale);
                },
              },
            },
          },
          scales: {
            x: { grid: { display: false }, ticks: { color: ink, maxTicksLimit: 8 } },
            y: {
              beginAtZero: true,
              grid: { color: grid },
              ticks: {
                color: ink,
                precision: 0,
                callback: function (value) {
                  return Number(value).toLocaleString(locale, { notation: "compact" });
                },
              },
            },
          },
        },
      });
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", draw);
  } else {
    draw();
  }
})();
