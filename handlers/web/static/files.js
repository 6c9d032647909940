// File buttons in the page's language: the browser's own file input (its "Choose file" and
// "No file chosen" follow the browser's language, not the page's) is hidden behind a label,
// and this writes the chosen files' names beside it. Loaded from this site only.
(function () {
  "use strict";
  document.addEventListener("change", function (event) {
    var input = event.target;
    if (!input.matches || !input.matches(".file-pick input[type=file]")) { return; }
    var shown = input.parentElement.querySelector(".file-names");
    if (!shown) { return; }
    var names = Array.prototype.map.call(input.files, function (file) { return file.name; });
    shown.textContent = names.length === 0 ? shown.dataset.none
      : names.length > 3 ? shown.dataset.many.replace("{count}", String(names.length)) : names.join(", ");
  });
}());
