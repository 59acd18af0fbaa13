// Strength meter for new-password fields (progressive enhancement: the server checks the
// rules anyway). A field with data-strength-labels gets a live message under it.
(function () {
  function level(value) {
    var classes = 0;
    if (/[a-z]/.test(value)) classes++;
    if (/[A-Z]/.test(value)) classes++;
    if (/[0-9]/.test(value)) classes++;
    if (/[^A-Za-z0-9]/.test(value)) classes++;
    var score = Math.min(value.length, 20) / 4 + classes * 2;
    if (value.length < 8 || score < 7) return 0;
    if (score < 10) return 1;
    return 2;
  }
  document.querySelectorAll("input[data-strength-labels]").forEach(function (input) {
    var labels = input.getAttribute("data-strength-labels").split("|");
    var output = document.createElement("p");
    output.id = input.id + "-strength";
    output.className = "fr-message fr-text--sm password-strength";
    output.setAttribute("aria-live", "polite");
    input.parentNode.parentNode.insertBefore(output, input.parentNode.nextSibling);
    var described = input.getAttribute("aria-describedby");
    input.setAttribute("aria-describedby", (described ? described + " " : "") + output.id);
    input.addEventListener("input", function () {
      var value = input.value;
      output.textContent = value ? labels[level(value)] : "";
      output.setAttribute("data-level", value ? String(level(value)) : "");
    });
  });
})();
