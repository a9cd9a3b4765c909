/* Reviewer queue behaviours (CSP: no inline script). Driven by data attributes:
   - <input type=checkbox data-jz-select-all="items"> checks every checkbox named
     "items" in its form (the rows of this page) and reflects a partial selection;
   - [data-jz-selected-count][data-template="已选 __N__ 件"] shows how many are checked;
   - [data-jz-batch-submit] is disabled until a row and an action are chosen.
   Without JavaScript everything still works: rows are checked one by one and the server
   answers an empty selection with a message. */
(function () {
  "use strict";

  function boxes(form, name) {
    return Array.prototype.slice.call(form.querySelectorAll("input[type=checkbox][name='" + name + "']"));
  }

  function refresh(form) {
    var all = form.querySelector("[data-jz-select-all]");
    var name = all ? all.getAttribute("data-jz-select-all") : "items";
    var items = boxes(form, name);
    var checked = items.filter(function (box) { return box.checked; }).length;
    if (all) {
      all.checked = items.length > 0 && checked === items.length;
      all.indeterminate = checked > 0 && checked < items.length;
      all.disabled = items.length === 0;
    }
    var counter = form.querySelector("[data-jz-selected-count]");
    if (counter) {
      counter.textContent = (counter.getAttribute("data-template") || "__N__").replace("__N__", String(checked));
    }
    var action = form.querySelector("select[name=action]");
    var submit = form.querySelector("[data-jz-batch-submit]");
    if (submit) {
      submit.disabled = checked === 0 || (action !== null && !action.value);
    }
    items.forEach(function (box) {
      var row = box.closest("tr");
      if (row) { row.classList.toggle("jz-row-selected", box.checked); }
    });
  }

  function init() {
    document.querySelectorAll("form").forEach(function (form) {
      var all = form.querySelector("[data-jz-select-all]");
      if (!all && !form.querySelector("[data-jz-batch-submit]")) { return; }
      form.addEventListener("change", function (event) {
        var target = event.target;
        if (target instanceof HTMLInputElement && target.hasAttribute("data-jz-select-all")) {
          boxes(form, target.getAttribute("data-jz-select-all")).forEach(function (box) {
            box.checked = target.checked;
          });
        }
        refresh(form);
      });
      refresh(form);
    });
  }

  /* The conclusion form: the "不采纳系统建议的理由" field matters only when the chosen
     conclusion differs from the suggestion, so it shows only then (the server checks
     either way). */
  function initConclusion(form) {
    var suggestion = form.getAttribute("data-jz-suggestion");
    var override = form.querySelector("textarea[name=override_reason]");
    var field = override ? override.closest(".jz-field") : null;
    if (!field) { return; }
    function sync() {
      var chosen = form.querySelector("input[name=conclusion]:checked");
      var differs = !suggestion || (chosen !== null && chosen.value !== suggestion);
      field.hidden = !differs && !override.value && !field.classList.contains("has-error");
    }
    form.addEventListener("change", sync);
    sync();
  }

  function initConclusions() {
    document.querySelectorAll("form[data-jz-suggestion]").forEach(initConclusion);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", initConclusions);
  } else {
    initConclusions();
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
  window.addEventListener("pageshow", function () {
    document.querySelectorAll("form").forEach(function (form) {
      if (form.querySelector("[data-jz-select-all], [data-jz-batch-submit]")) { refresh(form); }
    });
  });
})();
