// "Imprimer": the browser's print dialog; site.css's print rules keep only the part of the
// page marked .hub-print-area. Without JavaScript the button stays hidden (the browser's own
// menu still prints). A file, not inline code: the pages' CSP allows only 'self' scripts.
(function () {
  var buttons = document.querySelectorAll("button[data-print]");
  for (var i = 0; i < buttons.length; i++) {
    buttons[i].hidden = false;
    buttons[i].addEventListener("click", function () { window.print(); });
  }
})();
