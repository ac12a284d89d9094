// Small progressive enhancements; every page works without JavaScript.
document.addEventListener("htmx:responseError", function (evt) {
  var box = document.createElement("div");
  box.className = "alert alert-error";
  box.textContent = (document.documentElement.lang === "en") ? "Request failed (" + evt.detail.xhr.status + "). Please retry." : "请求失败（" + evt.detail.xhr.status + "），请重试。";
  var target = document.querySelector(".content") || document.body;
  target.prepend(box);
});
// Forms, or their submit buttons, with data-confirm ask before submitting.
document.addEventListener("submit", function (evt) {
  var msg = evt.target.getAttribute("data-confirm") ||
    (evt.submitter && evt.submitter.getAttribute("data-confirm"));
  if (msg && !window.confirm(msg)) { evt.preventDefault(); }
});
// Buttons with data-print open the browser's print dialog (the print stylesheet hides the shell).
document.addEventListener("click", function (evt) {
  var button = evt.target.closest && evt.target.closest("[data-print]");
  if (button) { evt.preventDefault(); window.print(); }
});
// Scrollable boxes (wide tables at phone width) must be reachable by keyboard (WCAG 2.1.1):
// each gets a tab stop and a name from its table's caption or first header row.
function focusableScrollers(root) {
  (root || document).querySelectorAll(".table-card, .sheet-wrap, .table-scroll, [style*='overflow-x:auto'], [style*='overflow-x: auto']").forEach(function (box) {
    if (!box.hasAttribute("tabindex")) { box.setAttribute("tabindex", "0"); }
    if (!box.hasAttribute("role")) { box.setAttribute("role", "region"); }
    if (!box.hasAttribute("aria-label")) {
      var head = box.querySelector("caption, thead th, h2, h3");
      box.setAttribute("aria-label", head ? head.textContent.trim() : (document.title || "table"));
    }
  });
}
document.addEventListener("DOMContentLoaded", function () { focusableScrollers(document); });
document.addEventListener("htmx:afterSwap", function (evt) { focusableScrollers(evt.target); });
