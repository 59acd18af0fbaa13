// APA deposit: shows the upload's progress (progressive: without JavaScript the form posts
// normally). The answer replaces the page, as a normal post would.
(function () {
  var form = document.getElementById("deposit-form");
  if (!form) return;
  var input = document.getElementById("fichier");

  // A new upload starts clean: the previous attempt's error (the summary, the field's
  // message and state) and its success notice no longer describe what is on screen.
  function clearPreviousOutcome() {
    var stale = document.querySelectorAll("#error-summary, #fichier-error, .apa-outcome");
    for (var i = 0; i < stale.length; i++) stale[i].parentNode.removeChild(stale[i]);
    var group = form.querySelector(".fr-upload-group");
    if (group) group.classList.remove("fr-input-group--error");
    input.removeAttribute("aria-invalid");
    input.removeAttribute("aria-describedby");
  }
  input.addEventListener("change", clearPreviousOutcome);
  form.setAttribute("data-enhanced", "");  // tests wait for it (the answer's page loads this again)

  if (!window.XMLHttpRequest || !window.FormData) return;
  form.addEventListener("submit", function (event) {
    if (!input.files || !input.files.length) return;  // the server says what is missing
    event.preventDefault();
    clearPreviousOutcome();
    var box = form.querySelector(".apa-progress");
    var bar = document.getElementById("deposit-progress");
    var percent = document.getElementById("deposit-percent");
    bar.value = 0;
    bar.textContent = percent.textContent = "0%";
    box.hidden = false;
    form.querySelector("button[type=submit]").disabled = true;
    var xhr = new XMLHttpRequest();
    xhr.open("POST", form.action);
    xhr.upload.addEventListener("progress", function (e) {
      if (!e.lengthComputable) return;
      var value = Math.round((e.loaded / e.total) * 100);
      bar.value = value;
      bar.textContent = percent.textContent = value + "%";
    });
    xhr.addEventListener("load", function () {
      if (xhr.responseURL && xhr.responseURL !== form.action) {
        window.location.assign(xhr.responseURL);
        return;
      }
      document.open();
      document.write(xhr.responseText);
      document.close();
    });
    xhr.addEventListener("error", function () { form.submit(); });
    xhr.send(new FormData(form));
  });
})();
