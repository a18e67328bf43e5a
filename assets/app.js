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

  // Market forms: the total in yuan as the amount or the price is typed (the server checks).
  function yuan(fen) {
    var whole = Math.floor(fen / 100).toString().replace(/\B(?=(\d{3})+(?!\d))/g, ",");
    var cents = (fen % 100).toString();
    return "\u00a5" + whole + "." + (cents.length < 2 ? "0" + cents : cents);
  }
  function totals(root) {
    root.querySelectorAll("[data-total-target]").forEach(function (input) {
      var out = document.getElementById(input.getAttribute("data-total-target"));
      var amountInput = input.hasAttribute("data-total-amount")
        ? document.getElementById(input.getAttribute("data-total-amount")) : input;
      var fixed = input.getAttribute("data-total-price");
      var typedInYuan = input.hasAttribute("data-total-yuan");
      function sync() {
        var whole = function (v) { var n = Number((v || "").replace(/[, ]/g, "")); return Number.isInteger(n) && n > 0 ? n : 0; };
        // A price typed in yuan, with at most two decimals, as fen.
        var fen = function (v) {
          var t = (v || "").replace(/[,\s\u00a5\uffe5]/g, "");
          if (!/^\d+(\.\d{1,2})?$/.test(t)) { return 0; }
          var parts = t.split(".");
          return Number(parts[0]) * 100 + Number(((parts[1] || "") + "00").slice(0, 2));
        };
        var amount = whole(amountInput.value);
        var price = fixed !== null ? whole(fixed) : (typedInYuan ? fen(input.value) : whole(input.value));
        out.textContent = amount && price ? "= " + yuan(amount * price) : "";
      }
      input.addEventListener("input", sync);
      amountInput.addEventListener("input", sync);
      sync();
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    focusSummary();
    siteModes(document);
    totals(document);
  });
})();
