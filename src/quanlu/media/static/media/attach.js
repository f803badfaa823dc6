/* quanlu media: attach photos and videos to a transcript from its own page.
   Each file goes up resumably with tus (tus-js-client, vendored), with its own
   progress bar; when it is complete the record is linked to the transcript through
   the media link service (POST /media/<id>/link/). A cut network is retried: tus
   asks the server how much it kept and sends the rest. */
(function () {
  "use strict";
  var RETRY = [0, 1000, 2000, 4000, 8000, 8000, 15000, 15000, 30000, 30000, 30000, 60000];

  function row(list, file) {
    var li = document.createElement("li");
    li.className = "attach-item";
    var name = document.createElement("span");
    name.className = "attach-name";
    name.textContent = file.name;
    var bar = document.createElement("progress");
    bar.max = 100; bar.value = 0;
    var state = document.createElement("span");
    state.className = "attach-state muted";
    state.textContent = "等待上传";
    li.appendChild(name); li.appendChild(bar); li.appendChild(state);
    list.appendChild(li);
    return { li: li, bar: bar, state: state };
  }

  // The section's list and count, fetched again once a record is linked to the
  // transcript, so they are right without reloading the page.
  function refresh(box) {
    var list = box.closest(".doc-media").querySelector(".doc-media-list");
    if (!list) return;
    fetch(list.dataset.refresh, { credentials: "same-origin" }).then(function (r) {
      return r.ok ? r.text() : null;
    }).then(function (html) {
      if (!html) return;
      var fresh = new DOMParser().parseFromString(html, "text/html").querySelector(".doc-media-list");
      var now = box.closest(".doc-media").querySelector(".doc-media-list");
      if (fresh && now) now.replaceWith(fresh);
    }).catch(function () { /* the list stays as it was; a reload shows it */ });
  }

  function link(box, record, ui) {
    var body = new URLSearchParams();
    body.set("document_uid", box.dataset.document);
    body.set("csrfmiddlewaretoken", box.dataset.csrf);
    return fetch(box.dataset.link.replace("RECORD", record), {
      method: "POST", credentials: "same-origin", body: body,
      headers: { "Accept": "application/json", "X-CSRFToken": box.dataset.csrf }
    }).then(function (r) {
      return r.json().then(function (j) {
        if (!r.ok) throw new Error(j.message || "关联失败");
        ui.state.textContent = "已上传并关联";
        ui.li.classList.add("done");
        refresh(box);
      });
    }).catch(function (e) {
      ui.state.textContent = "已上传，关联失败：" + e.message;
      ui.li.classList.add("failed");
    });
  }

  function send(box, file, ui) {
    return new Promise(function (resolve) {
      var upload = new tus.Upload(file, {
        endpoint: box.dataset.tus,
        retryDelays: RETRY,
        chunkSize: 256 * 1024,
        removeFingerprintOnSuccess: true,
        storeFingerprintForResuming: true,
        metadata: { case: box.dataset.case, filename: file.name, filetype: file.type || "" },
        headers: { "X-CSRFToken": box.dataset.csrf },
        onProgress: function (sent, total) {
          var pct = total ? Math.floor(100 * sent / total) : 0;
          ui.bar.value = pct;
          ui.state.textContent = pct + "%";
        },
        onShouldRetry: function (err) {
          // A refusal (4xx) is final, except a conflict or lock that a retry resolves;
          // a cut connection or a server hiccup is retried, resuming from the offset.
          var status = err && err.originalResponse ? err.originalResponse.getStatus() : 0;
          if (status >= 400 && status < 500 && status !== 409 && status !== 423) return false;
          ui.state.textContent = navigator.onLine === false ? "网络中断，恢复后自动续传…" : "连接中断，正在续传…";
          return true;
        },
        onError: function (err) {
          var msg = (err && err.originalResponse && err.originalResponse.getBody()) || String(err);
          try { msg = JSON.parse(msg).message || msg; } catch (e) { /* not JSON */ }
          ui.state.textContent = "上传失败：" + msg;
          ui.li.classList.add("failed");
          resolve();
        },
        onSuccess: function (payload) {
          var res = payload && payload.lastResponse;
          var record = res && res.getHeader("Quanlu-Record");
          ui.bar.value = 100;
          if (!record) { ui.state.textContent = "已上传"; resolve(); return; }
          ui.state.textContent = "正在关联…";
          link(box, record, ui).then(resolve);
        }
      });
      upload.findPreviousUploads().then(function (previous) {
        if (previous.length) upload.resumeFromPreviousUpload(previous[0]);
        upload.start();
      });
    });
  }

  document.querySelectorAll(".attach").forEach(function (box) {
    var input = box.querySelector(".attach-input"), list = box.querySelector(".attach-list");
    input.addEventListener("change", function () {
      var files = Array.prototype.slice.call(input.files || []);
      if (!files.length) return;
      var jobs = files.map(function (f) { return { file: f, ui: row(list, f) }; });
      input.value = "";
      // One file at a time: a phone's uplink is the limit, and the first file
      // finishes (and is linked) sooner.
      jobs.reduce(function (p, j) { return p.then(function () { return send(box, j.file, j.ui); }); }, Promise.resolve())
        .then(function () { box.dataset.finished = String(Number(box.dataset.finished || 0) + jobs.length); });
    });
  });
})();
