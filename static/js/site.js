// Small progressive enhancements; every page works without JavaScript.
(function () {
  "use strict";
  document.documentElement.classList.add("js");
  // A read-only field whose whole value is meant to be copied (the referral link); no inline handlers (CSP).
  document.addEventListener("click", function (event) {
    var field = event.target.closest && event.target.closest("[data-select-on-click]");
    if (field) field.select();
  });

  // The header's search icon opens the search field in place (without JavaScript it is a link to /search/).
  var header = document.querySelector(".site-header");
  var toggle = document.querySelector(".search-toggle");
  var field = document.getElementById("nav-search");
  if (header && toggle && field) {
    toggle.setAttribute("role", "button");
    toggle.setAttribute("aria-expanded", "false");
    toggle.addEventListener("click", function (event) {
      event.preventDefault();
      var open = header.classList.toggle("search-open");
      toggle.setAttribute("aria-expanded", open ? "true" : "false");
      if (open) field.focus();
    });
    toggle.addEventListener("keydown", function (event) {
      if (event.key === " ") { event.preventDefault(); toggle.click(); }
    });
    field.addEventListener("keydown", function (event) {
      if (event.key === "Escape" && header.classList.contains("search-open")) {
        header.classList.remove("search-open");
        toggle.setAttribute("aria-expanded", "false");
        toggle.focus();
      }
    });
  }

  // Carousels (rows that scroll sideways) get previous/next buttons where a mouse has no easy sideways scroll.
  Array.prototype.forEach.call(document.querySelectorAll(".carousel"), function (row) {
    var label = row.getAttribute("aria-label");
    var labelledBy = row.getAttribute("aria-labelledby");
    if (!label && labelledBy && document.getElementById(labelledBy)) label = document.getElementById(labelledBy).textContent.trim();
    var controls = document.createElement("div");
    controls.className = "carousel-controls";
    function button(text, name, direction) {
      var b = document.createElement("button");
      b.type = "button";
      b.className = "carousel-button";
      b.textContent = text;
      b.setAttribute("aria-label", name + (label ? ": " + label : ""));
      b.addEventListener("click", function () {
        row.scrollBy({ left: direction * row.clientWidth * 0.9, behavior: "smooth" });
      });
      controls.appendChild(b);
      return b;
    }
    var previous = button("\u2039", "Scroll back", -1);
    var next = button("\u203a", "Scroll on", 1);
    function update() {
      var overflow = row.scrollWidth > row.clientWidth + 4;
      controls.hidden = !overflow;
      previous.disabled = row.scrollLeft <= 2;
      next.disabled = row.scrollLeft + row.clientWidth >= row.scrollWidth - 2;
    }
    // beside the row's heading when it has a heading row (.section-head), else just above the row
    var heading = labelledBy && document.getElementById(labelledBy);
    var head = heading && heading.parentNode.classList.contains("section-head") ? heading.parentNode : null;
    if (head) head.appendChild(controls); else row.parentNode.insertBefore(controls, row);
    row.addEventListener("scroll", update, { passive: true });
    window.addEventListener("resize", update);
    update();
  });

  // Tables that become cards on narrow screens (site.css): each cell is labelled with its column's head.
  var tables = document.querySelectorAll(".table-scroll > table");
  Array.prototype.forEach.call(tables, function (table) {
    var heads = table.querySelectorAll("thead th");
    if (!heads.length) return;
    var labels = Array.prototype.map.call(heads, function (th) { return th.textContent.trim(); });
    Array.prototype.forEach.call(table.querySelectorAll("tbody tr"), function (row) {
      var column = 0;
      Array.prototype.forEach.call(row.children, function (cell) {
        var label = labels[column];
        if (label && !cell.hasAttribute("colspan")) cell.setAttribute("data-label", label);
        column += cell.colSpan || 1;
      });
    });
    table.classList.add("is-cards");
  });
})();
