// "Get code": open the tracked click-out in a new tab and reveal the code on this page.
// Without JavaScript the same link opens the offer page with the code shown and a "Go to store" button.
(function () {
  "use strict";

  function reveal(link) {
    var box = link.parentElement.querySelector(".code-box");
    if (!box) { return; }
    box.hidden = false;
    link.hidden = true;
    var code = box.querySelector(".coupon-code");
    if (code && window.getSelection) {
      var range = document.createRange();
      range.selectNodeContents(code);
      var selection = window.getSelection();
      selection.removeAllRanges();
      selection.addRange(range);
    }
  }

  document.addEventListener("click", function (event) {
    var link = event.target.closest ? event.target.closest("a.js-get-code") : null;
    if (link) {
      // Let modified clicks (new tab/window) do what the shopper asked for.
      if (event.button !== 0 || event.ctrlKey || event.metaKey || event.shiftKey || event.altKey) { return; }
      event.preventDefault();
      window.open(link.getAttribute("data-clickout"), "_blank", "noopener");
      reveal(link);
      return;
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
