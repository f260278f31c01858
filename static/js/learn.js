// Reports the time a learner actively spends on an item page (visible tab), in small batches.
(function () {
  "use strict";
  var main = document.querySelector("[data-time-url]");
  if (!main) return;
  var url = main.getAttribute("data-time-url");
  var csrf = main.getAttribute("data-csrf");
  var activeSince = document.visibilityState === "visible" ? Date.now() : null;
  var pending = 0;

  function collect() {
    if (activeSince !== null) {
      pending += (Date.now() - activeSince) / 1000;
      activeSince = document.visibilityState === "visible" ? Date.now() : null;
    }
  }
  function flush() {
    collect();
    var seconds = Math.floor(pending);
    if (seconds < 1) return;
    pending -= seconds;
    var body = new URLSearchParams({ seconds: String(seconds), csrf_token: csrf });
    if (!(navigator.sendBeacon && navigator.sendBeacon(url, body))) {
      fetch(url, { method: "POST", body: body, credentials: "same-origin", keepalive: true });
    }
  }
  document.addEventListener("visibilitychange", function () {
    if (document.visibilityState === "hidden") { flush(); activeSince = null; }
    else { activeSince = Date.now(); }
  });
  window.addEventListener("pagehide", flush);
  window.setInterval(flush, 60000);
})();
