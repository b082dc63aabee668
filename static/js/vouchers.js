// Reveal a voucher's code and PIN in place (templates/orders/_vouchers.html). Without JavaScript the form posts
// and the server answers with a page showing the voucher; with it, the same POST asks for JSON.
(function () {
  "use strict";
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!form.matches || !form.matches("form[data-voucher-reveal]")) return;
    event.preventDefault();
    var row = form.closest("[data-voucher]");
    var button = form.querySelector("button");
    if (button) button.disabled = true;
    fetch(form.action, {
      method: "POST",
      body: new FormData(form),
      headers: { Accept: "application/json" },
      credentials: "same-origin",
    })
      .then(function (response) {
        return response.json().then(function (data) {
          if (!response.ok) throw new Error(data.detail || "The voucher could not be shown.");
          return data;
        });
      })
      .then(function (data) {
        row.querySelector("[data-voucher-code]").textContent = data.code;
        row.querySelector("[data-voucher-pin]").textContent = data.pin || "—";
        form.remove();
      })
      .catch(function (error) {
        if (button) button.disabled = false;
        form.insertAdjacentText("beforeend", " " + error.message);
      });
  });
})();
