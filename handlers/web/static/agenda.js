// The agenda's drag and drop: dropping an item posts its new position, as the up and down
// buttons do one step at a time, then the page shows the agenda as the server now has it.
// No framework; loaded from this site only (the Content-Security-Policy allows nothing else).
(function () {
  "use strict";
  var list = document.getElementById("agenda");
  if (!list) { return; }
  var dragged = null;
  list.addEventListener("dragstart", function (event) {
    dragged = event.target.closest("li.item");
    if (!dragged) { return; }
    dragged.classList.add("dragging");
    event.dataTransfer.effectAllowed = "move";
    event.dataTransfer.setData("text/plain", dragged.dataset.number);
  });
  list.addEventListener("dragend", function () {
    if (dragged) { dragged.classList.remove("dragging"); }
    dragged = null;
  });
  list.addEventListener("dragover", function (event) {
    if (dragged && event.target.closest("li.item")) { event.preventDefault(); }
  });
  list.addEventListener("drop", function (event) {
    var target = event.target.closest("li.item");
    if (!dragged || !target || target === dragged) { return; }
    event.preventDefault();
    var body = new URLSearchParams();
    body.set("csrf", list.dataset.csrf);
    body.set("position", target.dataset.number);
    fetch("/meetings/" + list.dataset.meeting + "/agenda/items/" + dragged.dataset.number + "/to", {
      method: "POST", body: body, credentials: "same-origin", headers: { "HX-Request": "true" }
    }).then(function () { window.location.assign(window.location.pathname + "?done=moved"); });
  });
}());
