/* Small behaviours that need no framework. */
(function () {
  "use strict";

  // Customer form: show the enterprise or the individual profile for the chosen kind.
  function syncKind(form) {
    var select = form.querySelector("select[name=kind]");
    if (!select) return;
    form.querySelectorAll("[data-kind]").forEach(function (group) {
      group.hidden = group.dataset.kind !== select.value;
    });
  }

  // Customer list on a phone: the filters fold away behind one button.
  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-toggle-filters]");
    if (!button) return;
    var open = button.form.classList.toggle("show-more");
    button.setAttribute("aria-expanded", String(open));
  });

  document.addEventListener("change", function (event) {
    var form = event.target.closest("form[data-kind-form]");
    if (form && event.target.name === "kind") syncKind(form);
  });

  function init(root) {
    root.querySelectorAll("form[data-kind-form]").forEach(syncKind);
    // A form sent back with errors: put the cursor in the first field that has one.
    var error = root.querySelector(".invalid-feedback");
    var field = error && error.parentElement.querySelector("input, select, textarea");
    if (field) field.focus();
  }

  document.addEventListener("DOMContentLoaded", function () { init(document); });
  document.addEventListener("htmx:load", function (event) { init(event.target); });

  // After an interaction is logged, reset the view to show it at the top.
  document.addEventListener("htmx:afterSwap", function (event) {
    if (event.detail.target && event.detail.target.id === "timeline") {
      var first = event.detail.target.querySelector(".timeline-item");
      if (first) first.classList.add("just-added");
    }
  });
})();
