(function () {
  "use strict";
  var verdict = document.getElementById("f-verdict");
  var tag = document.getElementById("f-tag");
  var search = document.getElementById("f-search");
  var count = document.getElementById("f-count");
  var none = document.getElementById("no-match");
  var rows = Array.prototype.slice.call(document.querySelectorAll("#cases tbody tr"));
  var buttons = Array.prototype.slice.call(document.querySelectorAll("#counts button"));

  function tagsOf(row) {
    try {
      return JSON.parse(row.getAttribute("data-tags") || "[]");
    } catch (err) {
      return [];
    }
  }

  function apply() {
    var v = verdict.value;
    var t = tag.value;
    var q = search.value.trim().toLowerCase();
    var shown = 0;
    rows.forEach(function (row) {
      var ok = (!v || row.getAttribute("data-verdict") === v) &&
        (!t || tagsOf(row).indexOf(t) !== -1) &&
        (!q || (row.getAttribute("data-search") || "").indexOf(q) !== -1);
      row.hidden = !ok;
      var section = document.getElementById(row.getAttribute("data-case"));
      if (section) {
        section.hidden = !ok;
      }
      if (ok) {
        shown += 1;
      }
    });
    buttons.forEach(function (button) {
      button.classList.toggle("active", button.getAttribute("data-verdict") === v);
    });
    count.textContent = shown + " of " + rows.length + " cases shown";
    none.hidden = shown !== 0;
  }

  // A collapsed (passing) case opens when it is navigated to: a link of the overview, or
  // the page opened at its #case-N.
  function reveal(id) {
    var section = id && document.getElementById(id);
    var body = section && section.querySelector("details.case-body");
    if (body) {
      body.open = true;
    }
  }

  rows.forEach(function (row) {
    var link = row.querySelector("a[href^='#']");
    if (link) {
      link.addEventListener("click", function () {
        reveal(row.getAttribute("data-case"));
      });
    }
  });
  window.addEventListener("hashchange", function () {
    reveal(window.location.hash.slice(1));
  });
  reveal(window.location.hash.slice(1));

  verdict.addEventListener("change", apply);
  tag.addEventListener("change", apply);
  search.addEventListener("input", apply);
  buttons.forEach(function (button) {
    button.addEventListener("click", function () {
      var wanted = button.getAttribute("data-verdict");
      verdict.value = verdict.value === wanted ? "" : wanted;
      apply();
    });
  });
  apply();
}());
