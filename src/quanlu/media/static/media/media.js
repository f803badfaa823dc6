/* quanlu media: upload progress. Plain JavaScript, no dependencies; the form works without it. */
(function () {
  "use strict";
  // Progress for large uploads on slow field networks; the form still works without it.
  document.querySelectorAll("form[data-upload]").forEach(function (form) {
    form.addEventListener("submit", function (ev) {
      if (!window.XMLHttpRequest || !window.FormData) return;
      ev.preventDefault();
      var bar = form.querySelector("progress"), button = form.querySelector("button");
      var xhr = new XMLHttpRequest();
      xhr.open("POST", form.action);
      xhr.setRequestHeader("Accept", "application/json");
      xhr.upload.onprogress = function (e) { if (e.lengthComputable) { bar.hidden = false; bar.value = 100 * e.loaded / e.total; } };
      xhr.onload = function () {
        var body = {}; try { body = JSON.parse(xhr.responseText); } catch (e) {}
        if (xhr.status < 300 && body.record) { window.location = "/media/" + body.record.id + "/"; }
        else { alert(body.message || "上传失败，请重试。"); button.disabled = false; bar.hidden = true; }
      };
      xhr.onerror = function () { alert("网络中断，上传未完成，请重试。"); button.disabled = false; };
      button.disabled = true;
      xhr.send(new FormData(form));
    });
  });
})();
