// Tells the server, while a learner has an item page open and visible, that they are still there: once a minute,
// when the tab is hidden or left, and ("resume") when it becomes visible again. The server counts the time between
// these events by its own clock (capped); the page sends no durations.
(function () {
  "use strict";
  var main = document.querySelector("[data-time-url]");
  if (!main) return;
  var url = main.getAttribute("data-time-url");
  var csrf = main.getAttribute("data-csrf");

  function send(event) {
    var body = new URLSearchParams({ event: event, csrf_token: csrf });
    if (!(navigator.sendBeacon && navigator.sendBeacon(url, body))) {
      fetch(url, { method: "POST", body: body, credentials: "same-origin", keepalive: true });
    }
  }
  var visible = document.visibilityState === "visible";
  document.addEventListener("visibilitychange", function () {
    if (document.visibilityState === "hidden") { if (visible) send("still-here"); visible = false; }
    else { send("resume"); visible = true; }
  });
  window.addEventListener("pagehide", function () { if (visible) send("still-here"); visible = false; });
  window.setInterval(function () { if (document.visibilityState === "visible") send("still-here"); }, 60000);
})();
