// Copy buttons: <button data-copy-target="ID"> copies the value or text of element ID.
(function () {
  "use strict";
  function copyText(text) {
    if (navigator.clipboard && window.isSecureContext) {
      return navigator.clipboard.writeText(text);
    }
    // Plain-HTTP deployments (an intranet) have no Clipboard API: fall back to selection.
    var area = document.createElement("textarea");
    area.value = text;
    area.setAttribute("readonly", "");
    area.style.position = "fixed";
    area.style.opacity = "0";
    document.body.appendChild(area);
    area.select();
    var ok = false;
    try { ok = document.execCommand("copy"); } catch (e) { ok = false; }
    document.body.removeChild(area);
    return ok ? Promise.resolve() : Promise.reject(new Error("copy failed"));
  }
  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-copy-target]");
    if (!button) { return; }
    var source = document.getElementById(button.getAttribute("data-copy-target"));
    if (!source) { return; }
    var text = source.value !== undefined ? source.value : source.textContent;
    var status = button.parentElement.querySelector(".copy-status");
    copyText(text.trim()).then(function () {
      if (status) { status.textContent = button.getAttribute("data-copied-label") || "Copied"; }
      button.classList.add("copied");
    }, function () {
      if (source.select) { source.select(); }
      if (status) { status.textContent = button.getAttribute("data-failed-label") || ""; }
    });
  });
})();
