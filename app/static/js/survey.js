/*
 * Progressive enhancement for the questionnaire pages; every page works without it.
 * - Autosave: answers are posted (debounced) to the page's JSON endpoint while the respondent
 *   answers, with the CSRF token, and a visible, announced "Saved" state.
 * - Character counters for free-text answers.
 * - The submit button is disabled after the first click (the server is idempotent anyway).
 * No inline script is needed: everything is configured through data attributes.
 */
(function () {
  "use strict";

  var RADIO_DELAY = 500;
  var TEXT_DELAY = 1500;

  function format(template, values) {
    return template.replace(/\{(\w+)\}/g, function (match, key) {
      return Object.prototype.hasOwnProperty.call(values, key) ? values[key] : match;
    });
  }

  function setupCounters(form) {
    var template = form.getAttribute("data-msg-chars") || "{count} / {max}";
    var areas = form.querySelectorAll("textarea[maxlength]");
    Array.prototype.forEach.call(areas, function (area) {
      var counter = form.querySelector('[data-char-count-for="' + area.name + '"]');
      if (!counter) return;
      var update = function () {
        counter.textContent = format(template, {
          count: area.value.length,
          max: area.getAttribute("maxlength"),
        });
      };
      area.addEventListener("input", update);
      update();
    });
  }

  function setupAutosave(form) {
    var url = form.getAttribute("data-autosave-url");
    var status = form.querySelector("[data-save-status]");
    var tokenInput = form.querySelector('input[name="csrf_token"]');
    var timer = null;
    var dirty = false;
    var inFlight = false;
    var again = false;
    var stopped = false;

    function show(kind, text) {
      if (!status) return;
      status.textContent = text;
      status.setAttribute("data-state", kind);
    }

    function updateProgress(data) {
      if (typeof data.answered !== "number") return;
      var counts = document.querySelectorAll("[data-answered-count]");
      Array.prototype.forEach.call(counts, function (el) {
        el.textContent = String(data.answered);
      });
      var bar = document.querySelector("[data-answered-bar]");
      if (bar) bar.value = data.answered;
    }

    function stop(kind, message) {
      stopped = true;
      show(kind, message);
    }

    function save() {
      timer = null;
      if (stopped || !dirty) return;
      if (inFlight) {
        again = true;
        return;
      }
      dirty = false;
      inFlight = true;
      show("saving", form.getAttribute("data-msg-saving"));
      fetch(url, {
        method: "POST",
        body: new FormData(form),
        credentials: "same-origin",
        headers: {
          Accept: "application/json",
          "X-CSRFToken": tokenInput ? tokenInput.value : "",
        },
      })
        .then(function (response) {
          return response
            .json()
            .catch(function () {
              return {};
            })
            .then(function (data) {
              return { code: response.status, data: data };
            });
        })
        .then(function (result) {
          if (result.code === 200 || result.code === 422) {
            updateProgress(result.data);
            var time = new Date().toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });
            show("saved", form.getAttribute("data-msg-saved") + " " + time);
          } else if (result.code === 409) {
            stop("error", form.getAttribute("data-msg-locked"));
          } else if (result.code === 410) {
            stop("error", form.getAttribute("data-msg-closed"));
          } else if (result.code === 403) {
            stop("error", form.getAttribute("data-msg-signed-out"));
          } else {
            dirty = true;
            show("error", form.getAttribute("data-msg-error"));
          }
        })
        .catch(function () {
          dirty = true;
          show("error", form.getAttribute("data-msg-error"));
        })
        .then(function () {
          inFlight = false;
          if (again) {
            again = false;
            schedule(0);
          }
        });
    }

    function schedule(delay) {
      dirty = true;
      if (timer) window.clearTimeout(timer);
      timer = window.setTimeout(save, delay);
    }

    form.addEventListener("change", function (event) {
      if (event.target && event.target.type === "radio") schedule(RADIO_DELAY);
    });
    form.addEventListener("input", function (event) {
      if (event.target && event.target.tagName === "TEXTAREA") schedule(TEXT_DELAY);
    });
    form.addEventListener("submit", function () {
      // The page post saves everything; a pending autosave would only race it.
      if (timer) window.clearTimeout(timer);
      stopped = true;
    });
    // A tab closed or hidden mid-way: send what is pending without waiting for an answer.
    document.addEventListener("visibilitychange", function () {
      if (document.visibilityState !== "hidden" || !dirty || stopped) return;
      if (timer) window.clearTimeout(timer);
      if (navigator.sendBeacon && navigator.sendBeacon(url, new FormData(form))) {
        dirty = false;
      }
    });
  }

  function setupSubmitOnce(form) {
    form.addEventListener("submit", function () {
      var buttons = form.querySelectorAll("button[type=submit]");
      window.setTimeout(function () {
        Array.prototype.forEach.call(buttons, function (button) {
          button.disabled = true;
        });
      }, 0);
    });
  }

  function init() {
    Array.prototype.forEach.call(document.querySelectorAll("form[data-autosave-url]"), function (form) {
      setupCounters(form);
      if (window.fetch && window.FormData) setupAutosave(form);
    });
    Array.prototype.forEach.call(document.querySelectorAll("form[data-submit-once]"), setupSubmitOnce);
    var summary = document.getElementById("error-summary");
    if (summary) summary.focus();
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
