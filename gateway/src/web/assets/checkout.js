// The checkout page, live: a countdown to the request's expiry, its status polled
// from the gateway, and the payer sent back to the merchant once it is final.
(function () {
  "use strict";
  var root = document.getElementById("checkout");
  if (!root) { return; }
  var statusUrl = root.getAttribute("data-status-url");
  var expiresAt = Date.parse(root.getAttribute("data-expires-at"));
  var redirectDelay = 3000;
  var countdown = document.getElementById("countdown");
  var status = document.getElementById("status");
  var finished = false;
  var leaving = false;

  function pad(n) { return (n < 10 ? "0" : "") + n; }

  function tick() {
    if (!countdown) { return; }
    var left = Math.max(0, Math.floor((expiresAt - Date.now()) / 1000));
    var h = Math.floor(left / 3600), m = Math.floor((left % 3600) / 60), s = left % 60;
    countdown.textContent = (h > 0 ? h + ":" + pad(m) : m) + ":" + pad(s);
    if (left === 0 && !finished) { poll(); }
  }

  function leave(to) {
    if (leaving || !to) { return; }
    leaving = true;
    var notice = document.getElementById("returning");
    if (notice) { notice.hidden = false; }
    window.setTimeout(function () { window.location.assign(to); }, redirectDelay);
  }

  function show(s) {
    if (!s || !s.status) { return; }
    status.textContent = s.label;
    status.setAttribute("data-status", s.status);
    root.setAttribute("data-status", s.status);
    if (s.final) {
      finished = true;
      root.classList.add("final");
      leave(s.return_to);
    }
  }

  function poll() {
    if (!window.fetch) { return; }
    window.fetch(statusUrl, { cache: "no-store", credentials: "omit" })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(show)
      .catch(function () { /* the next round tries again */ });
  }

  if (root.getAttribute("data-final") === "true") {
    finished = true;
    leave(root.getAttribute("data-return-to"));
  }
  tick();
  window.setInterval(tick, 1000);
  window.setInterval(function () { if (!finished) { poll(); } }, 2000);
})();
