/* Jiaozi UI behaviours. The strict CSP forbids inline scripts, so every page behaviour
   lives here, driven by data attributes:
   - <form data-jz-confirm="确定要停用该账号吗？"> asks before submitting;
   - every POST form disables its submit buttons once submitted (no double submission;
     the buttons are disabled after the browser has read the form, so the pressed
     button's name/value is still sent). A form marked data-jz-download answers with a
     file, so the page stays: its buttons come back after a few seconds (a double click
     still sends one request, a second download later works). */
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
    var buttons = "button[type=submit], input[type=submit]";
    window.setTimeout(function () {
      form.querySelectorAll(buttons).forEach(function (button) {
        button.disabled = true;
      });
      form.setAttribute("aria-busy", "true");
    }, 0);
    if (form.hasAttribute("data-jz-download")) {
      window.setTimeout(function () {
        form.querySelectorAll(buttons).forEach(function (button) {
          button.disabled = false;
        });
        form.removeAttribute("aria-busy");
      }, 3000);
    }
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

  /* Staff filing: once an institution is chosen, offer only the roles it can hold
     (the server says the same on submission). */
  function narrowRoles(institution) {
    var form = institution.form;
    var role = form && form.querySelector("select[data-jz-role-holders]");
    if (!role) { return; }
    var kinds = JSON.parse(institution.getAttribute("data-jz-institution-kinds") || "{}");
    var holders = JSON.parse(role.getAttribute("data-jz-role-holders") || "{}");
    var here = kinds[institution.value];
    Array.prototype.forEach.call(role.options, function (option) {
      if (!option.value) { return; }
      var allowed = !here || (holders[option.value] || []).some(function (h) {
        var parts = h.split(":");
        return here.split(":")[0] === parts[0] && (!parts[1] || here.split(":")[1] === parts[1]);
      });
      option.disabled = !allowed;
      option.hidden = !allowed;
      if (!allowed && option.selected) { role.value = ""; }
    });
  }
  document.addEventListener("change", function (event) {
    var target = event.target;
    if (target instanceof HTMLSelectElement && target.hasAttribute("data-jz-institution-kinds")) {
      narrowRoles(target);
    }
  });
  document.querySelectorAll("select[data-jz-institution-kinds]").forEach(narrowRoles);

  /* Tables on a phone: every cell learns its column head (data-label), which the
     stylesheet shows before the value when the rows stack below 576 px. */
  function headText(th) {
    var copy = th.cloneNode(true);
    copy.querySelectorAll(".visually-hidden, input, svg").forEach(function (el) { el.remove(); });
    var text = (copy.textContent || "").replace(/\s+/g, " ").trim();
    return text;
  }
  function stack(table) {
    var heads = table.querySelectorAll("thead th");
    if (!heads.length) { return; }
    var labels = Array.prototype.map.call(heads, headText);
    table.querySelectorAll("tbody tr").forEach(function (row) {
      var col = 0;
      Array.prototype.forEach.call(row.children, function (cell) {
        var span = parseInt(cell.getAttribute("colspan") || "1", 10);
        cell.setAttribute("data-label", span > 1 ? "" : (labels[col] || ""));
        col += span;
      });
    });
    table.classList.add("jz-stacked");
  }
  document.querySelectorAll("table.jz-table").forEach(stack);
  document.body.addEventListener("htmx:afterSwap", function (event) {
    var root = event.target;
    if (root && root.querySelectorAll) {
      root.querySelectorAll("table.jz-table").forEach(stack);
      if (root.matches && root.matches("table.jz-table")) { stack(root); }
      var owner = root.closest && root.closest("table.jz-table");
      if (owner) { stack(owner); }
    }
  });

  /* A table that scrolls sideways can be scrolled from the keyboard too (WCAG 2.1.1):
     its box takes the focus and is named after the table's caption. */
  document.querySelectorAll(".table-responsive").forEach(function (box) {
    if (box.hasAttribute("tabindex")) { return; }
    box.setAttribute("tabindex", "0");
    box.setAttribute("role", "region");
    var caption = box.querySelector("caption");
    var label = caption ? (caption.textContent || "").trim() : "";
    box.setAttribute("aria-label", label || document.title);
  });
})();
