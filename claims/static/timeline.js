// The timeline chart on /-/timeline: reads a canned query's JSON (_shape=array) and
// draws one mark per claim with Vega-Lite (vendored next to this file).
(function () {
  "use strict";
  function draw(el) {
    var words = JSON.parse(el.dataset.scoreWords);
    var labelExpr = "{" + Object.keys(words).map(function (k) {
      return "'" + k + "': '" + words[k] + "'";
    }).join(", ") + "}[datum.value]";
    fetch(el.dataset.jsonUrl, { credentials: "same-origin" })
      .then(function (r) { return r.json(); })
      .then(function (rows) {
        var points = {
          mark: { type: "point", filled: true, size: 220, opacity: 0.9, stroke: "#222", strokeWidth: 0.6 },
          encoding: {
            color: { field: "source", type: "nominal", title: "Source", legend: { orient: "bottom", columns: 3, labelLimit: 260 } },
            shape: { field: "source_type", type: "nominal", title: "Source type", legend: { orient: "bottom" } },
            tooltip: [
              { field: "doc_date", title: "date" },
              { field: "source" },
              { field: "certainty" },
              { field: "polarity" },
              { field: "hedge_level", title: "hedging" },
              { field: "text", title: "claim" },
              { field: "document" }
            ]
          }
        };
        var layers = [
          { mark: { type: "rule", color: "#bbb", strokeDash: [4, 4] }, encoding: { y: { datum: 0 } } }
        ];
        if (el.dataset.kind === "proposition") {
          layers.push({
            mark: { type: "line", color: "#999", strokeWidth: 1.5, interpolate: "step-after", opacity: 0.7 },
            encoding: { detail: { field: "proposition_id" } }
          });
        } else {
          // an entity: each proposition its own line and colour, never one line through them all
          var byProposition = { field: "proposition", type: "nominal", title: "Proposition",
                                legend: { orient: "bottom", columns: 2, labelLimit: 480 } };
          layers.push({
            transform: [{ filter: "datum.proposition_id != null" }],
            mark: { type: "line", strokeWidth: 1.5, interpolate: "step-after", opacity: 0.7 },
            encoding: { detail: { field: "proposition_id" }, color: byProposition }
          });
          points.encoding.color = byProposition;
          points.encoding.tooltip.splice(1, 0, { field: "proposition" });
        }
        layers.push(points);
        var spec = {
          $schema: "https://vega.github.io/schema/vega-lite/v5.json",
          width: "container",
          height: 300,
          data: { values: rows },
          encoding: {
            x: { field: "doc_date", type: "temporal", timeUnit: "utcyearmonthdate", title: "Document date", scale: { padding: 24 },
                 axis: { format: "%-d %b %Y", labelAngle: 0, tickCount: 6 } },
            y: { field: "score", type: "quantitative", title: "Assessment",
                 scale: { domain: [-3.5, 3.5] },
                 axis: { values: [-3, -2, -1, 0, 1, 2, 3], labelExpr: labelExpr, grid: true, titlePadding: 12 } }
          },
          layer: layers,
          config: { font: "Helvetica, Arial, sans-serif", axis: { labelFontSize: 12, titleFontSize: 13 }, legend: { labelFontSize: 12 } }
        };
        return vegaEmbed(el, spec, { actions: false, renderer: "svg" });
      })
      .catch(function (err) {
        el.textContent = "The chart could not be drawn: " + err;
      });
  }
  function init() {
    var el = document.getElementById("cl-chart");
    if (el && window.vegaEmbed) { draw(el); }
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
