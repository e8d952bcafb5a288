// devhub console: progressive enhancement only. Every flow works without it.
(function () {
  "use strict";
  document.documentElement.classList.add("js");
  function live(el, text) {
    var out = el.parentNode.querySelector("[data-copy-status]");
    if (out) { out.textContent = text; }
  }
  document.addEventListener("click", function (ev) {
    var t = ev.target.closest("[data-copy]");
    if (t) {
      var src = document.getElementById(t.getAttribute("data-copy"));
      if (!src) { return; }
      var v = src.value !== undefined ? src.value : src.textContent;
      var done = function () { live(t, "Copied"); };
      if (navigator.clipboard && navigator.clipboard.writeText) {
        navigator.clipboard.writeText(v).then(done, function () { src.select && src.select(); document.execCommand("copy"); done(); });
      } else { src.select && src.select(); document.execCommand("copy"); done(); }
      return;
    }
    var r = ev.target.closest("[data-reveal]");
    if (r) {
      var input = document.getElementById(r.getAttribute("data-reveal"));
      if (!input) { return; }
      ev.preventDefault();
      var show = input.type === "password";
      input.type = show ? "text" : "password";
      r.textContent = show ? "Hide" : "Show";
      r.setAttribute("aria-pressed", show ? "true" : "false");
      return;
    }
  });
  // Close an open three-dot menu on Escape or a click elsewhere.
  document.addEventListener("keydown", function (ev) {
    if (ev.key !== "Escape") { return; }
    document.querySelectorAll("details.menu[open]").forEach(function (d) { d.removeAttribute("open"); d.querySelector("summary").focus(); });
  });
  document.addEventListener("click", function (ev) {
    document.querySelectorAll("details.menu[open]").forEach(function (d) { if (!d.contains(ev.target)) { d.removeAttribute("open"); } });
  });
  // Forms that ask once more (data-confirm) do so in a dialog-free way:
  // the server already shows a confirmation page without JavaScript.
})();
