// Live preview of JSON modals and JSON panels: the server draws it (the
// same code as the form's "Preview" button), this only asks for it as the
// developer types and swaps it in. Without this script the button works.
(function () {
  "use strict";
  var form = document.querySelector("form[data-preview-url]");
  if (!form || !window.fetch) return;
  var target = document.getElementById(form.getAttribute("data-preview-target"));
  var source = form.querySelector("[data-preview-source]");
  if (!target || !source) return;
  var timer = 0, inflight = null, last = "";

  function refresh() {
    var body = new URLSearchParams(new FormData(form));
    body.delete("action");
    body.set("csrf_token", form.getAttribute("data-preview-token"));
    var key = body.toString();
    if (key === last) return;
    last = key;
    if (inflight) inflight.abort();
    inflight = new AbortController();
    target.setAttribute("aria-busy", "true");
    fetch(form.getAttribute("data-preview-url"), {
      method: "POST", body: body, credentials: "same-origin",
      headers: {"Accept": "text/html"}, signal: inflight.signal
    }).then(function (res) {
      if (!res.ok && res.status !== 413) throw new Error(String(res.status));
      return res.text();
    }).then(function (html) {
      target.innerHTML = html;
      target.removeAttribute("aria-busy");
    }).catch(function (err) {
      if (err.name === "AbortError") return;
      target.removeAttribute("aria-busy");
      last = "";
    });
  }

  form.addEventListener("input", function () {
    clearTimeout(timer);
    timer = setTimeout(refresh, 350);
  });

  // A problem that names a line takes the editor there.
  target.addEventListener("click", function (ev) {
    var li = ev.target.closest ? ev.target.closest("[data-line]") : null;
    if (!li) return;
    var line = parseInt(li.getAttribute("data-line"), 10), lines = source.value.split("\n"), at = 0;
    if (!(line >= 1 && line <= lines.length)) return;
    for (var i = 0; i < line - 1; i++) at += lines[i].length + 1;
    source.focus();
    source.setSelectionRange(at, at + lines[line - 1].length);
  });
})();
