// Greenlane: small progressive enhancements. Every page works without this file.
(function () {
  "use strict";

  // A form shown again with errors: move focus to its summary so that it is read first.
  function focusSummary() {
    var target = document.getElementById("error-summary") || document.getElementById("case-alert");
    if (target) {
      target.focus();
    }
  }

  // A site entered as a point or as an outline: show only the inputs of the chosen mode.
  function siteModes(root) {
    root.querySelectorAll("fieldset.site").forEach(function (set) {
      var radios = set.querySelectorAll("input[type=radio][name$='__mode']");
      if (!radios.length) {
        return;
      }
      var pair = set.querySelector(".pair");
      var outline = set.querySelector("textarea[name$='__polygon']");
      var outlineField = outline ? outline.closest(".field") : null;
      function sync() {
        var polygon = set.querySelector("input[value=polygon]:checked") !== null;
        if (pair) { pair.hidden = polygon; }
        if (outlineField) { outlineField.hidden = !polygon; }
      }
      radios.forEach(function (r) { r.addEventListener("change", sync); });
      sync();
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    focusSummary();
    siteModes(document);
  });
})();
