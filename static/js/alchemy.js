// The alchemy page: check the chosen image's type and size before it is sent (the server checks again), and
// show a preview. A file that will be refused blocks the submit and says why, next to the field.
(function () {
  "use strict";
  var TYPES = ["image/png", "image/jpeg", "image/webp"];

  function mb(bytes) {
    return (bytes / 1048576).toFixed(1).replace(/\.0$/, "");
  }

  function wire(input) {
    var field = input.closest(".field");
    var error = field.querySelector("[data-upload-error]");
    var preview = field.querySelector("[data-upload-preview]");
    var max = Number(input.getAttribute("data-max-bytes")) || Infinity;
    var url = null;
    input.addEventListener("change", function () {
      var file = input.files && input.files[0];
      var problem = "";
      if (file && file.type && TYPES.indexOf(file.type) < 0) {
        problem = "This file is not a PNG, JPEG or WebP image.";
      } else if (file && file.size > max) {
        problem = "This image is " + mb(file.size) + " MB; the most is " + mb(max) + " MB.";
      }
      input.setCustomValidity(problem);
      error.textContent = problem;
      error.hidden = !problem;
      field.classList.toggle("has-error", Boolean(problem));
      if (url) { URL.revokeObjectURL(url); url = null; }
      if (file && !problem) {
        url = URL.createObjectURL(file);
        preview.src = url;
        preview.hidden = false;
      } else {
        preview.hidden = true;
        preview.removeAttribute("src");
      }
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("[data-alchemy-source]").forEach(wire);
  });
})();
