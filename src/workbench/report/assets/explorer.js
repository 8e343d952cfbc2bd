/* Explorer page: filter and search the quarter's quotes; every value is rendered with textContent. */
(function () {
  var data = JSON.parse(document.getElementById('wb-explorer-data').textContent);
  var rows = data.rows, fields = data.fields, lower = rows.map(function (r) { return String(r[0]).toLowerCase(); });
  var $ = function (id) { return document.getElementById(id); };
  function fill(select, col) {
    var seen = {}; rows.forEach(function (r) { seen[r[col]] = (seen[r[col]] || 0) + 1; });
    Object.keys(seen).sort().forEach(function (v) {
      var o = document.createElement('option'); o.value = v; o.textContent = v + ' (' + seen[v] + ')'; select.appendChild(o);
    });
  }
  fill($('wb-f-theme'), 1); fill($('wb-f-segment'), 2); fill($('wb-f-sentiment'), 4);
  var shown = 100;
  function render() {
    var words = $('wb-f-text').value.toLowerCase().split(/\s+/).filter(Boolean);
    var th = $('wb-f-theme').value, sg = $('wb-f-segment').value, se = $('wb-f-sentiment').value;
    var hits = [];
    for (var i = 0; i < rows.length; i++) {
      var r = rows[i];
      if ((th && r[1] !== th) || (sg && r[2] !== sg) || (se && r[4] !== se)) continue;
      var ok = true; for (var w = 0; w < words.length; w++) { if (lower[i].indexOf(words[w]) < 0) { ok = false; break; } }
      if (ok) hits.push(r);
    }
    var list = $('wb-results'); list.textContent = '';
    hits.slice(0, shown).forEach(function (r) {
      var li = document.createElement('li'); li.className = 'wb-quote';
      var q = document.createElement('q'); q.textContent = r[0]; li.appendChild(q);
      var meta = document.createElement('span'); meta.className = 'wb-quote-meta';
      meta.textContent = [r[1], r[2], r[3], r[4], r[5]].join(' \u00b7 '); li.appendChild(meta);
      list.appendChild(li);
    });
    $('wb-count').textContent = hits.length + ' of ' + rows.length + ' items match' +
      (hits.length > shown ? '; showing the first ' + shown : '');
    $('wb-more').hidden = hits.length <= shown;
  }
  ['wb-f-theme', 'wb-f-segment', 'wb-f-sentiment'].forEach(function (id) { $(id).addEventListener('change', function () { shown = 100; render(); }); });
  $('wb-f-text').addEventListener('input', function () { shown = 100; render(); });
  $('wb-more').addEventListener('click', function () { shown += 200; render(); });
  render();
})();
