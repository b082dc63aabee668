// Razorpay Checkout on the pay page: the button's data attributes carry the gateway order; Razorpay posts
// razorpay_payment_id / razorpay_order_id / razorpay_signature to our callback, which verifies them.
(function () {
  "use strict";
  var button = document.querySelector("[data-razorpay-checkout]");
  if (!button) return;
  button.addEventListener("click", function () {
    if (typeof window.Razorpay !== "function") {
      button.textContent = "The payment window could not load; reload the page.";
      return;
    }
    var d = button.dataset;
    new window.Razorpay({
      key: d.key,
      order_id: d.orderId,
      amount: d.amount,
      currency: "INR",
      name: d.name,
      description: d.description,
      prefill: { email: d.email, contact: d.contact },
      callback_url: d.callbackUrl,
      redirect: true
    }).open();
  });
})();
