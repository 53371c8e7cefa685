// The site's few conveniences, in a file so that the pages need no inline script (the
// Content-Security-Policy allows scripts only from our own origin). Each page works without it.
"use strict";

document.addEventListener("DOMContentLoaded", function () {
  // Copy a citation: shown only where the browser can write to the clipboard.
  document.querySelectorAll("button.copy").forEach(function (button) {
    button.hidden = !navigator.clipboard;
    button.addEventListener("click", function () {
      navigator.clipboard.writeText(document.getElementById(button.dataset.copy).textContent);
    });
  });
  // A sort order takes effect when chosen (the form's own button does the same without script).
  document.querySelectorAll("select[data-submit-on-change]").forEach(function (select) {
    select.addEventListener("change", function () {
      select.form.submit();
    });
  });
  // Filters fold away on a phone so that the results come first (the page's CSS hides the
  // toggle on wider screens, where the filters stay open beside the results).
  var phone = window.matchMedia("(max-width: 600px)");
  document.querySelectorAll("details[data-closed-on-phone]").forEach(function (details) {
    details.open = !phone.matches;
    phone.addEventListener("change", function () {
      details.open = !phone.matches;
    });
  });
  document.querySelectorAll("a[data-print]").forEach(function (link) {
    link.addEventListener("click", function (event) {
      event.preventDefault();
      window.print();
    });
  });
});
