// Renders every chart of the page with the one inlined vega-embed bundle. Specs sit in inert
// <script type="application/json"> tags (their "<" escaped), so no spec text is ever parsed as HTML.
// On a narrow screen (a phone), a single-view chart is redrawn at the width of its container and
// its title re-wrapped to fit, so no chart makes the page scroll sideways; CSS scales whatever is
// still wider (concatenated charts) down to the container.
(function () {
  "use strict";
  var LABEL_ROOM = 180;  // axis labels and legend beside the plotting area, in px
  var CHAR_PX = 10;      // generous width of a title character at the house title size

  function wrap(text, width) {
    var limit = Math.max(18, Math.floor(width / CHAR_PX));
    var words = String(text).split(/\s+/), lines = [], line = "";
    words.forEach(function (w) {
      if (line && (line + " " + w).length > limit) { lines.push(line); line = w; }
      else { line = line ? line + " " + w : w; }
    });
    if (line) { lines.push(line); }
    return lines.length > 1 ? lines : lines[0] || "";
  }

  function fitToContainer(spec, available) {
    var single = !(spec.hconcat || spec.vconcat || spec.concat || spec.facet || spec.repeat);
    var width = typeof spec.width === "number" ? spec.width : 0;
    if (!single || !width || width + LABEL_ROOM <= available) { return spec; }
    var fitted = Object.assign({}, spec, {
      width: "container",
      autosize: { type: "fit-x", contains: "padding" }
    });
    var title = spec.title;
    if (title) {
      var text = typeof title === "object" && !Array.isArray(title) ? title.text : title;
      var joined = Array.isArray(text) ? text.join(" ") : text;
      var wrapped = wrap(joined, available);
      fitted.title = typeof title === "object" && !Array.isArray(title)
        ? Object.assign({}, title, { text: wrapped })
        : wrapped;
    }
    return fitted;
  }

  // Long axis labels can leave a fitted chart wider than its box, and the SVG would clip them:
  // widen the viewBox to the drawn content so the whole chart scales down to the box instead.
  function keepInside(target) {
    var svg = target.querySelector("svg");
    if (!svg || !svg.getBBox) { return; }
    var width = parseFloat(svg.getAttribute("width")), height = parseFloat(svg.getAttribute("height"));
    var box = svg.getBBox(), left = Math.min(0, box.x), right = Math.max(width, box.x + box.width);
    if (!(width > 0) || right - left <= width + 1) { return; }
    var scale = width / (right - left);
    svg.setAttribute("viewBox", [left, 0, right - left, height].join(" "));
    svg.setAttribute("height", String(Math.round(height * scale)));
  }

  function renderAll() {
    var specs = document.querySelectorAll("script.wb-chart-spec");
    Array.prototype.forEach.call(specs, function (node) {
      var target = node.parentElement.querySelector(".wb-chart-view");
      if (!target) { return; }
      var original = JSON.parse(node.textContent);
      var spec = fitToContainer(original, target.clientWidth || window.innerWidth);
      window.vegaEmbed(target, spec, { actions: false, renderer: "svg", downloadFileName: "chart" })
        .then(function () { if (spec !== original) { keepInside(target); } })
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
