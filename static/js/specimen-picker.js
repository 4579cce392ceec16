/* Request form (every kind with items): search the catalogue in place.
 *
 * Progressive enhancement only. Without this script the "Search the catalogue" button sends
 * the whole form back to the server, which shows it again with the results; with it, the
 * results fragment (the picker's data-search-url, e.g. /loans/specimen-search/) replaces the
 * results list without a reload.
 * Either way nothing typed is lost, and ticked specimens are saved with the form.
 */
(function () {
  "use strict";

  var picker = document.querySelector("[data-specimen-picker]");
  if (!picker || !window.fetch || !window.URLSearchParams) {
    return;
  }
  var form = picker.closest("form");
  var input = picker.querySelector("[data-search-input]");
  var button = picker.querySelector("[data-search-button]");
  var results = picker.querySelector("[data-results]");
  var chosen = picker.querySelector("[data-chosen]");

  // Ticked results join the chosen list first, so that a new search does not drop them.
  function keepTicked() {
    results.querySelectorAll('input[name="specimens"]:checked').forEach(function (box) {
      var item = box.closest("li");
      var word = item.querySelector("[data-add-word]");
      var empty = chosen.querySelector("[data-empty]");
      if (word) {
        word.remove();
      }
      if (empty) {
        empty.remove();
      }
      chosen.appendChild(item);
    });
  }

  function query() {
    var params = new URLSearchParams();
    form.querySelectorAll('input[name="collections"]:checked').forEach(function (box) {
      params.append("collection", box.value);
    });
    params.set("q", input.value);
    chosen.querySelectorAll('input[name="specimens"]:checked').forEach(function (box) {
      params.append("chosen", box.value);
    });
    return params.toString();
  }

  function search() {
    keepTicked();
    results.setAttribute("aria-busy", "true");
    fetch(picker.dataset.searchUrl + "?" + query(), {
      credentials: "same-origin",
      headers: { "X-Requested-With": "XMLHttpRequest" },
    })
      .then(function (response) {
        if (response.redirected || (response.status !== 200 && response.status !== 400)) {
          throw new Error("search failed: " + response.status);
        }
        return response.text();
      })
      .then(function (html) {
        results.innerHTML = html;
      })
      .catch(function () {
        results.textContent = picker.dataset.searchFailed;
      })
      .finally(function () {
        results.removeAttribute("aria-busy");
      });
  }

  // Enter anywhere in the form "clicks" the first button, the search: it searches in place.
  button.addEventListener("click", function (event) {
    event.preventDefault();
    search();
  });
})();
