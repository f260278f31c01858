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
  var changes = 0;  // edits made so far, and how many of them the server has confirmed saving
  var saved = 0;
  function scheduleSave() {
    changes += 1;
    leaveAttempt();
    if (timer) clearTimeout(timer);
    if (status) status.textContent = status.getAttribute("data-editing") || "…";
    timer = setTimeout(saveDraft, 1200);
  }
  function draftBody() {
    editors.forEach(function (e) { e.save(); });
    var body = new FormData(form);
    body.delete("action");
    return body;
  }
  function saveDraft() {
    timer = null;
    var saving = changes;
    return fetch(form.getAttribute("data-draft-url"), {
      method: "POST", body: draftBody(), credentials: "same-origin", headers: { Accept: "application/json" }
    })
      // Only the endpoint's own answer counts: a login page (signed out meanwhile) or an error page is no save.
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (data) {
        if (!data || !data.saved) throw new Error("draft not saved");
        saved = Math.max(saved, saving);
        if (status && saved === changes) status.textContent = "✓";  // not while newer edits wait to be saved
      })
      .catch(function () {
        if (status && saving === changes) status.textContent = status.getAttribute("data-failed") || "!";
      });
  }
  // Editing the code of an attempt (?submission=N, e.g. right after submitting) makes it the draft: leave the
  // attempt's address so that a reload, or the reload when grading ends, shows the draft and not that attempt's code.
  function leaveAttempt() {
    if (!window.URLSearchParams || !window.history.replaceState) return;
    var params = new URLSearchParams(window.location.search);
    if (!params.has("submission")) return;
    params.delete("submission");
    var query = params.toString();
    window.history.replaceState(window.history.state, "",
      window.location.pathname + (query ? "?" + query : "") + window.location.hash);
  }
  form.addEventListener("submit", function () { editors.forEach(function (e) { e.save(); }); });
  window.addEventListener("pagehide", function () {
    if (saved === changes) return;
    navigator.sendBeacon(form.getAttribute("data-draft-url"), draftBody());
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
