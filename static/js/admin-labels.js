/* Accessible names for admin inputs that Django's admin leaves without one (issue #10, axe).
 *
 * - Autocomplete fields (select2) hide the labelled <select> and show a combobox named only by
 *   its current choice (empty until one is picked) and, for many choices, a search box with no
 *   name at all: both get the <select>'s label.
 * - The changelist search box is labelled by a magnifier image, which is no visible text: it
 *   gets the word of its "Search" button as its name.
 *
 * select2 draws its widgets after this script runs, and again when an inline row is added, so
 * a MutationObserver names them as they appear.
 */
"use strict";
(function () {
  function labelOf(select) {
    var label = select.id && document.querySelector('label[for="' + CSS.escape(select.id) + '"]');
    var text = label ? label.textContent : select.name;
    return text.replace(/[\s:]+$/, "").trim();
  }

  function nameSelect2(container) {
    var select = container.previousElementSibling;
    if (!select || select.tagName !== "SELECT") {
      return;
    }
    var name = labelOf(select);
    var combobox = container.querySelector(".select2-selection");
    var rendered = container.querySelector(".select2-selection__rendered");
    if (combobox && !combobox.hasAttribute("aria-label")) {
      combobox.setAttribute("aria-label", name);
      // aria-labelledby (the current choice) would win over aria-label: name it by both.
      if (rendered && rendered.id && combobox.classList.contains("select2-selection--single")) {
        var labelId = select.id + "-a11y-label";
        if (!document.getElementById(labelId)) {
          var hidden = document.createElement("span");
          hidden.id = labelId;
          hidden.hidden = true;
          hidden.textContent = name;
          container.appendChild(hidden);
        }
        combobox.setAttribute("aria-labelledby", labelId + " " + rendered.id);
        // The choice's own box (a read-only textbox) is named by the label alone.
        rendered.setAttribute("aria-labelledby", labelId);
      }
    }
    container.querySelectorAll(".select2-search__field:not([aria-label])").forEach(function (box) {
      box.setAttribute("aria-label", name);
    });
  }

  function nameAll() {
    document.querySelectorAll("select + .select2-container").forEach(nameSelect2);
  }

  function nameSearchBar() {
    var bar = document.getElementById("searchbar");
    // The button's word is translated; the image's text is always English.
    var button = document.querySelector('#changelist-search input[type="submit"]');
    if (bar && button && !bar.hasAttribute("aria-label")) {
      bar.setAttribute("aria-label", button.value);
    }
  }

  function start() {
    nameSearchBar();
    nameAll();
    new MutationObserver(nameAll).observe(document.body, { childList: true, subtree: true });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
