// The registration's human check (idp/accounts/human_check.py): solves the ALTCHA proof of
// work (v1: the number n <= maxnumber with SHA-256(salt + n) = challenge) with Web Crypto,
// then puts the ALTCHA payload (base64 JSON) in the form's hidden field `altcha`.
// Our own ~60 lines rather than the npm widget (altcha 3.2): its default bundle carries its
// styles and workers inline, refused by the hub's CSP (style-src 'self', default-src
// 'self'); its CSP build (dist/external: 83 kB, a stylesheet, worker files) speaks the v2
// key-derivation challenges and brings its own look and texts beside the DSFR's. This one
// solves the library's v1 challenge with Web Crypto, in the page's DSFR markup, and tells
// its progress in a live region. Without JavaScript the form is still accepted, a few
// seconds after it was shown (the server's fallback).
(function () {
  var status = document.getElementById("human-check-status");
  var field = document.getElementById("altcha");
  if (!status || !field) return;
  var form = field.form;
  var solving = null;
  function hex(buffer) {
    return Array.prototype.map.call(new Uint8Array(buffer), function (b) {
      return ("0" + b.toString(16)).slice(-2);
    }).join("");
  }
  async function solve(challenge) {
    var encoder = new TextEncoder();
    var started = Date.now();
    for (var n = 0; n <= challenge.maxNumber; n++) {
      var digest = await crypto.subtle.digest("SHA-256", encoder.encode(challenge.salt + n));
      if (hex(digest) === challenge.challenge) {
        return btoa(JSON.stringify({
          algorithm: challenge.algorithm, challenge: challenge.challenge, number: n,
          salt: challenge.salt, signature: challenge.signature, took: Date.now() - started
        }));
      }
    }
    throw new Error("no solution");
  }
  function start() {
    if (solving) return solving;
    if (!window.crypto || !crypto.subtle) {
      status.textContent = status.getAttribute("data-failed");
      return Promise.resolve();
    }
    status.textContent = status.getAttribute("data-working");
    solving = solve(JSON.parse(status.getAttribute("data-challenge"))).then(function (payload) {
      field.value = payload;
      status.textContent = status.getAttribute("data-done");
      status.classList.add("fr-message--valid");
    }, function () {
      status.textContent = status.getAttribute("data-failed");
    });
    return solving;
  }
  start();
  // Sent before the check ended: it is awaited, then the form goes.
  form.addEventListener("submit", function (event) {
    if (field.value) return;
    event.preventDefault();
    start().then(function () { form.submit(); });
  });
})();
