/*
 * Progress for long operations (monthly report generation, large uploads).
 *
 * A <form data-progress="TEXT"> shows, once submitted, a <progress> bar and TEXT in a live
 * region after the form, and refuses a second submission while the first is running. For a
 * form with a file input, the text names the file's size. Nothing else changes: the browser
 * submits the form as usual, and without JavaScript the hint printed beside the button says
 * what to expect.
 */
(function () {
  "use strict";

  function fileSize(form) {
    var total = 0;
    var inputs = form.querySelectorAll("input[type=file]");
    for (var i = 0; i < inputs.length; i += 1) {
      var files = inputs[i].files || [];
      for (var j = 0; j < files.length; j += 1) {
        total += files[j].size;
      }
    }
    return total;
  }

  function describeSize(bytes) {
    if (bytes >= 1024 * 1024) {
      return (bytes / 1024 / 1024).toFixed(1) + " MB";
    }
    return Math.max(1, Math.round(bytes / 1024)) + " KB";
  }

  function showProgress(form) {
    var box = document.createElement("div");
    box.className = "progress";
    box.setAttribute("role", "status");
    var bar = document.createElement("progress");
    bar.setAttribute("aria-label", form.getAttribute("data-progress-label") || "");
    var text = document.createElement("span");
    var message = form.getAttribute("data-progress") || "";
    var bytes = fileSize(form);
    text.textContent = bytes ? message + "（" + describeSize(bytes) + "）" : message;
    box.appendChild(bar);
    box.appendChild(text);
    form.parentNode.insertBefore(box, form.nextSibling);
    form.setAttribute("aria-busy", "true");
    var buttons = form.querySelectorAll("button[type=submit], button:not([type])");
    for (var i = 0; i < buttons.length; i += 1) {
      buttons[i].setAttribute("aria-disabled", "true");
    }
  }

  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!form || !form.hasAttribute || !form.hasAttribute("data-progress")) {
      return;
    }
    if (form.getAttribute("aria-busy") === "true") {
      event.preventDefault(); // already submitted: wait for the answer
      return;
    }
    if (form.checkValidity && !form.checkValidity()) {
      return;
    }
    showProgress(form);
  });
})();
