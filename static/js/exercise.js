// Exercise page: CodeMirror editors on the answer cells, draft autosave, and waiting for a job to finish.
(function () {
  "use strict";
  var form = document.querySelector("form.notebook");
  if (!form) return;
  var status = form.querySelector(".draft-status");
  var editors = [];
  if (window.CodeMirror) {
    form.querySelectorAll("textarea[data-mode]").forEach(function (area) {
      var editor = window.CodeMirror.fromTextArea(area, {
        mode: area.getAttribute("data-mode"), lineNumbers: area.getAttribute("data-mode") === "python",
        indentUnit: 4, matchBrackets: true, viewportMargin: Infinity, lineWrapping: true,
        extraKeys: { Tab: function (cm) { cm.replaceSelection("    "); }, "Shift-Tab": false, Esc: function (cm) { cm.getInputField().blur(); } }
      });
      editor.on("change", scheduleSave);
      editors.push(editor);
    });
  } else {
    form.querySelectorAll("textarea[data-mode]").forEach(function (a) { a.addEventListener("input", scheduleSave); });
  }
  var timer = null;
  function scheduleSave() {
    if (timer) clearTimeout(timer);
    if (status) status.textContent = status.getAttribute("data-editing") || "…";
    timer = setTimeout(saveDraft, 1200);
  }
  function saveDraft() {
    editors.forEach(function (e) { e.save(); });
    var body = new FormData(form);
    body.delete("action");
    return fetch(form.getAttribute("data-draft-url"), { method: "POST", body: body, credentials: "same-origin" })
      .then(function (r) { if (status && r.ok) status.textContent = "✓"; });
  }
  form.addEventListener("submit", function () { editors.forEach(function (e) { e.save(); }); });
  window.addEventListener("pagehide", function () {
    if (!timer) return;
    editors.forEach(function (e) { e.save(); });
    var body = new FormData(form); body.delete("action");
    navigator.sendBeacon(form.getAttribute("data-draft-url"), body);
  });

  var results = document.getElementById("results");
  var pollUrl = results && results.getAttribute("data-poll-url");
  if (pollUrl) {
    var poll = function () {
      fetch(pollUrl, { credentials: "same-origin", headers: { Accept: "application/json" } })
        .then(function (r) { return r.json(); })
        .then(function (data) {
          if (data.status === "queued" || data.status === "running") { setTimeout(poll, 400); }
          else { window.location.reload(); }
        })
        .catch(function () { setTimeout(poll, 1500); });
    };
    setTimeout(poll, 300);
  }
})();
