// Renders every chart of the page with the one inlined vega-embed bundle. Specs sit in inert
// <script type="application/json"> tags (their "<" escaped), so no spec text is ever parsed as HTML.
(function () {
  "use strict";
  function renderAll() {
    var specs = document.querySelectorAll("script.wb-chart-spec");
    Array.prototype.forEach.call(specs, function (node) {
      var target = node.parentElement.querySelector(".wb-chart-view");
      if (!target) { return; }
      var spec = JSON.parse(node.textContent);
      window.vegaEmbed(target, spec, { actions: false, renderer: "svg", downloadFileName: "chart" })
        .catch(function (err) {
          target.textContent = "This chart could not be drawn (" + err.message + ").";
          console.error(err);
        });
    });
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", renderAll);
  } else {
    renderAll();
  }
})();
