// Small progressive enhancements; every page works without JavaScript.
(function () {
  "use strict";
  document.documentElement.classList.add("js");
  // A read-only field whose whole value is meant to be copied (the referral link); no inline handlers (CSP).
  document.addEventListener("click", function (event) {
    var field = event.target.closest && event.target.closest("[data-select-on-click]");
    if (field) field.select();
  });
})();
