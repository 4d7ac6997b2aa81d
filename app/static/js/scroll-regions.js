// Wide tables and samples scroll sideways on a narrow screen. A scrolling box with nothing
// focusable inside cannot be scrolled from the keyboard (WCAG 2.1.1), so while a box actually
// overflows it becomes a tab stop itself; it stops being one when the window is wide again.
(function () {
  "use strict";
  var FOCUSABLE = "a[href], button, input, select, textarea, [tabindex]";

  function update() {
    document.querySelectorAll(".table-wrap, code.sample").forEach(function (box) {
      var added = box.hasAttribute("data-scroll-stop");
      var needed = box.scrollWidth > box.clientWidth && !box.querySelector(FOCUSABLE);
      if (needed && !box.hasAttribute("tabindex")) {
        box.setAttribute("tabindex", "0");
        box.setAttribute("data-scroll-stop", "");
      } else if (!needed && added) {
        box.removeAttribute("tabindex");
        box.removeAttribute("data-scroll-stop");
      }
    });
  }

  update();
  window.addEventListener("resize", update);
})();
