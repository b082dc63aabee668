// "Cashback activated": the tracked click-out (/go/...?land=1) sent the shopper here with the click id in the URL
// fragment. Show it as the tracking id, put it into the store's link (rendered by the server, so the fragment
// can only fill in an id, never choose where the shopper goes) and continue to the store after a moment.
(function () {
  "use strict";
  var UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
  var link = document.querySelector("a.js-continue");
  if (!link) { return; }
  var id = (window.location.hash || "").slice(1).toLowerCase();
  var pattern = link.getAttribute("data-pattern") || "";
  var slot = link.getAttribute("data-slot") || "";
  if (!UUID.test(id) || !pattern || !slot || pattern.indexOf(slot) < 0) { return; }  // keeps the /go/ link
  var url = pattern.split(slot).join(encodeURIComponent(id));
  link.setAttribute("href", url);
  var shown = document.querySelector(".js-tracking-id");
  if (shown) { shown.textContent = id; }
  var note = document.querySelector(".js-redirect-note");
  if (note) { note.hidden = false; }
  window.setTimeout(function () { window.location.replace(url); }, 3500);
})();
