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
