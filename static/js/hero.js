// The home hero's featured offers: one slide at a time, the next every 6 seconds; the dots choose one. Rotation
// pauses while the pointer or the keyboard focus is on the carousel, and does not start for shoppers who asked
// for reduced motion. Without JavaScript the first offer is shown.
(function () {
  "use strict";
  var root = document.querySelector("[data-hero]");
  if (!root) { return; }
  var slides = root.querySelectorAll(".hero-slide");
  var dots = root.querySelectorAll(".hero-dots button");
  if (slides.length < 2) { return; }
  var current = 0;
  var paused = false;

  function show(index) {
    current = (index + slides.length) % slides.length;
    for (var i = 0; i < slides.length; i++) {
      slides[i].hidden = i !== current;
      if (dots[i]) {
        if (i === current) { dots[i].setAttribute("aria-current", "true"); } else { dots[i].removeAttribute("aria-current"); }
      }
    }
  }

  Array.prototype.forEach.call(dots, function (dot, i) {
    dot.addEventListener("click", function () { show(i); });
  });
  root.addEventListener("mouseenter", function () { paused = true; });
  root.addEventListener("mouseleave", function () { paused = false; });
  root.addEventListener("focusin", function () { paused = true; });
  root.addEventListener("focusout", function () { paused = false; });

  var reduced = window.matchMedia && window.matchMedia("(prefers-reduced-motion: reduce)").matches;
  if (!reduced) {
    window.setInterval(function () { if (!paused && !document.hidden) { show(current + 1); } }, 6000);
  }
})();
