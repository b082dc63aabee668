// Typeahead under the search boxes: <input data-suggest="/search/suggest/"> becomes an ARIA 1.2 combobox whose
// listbox lists stores, categories and offers from the JSON endpoint. Without JavaScript the form still submits
// to the search page. Keyboard: Down/Up move through the suggestions, Enter opens the highlighted one (or
// searches when none is), Escape closes the list (a second Escape clears the box), Tab leaves it.
(function () {
  "use strict";
  var KIND_LABELS = { store: "Store", category: "Category", offer: "Offer" };
  var DELAY_MS = 120;
  var counter = 0;

  function enhance(input) {
    var endpoint = input.getAttribute("data-suggest");
    var form = input.form;
    if (!endpoint || !form) return;
    counter += 1;
    var listId = "suggest-list-" + counter;
    var list = document.createElement("ul");
    list.id = listId;
    list.className = "suggest-list";
    list.setAttribute("role", "listbox");
    list.setAttribute("aria-label", "Suggestions");
    list.hidden = true;
    var status = document.createElement("span");
    status.className = "visually-hidden";
    status.setAttribute("role", "status");
    status.setAttribute("aria-live", "polite");
    form.classList.add("has-suggest");
    input.insertAdjacentElement("afterend", list);
    form.appendChild(status);
    input.setAttribute("role", "combobox");
    input.setAttribute("aria-autocomplete", "list");
    input.setAttribute("aria-expanded", "false");
    input.setAttribute("aria-controls", listId);
    input.setAttribute("autocomplete", "off");

    var items = [];
    var active = -1;
    var timer = null;
    var pending = null;
    var lastQuery = null;

    function close() {
      list.hidden = true;
      input.setAttribute("aria-expanded", "false");
      input.removeAttribute("aria-activedescendant");
      active = -1;
    }

    function highlight(index) {
      var options = list.querySelectorAll("[role=option]");
      options.forEach(function (el, i) {
        el.setAttribute("aria-selected", i === index ? "true" : "false");
      });
      active = index;
      if (index >= 0 && options[index]) {
        input.setAttribute("aria-activedescendant", options[index].id);
        options[index].scrollIntoView({ block: "nearest" });
      } else {
        input.removeAttribute("aria-activedescendant");
      }
    }

    function render(suggestions) {
      items = suggestions;
      list.textContent = "";
      suggestions.forEach(function (s, i) {
        var option = document.createElement("li");
        option.id = listId + "-" + i;
        option.className = "suggest-option suggest-" + s.kind;
        option.setAttribute("role", "option");
        option.setAttribute("aria-selected", "false");
        var label = document.createElement("span");
        label.className = "suggest-label";
        label.textContent = s.label;
        var detail = document.createElement("span");
        detail.className = "suggest-detail";
        detail.textContent = KIND_LABELS[s.kind] + (s.detail ? " · " + s.detail : "");
        option.appendChild(label);
        option.appendChild(detail);
        option.addEventListener("mousedown", function (event) {
          event.preventDefault(); // keep the focus in the box until we navigate
          window.location.assign(s.url);
        });
        list.appendChild(option);
      });
      active = -1;
      if (suggestions.length) {
        list.hidden = false;
        input.setAttribute("aria-expanded", "true");
        status.textContent = suggestions.length + (suggestions.length === 1 ? " suggestion" : " suggestions");
      } else {
        close();
        status.textContent = "";
      }
    }

    function fetchSuggestions() {
      var q = input.value.trim();
      if (q === lastQuery) return;
      lastQuery = q;
      if (pending) pending.abort();
      if (!q) {
        render([]);
        return;
      }
      pending = new AbortController();
      fetch(endpoint + "?q=" + encodeURIComponent(q), {
        headers: { Accept: "application/json" },
        signal: pending.signal,
        credentials: "omit", // suggestions are the same for everybody (and served from the page cache)
      })
        .then(function (response) {
          return response.ok ? response.json() : { suggestions: [] };
        })
        .then(function (data) {
          if (input.value.trim() === q) render(data.suggestions || []);
        })
        .catch(function () {
          /* aborted by a newer keystroke, or offline: the form still submits */
        });
    }

    input.addEventListener("input", function () {
      window.clearTimeout(timer);
      timer = window.setTimeout(fetchSuggestions, DELAY_MS);
    });

    input.addEventListener("keydown", function (event) {
      var open = !list.hidden && items.length > 0;
      if (event.key === "ArrowDown") {
        event.preventDefault();
        if (!open && items.length) {
          list.hidden = false;
          input.setAttribute("aria-expanded", "true");
        }
        if (items.length) highlight((active + 1) % items.length);
      } else if (event.key === "ArrowUp") {
        if (!open) return;
        event.preventDefault();
        highlight(active <= 0 ? items.length - 1 : active - 1);
      } else if (event.key === "Enter") {
        if (open && active >= 0) {
          event.preventDefault();
          window.location.assign(items[active].url);
        }
      } else if (event.key === "Escape") {
        if (open) {
          event.preventDefault();
          close();
        } else if (input.value) {
          input.value = "";
          lastQuery = null;
        }
      } else if (event.key === "Tab") {
        close();
      }
    });

    input.addEventListener("blur", function () {
      window.setTimeout(close, 150);
    });
    input.addEventListener("focus", function () {
      if (items.length && input.value.trim() === lastQuery) {
        list.hidden = false;
        input.setAttribute("aria-expanded", "true");
      }
    });
  }

  document.querySelectorAll("input[data-suggest]").forEach(enhance);
})();
