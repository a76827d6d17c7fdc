// Horde's small browser behaviours. No inline scripts anywhere (the CSP forbids them): everything is wired here
// through data- attributes, and re-wired after htmx swaps new content in.
(function () {
  "use strict";

  function snap64(value) {
    return Math.max(64, Math.min(3072, Math.round(value / 64) * 64));
  }

  function copyFrom(button) {
    var target = document.querySelector(button.getAttribute("data-copy-target"));
    if (!target) return;
    var text = target.value || target.textContent;
    var status = button.closest("div").parentElement.querySelector("[data-copy-status]");
    function done(ok) {
      if (status) status.textContent = ok ? "Copied." : "Select the text and copy it by hand.";
      button.textContent = ok ? "Copied" : "Copy";
    }
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(text).then(function () { done(true); }, function () { done(false); });
    } else {
      target.select();
      done(document.execCommand && document.execCommand("copy"));
    }
  }

  function sizeForm(root) {
    var width = root.querySelector("#width");
    var height = root.querySelector("#height");
    var lock = root.querySelector("#lock_ratio");
    if (!width || !height) return;
    var ratio = (Number(width.value) || 512) / (Number(height.value) || 512);
    function remember() { ratio = (Number(width.value) || 512) / (Number(height.value) || 512); }
    function changed(source, other, forward) {
      if (lock && lock.checked) {
        var v = Number(source.value) || 64;
        other.value = snap64(forward ? v / ratio : v * ratio);
      } else {
        remember();
      }
    }
    width.addEventListener("change", function () { width.value = snap64(Number(width.value) || 512); changed(width, height, true); });
    height.addEventListener("change", function () { height.value = snap64(Number(height.value) || 512); changed(height, width, false); });
    if (lock) lock.addEventListener("change", remember);
    root.querySelectorAll("[data-size-preset]").forEach(function (button) {
      button.addEventListener("click", function () {
        width.value = button.getAttribute("data-width");
        height.value = button.getAttribute("data-height");
        remember();
        width.dispatchEvent(new Event("change", { bubbles: true }));
      });
    });
    var swap = root.querySelector("[data-size-swap]");
    if (swap) swap.addEventListener("click", function () {
      var w = width.value;
      width.value = height.value;
      height.value = w;
      remember();
      width.dispatchEvent(new Event("change", { bubbles: true }));
    });
  }

  function sourceInput(root) {
    var input = root.querySelector("[data-source-input]");
    var flag = root.querySelector("#has_source");
    if (!input || !flag) return;
    input.addEventListener("change", function () {
      flag.value = input.files && input.files.length ? "on" : (root.querySelector("[name=source_from]") ? "on" : "");
      flag.dispatchEvent(new Event("change", { bubbles: true }));
    });
  }

  function init(root) {
    root.querySelectorAll("[data-absolute-url]").forEach(function (input) {
      if (input.value.charAt(0) === "/") input.value = window.location.origin + input.value;
    });
    root.querySelectorAll("[data-submit-on-ctrl-enter]").forEach(function (area) {
      area.addEventListener("keydown", function (event) {
        if (event.key === "Enter" && (event.ctrlKey || event.metaKey) && area.form) {
          event.preventDefault();
          area.form.requestSubmit();
        }
      });
    });
    var form = root.querySelector("#generate-form");
    if (form) { sizeForm(form); sourceInput(form); }
  }

  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-copy-target]");
    if (button) copyFrom(button);
  });
  document.addEventListener("DOMContentLoaded", function () { init(document); });
  document.addEventListener("htmx:afterSettle", function (event) {
    var target = event.detail && event.detail.elt;
    if (target && target.querySelectorAll) {
      target.querySelectorAll("[data-absolute-url]").forEach(function (input) {
        if (input.value.charAt(0) === "/") input.value = window.location.origin + input.value;
      });
    }
  });
})();
