// Attention-pattern viewers, on the course's site and in notebooks: one script for both.
// A viewer is a figure.course-viewer holding its data as JSON in its data-viewer attribute:
//   {tokens: [label, ...], heads: [{name, note, pattern}, ...]}, pattern[q][k] = how much the
//   head attends from query position q to key position k <= q.
// On the site, the course-blocks hook (site/hooks/course_blocks.py) turns each {{ viewer NAME }}
// into such a figure, and the site loads this file (site/hooks/course_assets.py copies it to
// javascripts/attention-viewer.js); it builds every viewer of the page. In a notebook,
// course.plots.attention inlines this file in a <script> beside its figure, and there it builds
// that figure only. (To run an output's scripts, JupyterLab replaces each where it stands, and
// VS Code appends a copy to the element that holds the output: the figure is in the parent.)
// Hovering (or focusing) a token of the sequence shades, in every head's row, the tokens that
// head attends to from there, and names the one it attends to most. No library, no network.
(function () {
  "use strict";

  function element(tag, className, text) {
    var node = document.createElement(tag);
    node.className = className;
    if (text !== undefined) node.textContent = text;
    return node;
  }

  function strongest(weights) {
    var best = 0;
    for (var k = 1; k < weights.length; k++) {
      if (weights[k] > weights[best]) best = k;
    }
    return best;
  }

  function build(figure) {
    if (figure.classList.contains("is-ready")) return; // a script run twice must not draw twice
    var data = JSON.parse(figure.dataset.viewer);
    var app = element("div", "course-viewer__app");
    var status = element("p", "course-viewer__status");
    var sequence = element("div", "course-viewer__tokens");
    var tokens = data.tokens.map(function (label, i) {
      var token = element("span", "course-viewer__token", label);
      token.tabIndex = 0;
      token.dataset.position = i;
      sequence.appendChild(token);
      return token;
    });
    var heads = element("div", "course-viewer__heads");
    var rows = data.heads.map(function (head) {
      var row = element("div", "course-viewer__head");
      row.dataset.head = head.name;
      var title = element("div", "course-viewer__name", head.name);
      if (head.note) title.appendChild(element("span", "course-viewer__note", head.note));
      var cells = element("div", "course-viewer__cells");
      var spans = data.tokens.map(function (label) {
        var cell = element("span", "course-viewer__cell", label);
        cells.appendChild(cell);
        return cell;
      });
      var top = element("div", "course-viewer__top");
      row.appendChild(title);
      row.appendChild(cells);
      row.appendChild(top);
      heads.appendChild(row);
      return { head: head, cells: spans, top: top };
    });

    function show(query) {
      figure.dataset.query = query;
      tokens.forEach(function (token, i) {
        token.classList.toggle("is-query", i === query);
      });
      status.textContent =
        "From token " + query + " (" + data.tokens[query] + "), each head attends to:";
      rows.forEach(function (row) {
        var weights = row.head.pattern[query];
        row.cells.forEach(function (cell, k) {
          var w = k < weights.length ? weights[k] : 0;
          cell.style.setProperty("--weight", w);
          cell.classList.toggle("is-future", k > query);
          cell.classList.toggle("is-query", k === query);
          cell.title = k <= query ? Math.round(100 * w) + "%" : "";
        });
        var best = strongest(weights);
        row.top.dataset.position = best;
        row.top.textContent =
          "most: token " + best + " (" + data.tokens[best] + "), " + Math.round(100 * weights[best]) + "%";
      });
    }

    function pick(event) {
      var position = event.target.dataset && event.target.dataset.position;
      if (position !== undefined) show(Number(position));
    }
    sequence.addEventListener("mouseover", pick);
    sequence.addEventListener("focusin", pick);

    app.appendChild(status);
    app.appendChild(sequence);
    app.appendChild(heads);
    figure.insertBefore(app, figure.querySelector("figcaption"));
    figure.classList.add("is-ready");
    show(data.tokens.length - 1);
  }

  function buildAll() {
    var figures = document.querySelectorAll("figure.course-viewer:not(.is-ready)");
    for (var i = 0; i < figures.length; i++) build(figures[i]);
  }

  // document.currentScript is only set while a classic script first runs, so read it now.
  var script = document.currentScript;
  if (script && !script.src) {
    // Inlined in a notebook's output: build the viewer of that output, which the script's
    // parent holds (in JupyterLab and in VS Code), and leave the rest of the page alone.
    var own = script.parentNode.querySelectorAll("figure.course-viewer");
    for (var i = 0; i < own.length; i++) build(own[i]);
    return;
  }

  // Material's instant navigation swaps pages without reloading and announces each one on
  // document$; from file:// there is no document$, so build on load as well.
  if (typeof document$ !== "undefined") document$.subscribe(buildAll);
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", buildAll);
  } else {
    buildAll();
  }
})();
