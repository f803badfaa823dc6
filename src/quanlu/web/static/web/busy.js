// A form marked data-busy="正在封卷…" shows that text on its button, disabled, once it is
// submitted: sealing or exporting takes seconds to minutes, and the page must show that it
// is working (and not be sent twice). No job queue: the request itself is the work.
(function () {
  "use strict";
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!(form instanceof HTMLFormElement) || !form.dataset.busy) return;
    var buttons = form.querySelectorAll("button[type=submit], button:not([type])");
    // After the browser has collected the form's fields: a disabled button is not sent.
    window.setTimeout(function () {
      if (event.defaultPrevented) return;
      form.setAttribute("aria-busy", "true");
      buttons.forEach(function (b) {
        b.dataset.idle = b.textContent;
        b.textContent = form.dataset.busy;
        b.disabled = true;
      });
    }, 0);
  });
  // Back to a page kept by the browser (bfcache): the buttons work again.
  window.addEventListener("pageshow", function (event) {
    if (!event.persisted) return;
    document.querySelectorAll("form[aria-busy=true]").forEach(function (form) {
      form.removeAttribute("aria-busy");
      form.querySelectorAll("button[data-idle]").forEach(function (b) {
        b.textContent = b.dataset.idle;
        b.disabled = false;
      });
    });
  });
})();
