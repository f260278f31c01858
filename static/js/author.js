// The lesson editor: a live preview rendered by the server (the learner's renderer and sanitiser), asked for after
// typing pauses; only the newest answer is shown, so a slow older one never replaces it. Leaving with unsaved
// changes asks first.
(function () {
  "use strict";
  var form = document.getElementById("editor");
  if (!form) return;
  var text = form.querySelector("textarea[name=text]");
  var target = document.getElementById("preview");
  var state = document.getElementById("preview-state");
  var url = form.getAttribute("data-preview-url");
  var csrf = form.querySelector("input[name=csrf_token]").value;
  var saved = text.value;
  var timer = null;
  var asked = 0;

  function refresh() {
    var mine = ++asked;
    state.textContent = "…";
    fetch(url, {
      method: "POST",
      credentials: "same-origin",
      headers: { "X-CSRFToken": csrf },
      body: new URLSearchParams({ text: text.value, csrf_token: csrf })
    }).then(function (response) {
      if (!response.ok) throw new Error(String(response.status));
      return response.text();
    }).then(function (html) {
      if (mine !== asked) return;  // a newer request is on its way: the last answer wins
      target.innerHTML = html;  // sanitised on the server as the very last step; the CSP forbids script anyway
      state.textContent = "";
    }).catch(function () {
      if (mine === asked) state.textContent = "!";
    });
  }

  text.addEventListener("input", function () {
    window.clearTimeout(timer);
    timer = window.setTimeout(refresh, 300);
  });
  form.addEventListener("submit", function () { saved = text.value; });
  window.addEventListener("beforeunload", function (event) {
    if (text.value !== saved) {
      event.preventDefault();
      event.returnValue = form.getAttribute("data-unsaved");
      return event.returnValue;
    }
  });
})();
