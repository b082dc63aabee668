// "Get code": the "Cashback activated" page (/go/<offer>/activated/, which goes on through the tracked click-out)
// opens in a new tab, and this tab follows the link itself to the offer page with the code shown (?reveal=1).
// The code is in no page's source before that click. Without JavaScript the link alone shows the code, with a
// "Go to store" button.
(function () {
  "use strict";

  document.addEventListener("click", function (event) {
    var link = event.target.closest ? event.target.closest("a.js-get-code") : null;
    if (link) {
      // Let modified clicks (new tab/window) do what the shopper asked for.
      if (event.button !== 0 || event.ctrlKey || event.metaKey || event.shiftKey || event.altKey) { return; }
      window.open(link.getAttribute("data-clickout"), "_blank", "noopener");
      return;  // and this tab goes on to the code
    }
    var copy = event.target.closest ? event.target.closest("button.js-copy") : null;
    if (copy) {
      var text = copy.getAttribute("data-code") || "";
      var done = function () { copy.textContent = "Copied"; };
      if (navigator.clipboard && navigator.clipboard.writeText) {
        navigator.clipboard.writeText(text).then(done, function () {});
      } else {
        done();
      }
    }
  });
})();
