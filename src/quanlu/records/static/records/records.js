/* quanlu records: the touch signature pad, repeating rows, conditional fields.
   Plain JavaScript, no dependencies; the pages work without it except the pad. */
(function () {
  "use strict";

  function pad(form) {
    var canvas = form.querySelector("canvas.sigpad");
    var hidden = form.querySelector("input[name=image]");
    var ctx = canvas.getContext("2d");
    var drawing = false, inked = false, last = null;
    ctx.lineWidth = 4; ctx.lineCap = "round"; ctx.lineJoin = "round"; ctx.strokeStyle = "#111";
    function at(e) {
      var r = canvas.getBoundingClientRect();
      return { x: (e.clientX - r.left) * canvas.width / r.width, y: (e.clientY - r.top) * canvas.height / r.height };
    }
    canvas.addEventListener("pointerdown", function (e) {
      drawing = true; last = at(e); canvas.setPointerCapture(e.pointerId); e.preventDefault();
    });
    canvas.addEventListener("pointermove", function (e) {
      if (!drawing) return;
      var p = at(e);
      ctx.beginPath(); ctx.moveTo(last.x, last.y); ctx.lineTo(p.x, p.y); ctx.stroke();
      last = p; inked = true; e.preventDefault();
    });
    ["pointerup", "pointercancel", "pointerleave"].forEach(function (t) {
      canvas.addEventListener(t, function () { drawing = false; });
    });
    form.querySelector(".sigpad-clear").addEventListener("click", function () {
      ctx.clearRect(0, 0, canvas.width, canvas.height); inked = false;
    });
    form.addEventListener("submit", function (e) {
      if (!inked) { e.preventDefault(); alert("请先在签名框内手写签名。"); return; }
      hidden.value = canvas.toDataURL("image/png");
    });
  }

  function rows(box) {
    var button = box.querySelector(".add-row");
    button.addEventListener("click", function () {
      var items = box.querySelectorAll(".row-item");
      var lastItem = items[items.length - 1];
      var copy = lastItem.cloneNode(true);
      var next = items.length;
      copy.dataset.index = next;
      copy.querySelectorAll("[name]").forEach(function (el) {
        el.name = el.name.replace(/__\d+__/, "__" + next + "__");
        if (el.tagName !== "SELECT") el.value = "";
      });
      var label = copy.querySelector(".muted");
      if (label) label.textContent = "第" + (next + 1) + "项";
      box.insertBefore(copy, button);
    });
  }

  function conditions(form) {
    var fields = form.querySelectorAll("[data-when-field]");
    function value(name) {
      var els = form.querySelectorAll("[name='" + name + "']");
      if (!els.length) return "";
      var el = els[0];
      if (el.type === "checkbox") return el.checked ? "true" : "";
      return el.value;
    }
    function update() {
      fields.forEach(function (f) {
        var v = value(f.dataset.whenField), op = f.dataset.whenOp, want = f.dataset.whenValue;
        var show = op === "in" ? want.split(",").indexOf(v) >= 0
          : op === "equals" ? (want === "True" ? v === "true" : v === want)
          : (v !== "") === (want === "True");
        f.hidden = !show;
      });
    }
    form.addEventListener("change", update);
    update();
  }

  document.querySelectorAll("form.sigpad-form").forEach(pad);
  document.querySelectorAll(".rows").forEach(rows);
  document.querySelectorAll("form.doc-form").forEach(conditions);
})();
