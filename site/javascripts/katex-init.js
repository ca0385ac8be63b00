// Render the math that pymdownx.arithmatex marks with the class "arithmatex".
// Material's instant navigation swaps pages without reloading, and document$ emits
// each new page, so every page is rendered when it arrives.
(function () {
  "use strict";

  var options = {
    delimiters: [
      { left: "\\[", right: "\\]", display: true },
      { left: "\\(", right: "\\)", display: false },
    ],
    throwOnError: false, // an unknown macro is drawn in red; the site tests look for it
  };

  function render() {
    var elements = document.querySelectorAll(".arithmatex");
    for (var i = 0; i < elements.length; i++) {
      if (!elements[i].querySelector(".katex")) {
        renderMathInElement(elements[i], options);
      }
    }
  }

  if (typeof document$ !== "undefined") {
    document$.subscribe(render);
  }
  // document$ does not emit for a page opened from file://, so render the first page directly
  // as well; render() skips what is already rendered.
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", render);
  } else {
    render();
  }
})();
