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
    // Full screen, either way up: the canvas takes the whole viewport at the
    // screen's own resolution, and keeps what was written when the phone turns.
    var box = form.querySelector(".sigpad-box");
    function fit() {
      var ratio = Math.min(window.devicePixelRatio || 1, 2);
      var w = Math.round(canvas.clientWidth * ratio), h = Math.round(canvas.clientHeight * ratio);
      if (!w || !h || (w === canvas.width && h === canvas.height)) return;
      var keep = document.createElement("canvas");
      keep.width = canvas.width; keep.height = canvas.height;
      keep.getContext("2d").drawImage(canvas, 0, 0);
      canvas.width = w; canvas.height = h;
      ctx.lineWidth = 4 * ratio; ctx.lineCap = "round"; ctx.lineJoin = "round"; ctx.strokeStyle = "#111";
      if (inked) ctx.drawImage(keep, 0, 0, w, h);
    }
    function full(on) {
      box.classList.toggle("fullscreen", on);
      document.body.classList.toggle("sigpad-open", on);
      if (on && box.requestFullscreen) {
        box.requestFullscreen().then(function () {
          if (screen.orientation && screen.orientation.lock) return screen.orientation.lock("landscape");
        }).catch(function () { /* a browser that refuses still shows the overlay */ });
      } else if (!on && document.fullscreenElement) {
        document.exitFullscreen().catch(function () {});
      }
      window.requestAnimationFrame(fit);
    }
    form.querySelector(".sigpad-full").addEventListener("click", function () { full(true); });
    form.querySelector(".sigpad-exit").addEventListener("click", function () { full(false); });
    window.addEventListener("resize", function () { if (box.classList.contains("fullscreen")) fit(); });
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

  // Drafts kept on this device per case and form, so a timed-out session or a lost
  // connection loses nothing: restored when the form is opened again (after the
  // login page brings the officer back to it), dropped once the document is made.
  var PENDING = "quanlu-draft-pending";
  function draft(form) {
    var key = form.dataset.draftKey, note = document.querySelector(".draft-note");
    function save() {
      var fields = [];
      form.querySelectorAll("[name]").forEach(function (el) {
        if (el.name === "csrfmiddlewaretoken" || el.name === "client_token" || el.type === "file") return;
        if (el.type === "checkbox" || el.type === "radio") fields.push([el.name, el.value, el.checked]);
        else fields.push([el.name, el.value]);
      });
      try { localStorage.setItem(key, JSON.stringify({ at: Date.now(), fields: fields })); } catch (e) { /* full or private */ }
    }
    function restore(saved) {
      var seen = {};
      saved.fields.forEach(function (f) {
        var els = form.querySelectorAll("[name='" + f[0].replace(/'/g, "") + "']");
        if (f.length === 3) {
          els.forEach(function (el) { if (el.value === f[1]) el.checked = f[2]; });
        } else {
          var i = seen[f[0]] || 0; seen[f[0]] = i + 1;
          if (els[i]) els[i].value = f[1];
        }
      });
      form.dispatchEvent(new Event("change"));
    }
    var saved = null;
    try { saved = JSON.parse(localStorage.getItem(key) || "null"); } catch (e) { saved = null; }
    if (saved && saved.fields && form.dataset.fresh === "1") {
      restore(saved);
      if (note) {
        var when = new Date(saved.at);
        note.textContent = "已恢复您在本机自动保存的草稿（" + when.getHours() + ":" + String(when.getMinutes()).padStart(2, "0") +
          "）。登录超时或网络中断不会丢失已填写的内容。";
        var drop = document.createElement("button");
        drop.type = "button"; drop.textContent = "放弃草稿，重新填写";
        drop.addEventListener("click", function () { localStorage.removeItem(key); window.location.reload(); });
        note.appendChild(document.createTextNode(" ")); note.appendChild(drop);
        note.hidden = false;
      }
    }
    var timer = null;
    form.addEventListener("input", function () { clearTimeout(timer); timer = setTimeout(save, 400); });
    form.addEventListener("change", save);
    form.addEventListener("submit", function () {
      save();
      try { sessionStorage.setItem(PENDING, key); } catch (e) { /* ignore */ }
    });
  }
  // The document page after a successful save: its draft is no longer needed.
  if (document.querySelector("[data-document-made]")) {
    try {
      var done = sessionStorage.getItem(PENDING);
      if (done) { localStorage.removeItem(done); sessionStorage.removeItem(PENDING); }
    } catch (e) { /* ignore */ }
  }

  // The field app (quanlu.field) builds its party signature form after load.
  window.quanluSignaturePad = pad;
  document.querySelectorAll("form.sigpad-form").forEach(pad);
  document.querySelectorAll("form.doc-form[data-draft-key]").forEach(draft);
  document.querySelectorAll(".rows").forEach(rows);
  document.querySelectorAll("form.doc-form").forEach(conditions);
})();
