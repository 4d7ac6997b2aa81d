/* Dashboard progressive enhancement: every feature also works through plain links and forms. */
(function () {
  "use strict";

  // Sort the heatmap in place; the links still carry the server-side sort for no-JS use.
  function sortHeatmap(table, link) {
    var header = link.closest("th");
    var column = Array.prototype.indexOf.call(header.parentNode.children, header);
    var key = link.getAttribute("data-sort");
    var url = new URL(link.href, window.location.href);
    var dir = url.searchParams.get("dir") === "asc" ? "asc" : "desc";
    var body = table.tBodies[0];
    var rows = Array.prototype.slice.call(body.rows);
    var org = rows.filter(function (r) { return r.classList.contains("org-row"); });
    // Withheld rows never take part in a sort: their place would hint at what they hide.
    var hidden = rows.filter(function (r) { return r.classList.contains("suppressed-row"); });
    var shown = rows.filter(function (r) {
      return !r.classList.contains("org-row") && !r.classList.contains("suppressed-row");
    });
    {
      var valued = [], empty = [];
      shown.forEach(function (row) {
        var cell = row.cells[column];
        var raw = cell ? cell.getAttribute("data-value") : "";
        if (raw === null || raw === "") { empty.push(row); } else { valued.push([parseFloat(raw), row]); }
      });
      valued.sort(function (a, b) { return dir === "asc" ? a[0] - b[0] : b[0] - a[0]; });
      shown = valued.map(function (pair) { return pair[1]; }).concat(empty);
    }
    org.concat(shown, hidden).forEach(function (row) { body.appendChild(row); });
    table.querySelectorAll("thead .sort-link").forEach(function (other) {
      other.classList.remove("active");
      other.closest("th").removeAttribute("aria-sort");
      var mark = other.querySelector(".sort-mark");
      if (mark) { mark.remove(); }
    });
    link.classList.add("active");
    header.setAttribute("aria-sort", dir === "asc" ? "ascending" : "descending");
    var mark = document.createElement("span");
    mark.className = "sort-mark";
    mark.setAttribute("aria-hidden", "true");
    mark.textContent = dir === "asc" ? "▲" : "▼";
    link.appendChild(mark);
    // The next click on the same heading reverses the order.
    url.searchParams.set("dir", dir === "asc" ? "desc" : "asc");
    link.href = url.toString();
    var shownUrl = new URL(window.location.href);
    shownUrl.searchParams.set("sort", key);
    shownUrl.searchParams.set("dir", dir);
    window.history.replaceState(null, "", shownUrl.toString());
    var form = document.getElementById("compare-form");
    if (form) {
      form.querySelector("input[name=sort]").value = key;
      form.querySelector("input[name=dir]").value = dir;
    }
  }

  var heatmap = document.getElementById("heatmap");
  if (heatmap) {
    heatmap.addEventListener("click", function (event) {
      var link = event.target.closest("a.sort-link");
      // Sorting by name restores the hierarchy, which only the server knows: follow the link.
      if (!link || link.getAttribute("data-sort") === "name") { return; }
      if (event.ctrlKey || event.metaKey || event.shiftKey) { return; }
      event.preventDefault();
      sortHeatmap(heatmap, link);
    });
  }

  // At most five departments on one radar: further boxes are disabled once five are ticked.
  var compare = document.getElementById("compare-form");
  if (compare) {
    var boxes = compare.querySelectorAll("input[name=compare]:not([disabled])");
    var limit = function () {
      var ticked = compare.querySelectorAll("input[name=compare]:checked").length;
      boxes.forEach(function (box) {
        if (!box.checked) { box.disabled = ticked >= 5; }
      });
    };
    boxes.forEach(function (box) { box.addEventListener("change", limit); });
    limit();
  }

  document.querySelectorAll("select[data-autosubmit]").forEach(function (select) {
    select.addEventListener("change", function () { select.form.submit(); });
  });
})();
