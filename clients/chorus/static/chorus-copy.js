// "Copier" buttons of the secret page: copy the text of the element named by data-copy.
document.querySelectorAll("button[data-copy]").forEach(function (button) {
  button.hidden = false;
  button.addEventListener("click", function () {
    var source = document.getElementById(button.getAttribute("data-copy"));
    var done = document.getElementById(button.getAttribute("data-copy") + "-copied");
    navigator.clipboard.writeText(source.textContent.trim()).then(function () {
      if (done) { done.hidden = false; }
    });
  });
});
