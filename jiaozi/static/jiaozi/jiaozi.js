/* Jiaozi UI behaviours. The strict CSP forbids inline scripts, so every page behaviour
   lives here, driven by data attributes:
   - <form data-jz-confirm="确定要停用该账号吗？"> asks before submitting;
   - every POST form disables its submit buttons once submitted (no double submission;
     the buttons are disabled after the browser has read the form, so the pressed
     button's name/value is still sent). */
(function () {
  "use strict";

  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!(form instanceof HTMLFormElement)) { return; }
    var question = form.getAttribute("data-jz-confirm");
    if (question && !window.confirm(question)) {
      event.preventDefault();
      return;
    }
    if ((form.getAttribute("method") || "get").toLowerCase() !== "post") { return; }
    if (form.hasAttribute("hx-post") || form.hasAttribute("data-hx-post")) { return; }
    window.setTimeout(function () {
      form.querySelectorAll("button[type=submit], input[type=submit]").forEach(function (button) {
        button.disabled = true;
      });
      form.setAttribute("aria-busy", "true");
    }, 0);
  });

  /* Coming back with the browser's back button restores a page from the cache with its
     buttons still disabled: enable them again. */
  window.addEventListener("pageshow", function (event) {
    if (!event.persisted) { return; }
    document.querySelectorAll("form[aria-busy=true]").forEach(function (form) {
      form.removeAttribute("aria-busy");
      form.querySelectorAll("button[type=submit], input[type=submit]").forEach(function (button) {
        button.disabled = false;
      });
    });
  });
})();
