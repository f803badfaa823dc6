/* 全录·现场: the field app. Works offline after one online visit on this device.

   What it keeps (IndexedDB "quanlu-field"):
   - meta: this device's id, its AES-GCM key (non-extractable, made here), the clock
     offset from the server measured when last online, the last sync's log;
   - keys: each enrolled officer's ECDSA P-256 private key, encrypted under a key
     derived from their PIN (PBKDF2-SHA-256), and the public key the server holds;
   - packs: the cases taken out (facts, parties, officers, forms, checks), encrypted;
   - records, chunks: what was captured, in capture order, encrypted; each hashed at
     capture (SHA-256 of the record's canonical JSON, or of the file's bytes, streamed
     with hash-wasm) and timestamped with the device clock and its offset.
   On return the records go to the server in capture order (files over tus), and each
   is wiped once the server answers with its receipt. */
(function () {
  "use strict";
  var body = document.body, API = body.dataset.api, TUS = body.dataset.tus;
  var CHUNK = 4 * 1024 * 1024, PBKDF2_ROUNDS = 310000;
  var db = null, aes = null, meta = {}, csrf = "", me = null, syncing = false;
  var enc = new TextEncoder(), dec = new TextDecoder();

  // ------------------------------------------------------------ IndexedDB
  function req(r) {
    return new Promise(function (ok, fail) { r.onsuccess = function () { ok(r.result); }; r.onerror = function () { fail(r.error); }; });
  }
  function openDb() {
    var r = indexedDB.open("quanlu-field", 1);
    r.onupgradeneeded = function () {
      var d = r.result;
      d.createObjectStore("meta", { keyPath: "k" });
      d.createObjectStore("keys", { keyPath: "officer" });
      d.createObjectStore("packs", { keyPath: "uid" });
      d.createObjectStore("records", { keyPath: "seq", autoIncrement: true });
      d.createObjectStore("chunks", { keyPath: ["uid", "n"] });
    };
    return req(r);
  }
  function store(name, mode) { return db.transaction(name, mode || "readonly").objectStore(name); }
  function put(name, value) { return req(store(name, "readwrite").put(value)); }
  function get(name, key) { return req(store(name).get(key)); }
  function all(name) { return req(store(name).getAll()); }
  function del(name, key) { return req(store(name, "readwrite").delete(key)); }
  function setMeta(k, v) { meta[k] = v; return put("meta", { k: k, v: v }); }

  // ------------------------------------------------------------ bytes and crypto
  function b64(buf) {
    var s = "", bytes = new Uint8Array(buf);
    for (var i = 0; i < bytes.length; i += 0x8000) s += String.fromCharCode.apply(null, bytes.subarray(i, i + 0x8000));
    return btoa(s);
  }
  function unb64(s) { var bin = atob(s), out = new Uint8Array(bin.length); for (var i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i); return out; }
  function hex(buf) { return Array.prototype.map.call(new Uint8Array(buf), function (b) { return ("0" + b.toString(16)).slice(-2); }).join(""); }
  function uuid() { return crypto.randomUUID(); }
  // RFC 8785 for the values records hold (strings, integers, booleans, null, lists,
  // objects): keys sorted by UTF-16 code units, strings spelled as JSON.stringify does.
  function canon(v) {
    if (Array.isArray(v)) return "[" + v.map(canon).join(",") + "]";
    if (v && typeof v === "object") return "{" + Object.keys(v).sort().map(function (k) { return JSON.stringify(k) + ":" + canon(v[k]); }).join(",") + "}";
    return JSON.stringify(v);
  }
  function sha256(bytes) { return crypto.subtle.digest("SHA-256", bytes).then(hex); }
  function seal(bytes) {
    var iv = crypto.getRandomValues(new Uint8Array(12));
    return crypto.subtle.encrypt({ name: "AES-GCM", iv: iv }, aes, bytes).then(function (ct) { return { iv: iv, ct: ct }; });
  }
  function open_(box) { return crypto.subtle.decrypt({ name: "AES-GCM", iv: box.iv }, aes, box.ct); }
  function sealJson(v) { return seal(enc.encode(JSON.stringify(v))); }
  function openJson(box) { return open_(box).then(function (b) { return JSON.parse(dec.decode(b)); }); }
  function pinKey(pin, salt) {
    return crypto.subtle.importKey("raw", enc.encode(pin), "PBKDF2", false, ["deriveKey"]).then(function (k) {
      return crypto.subtle.deriveKey({ name: "PBKDF2", salt: salt, iterations: PBKDF2_ROUNDS, hash: "SHA-256" }, k,
        { name: "AES-GCM", length: 256 }, false, ["encrypt", "decrypt"]);
    });
  }
  function now() { return new Date(); }
  function serverNow() { return new Date(Date.now() + (meta.offset || 0)); }

  // ------------------------------------------------------------ the server (online only)
  function api(path, data) {
    var init = { credentials: "same-origin", headers: { "Accept": "application/json" } };
    if (data) {
      init.method = "POST"; init.body = JSON.stringify(data);
      init.headers["Content-Type"] = "application/json"; init.headers["X-CSRFToken"] = csrf;
    }
    return fetch(API + path, init).then(function (r) {
      return r.json().catch(function () { return {}; }).then(function (j) {
        if (!r.ok) { var e = new Error(j.message || ("服务器错误 " + r.status)); e.status = r.status; throw e; }
        return j;
      });
    });
  }
  function hello() {
    var t0 = Date.now();
    return api("hello").then(function (j) {
      var t1 = Date.now();
      csrf = j.csrf; me = j.officer;
      // The server's clock minus ours, at the middle of the round trip.
      return setMeta("offset", Math.round(Date.parse(j.server_time) - (t0 + t1) / 2))
        .then(function () { return setMeta("seen", new Date().toISOString()); })
        .then(function () { return setMeta("me", me); });
    });
  }

  // ------------------------------------------------------------ small DOM kit
  function el(tag, attrs, kids) {
    var e = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) {
      if (k === "text") e.textContent = attrs[k];
      else if (k === "cls") e.className = attrs[k];
      else if (k.slice(0, 2) === "on") e.addEventListener(k.slice(2), attrs[k]);
      else if (attrs[k] === true) e.setAttribute(k, "");
      else if (attrs[k] !== false && attrs[k] != null) e.setAttribute(k, attrs[k]);
    });
    (kids || []).forEach(function (c) { if (c) e.appendChild(typeof c === "string" ? document.createTextNode(c) : c); });
    return e;
  }
  var view = document.getElementById("view");
  function say(msg, bad) { var s = document.getElementById("status"); s.textContent = msg || ""; s.classList.toggle("bad", !!bad); }
  function net() {
    var n = document.getElementById("net");
    n.textContent = navigator.onLine ? "在线" : "离线";
    n.className = "net " + (navigator.onLine ? "on" : "off");
  }

  // ------------------------------------------------------------ capture
  function capture(kind, caseUid, recordBody, sha, extra) {
    var rec = {
      uid: (extra && extra.uid) || uuid(), kind: kind, case: caseUid,
      captured_at: now().toISOString(), clock_offset_ms: meta.offset || 0, sha256: sha
    };
    return sealJson(recordBody).then(function (box) {
      rec.box = box;
      if (extra) { rec.name = extra.name; rec.size = extra.size; rec.type = extra.type; rec.chunks = extra.chunks; }
      return put("records", rec).then(function () { return rec; });
    });
  }
  function captureJson(kind, caseUid, recordBody) {
    return sha256(enc.encode(canon(recordBody))).then(function (sha) { return capture(kind, caseUid, recordBody, sha); });
  }
  // A photo or video: read in 4 MB slices, each hashed (streaming SHA-256, hash-wasm)
  // and stored encrypted, so a large video is never whole in memory.
  function captureFile(caseUid, docUid, file) {
    var uid = uuid(), n = 0;
    return hashwasm.createSHA256().then(function (h) {
      h.init();
      function next(offset) {
        if (offset >= file.size) return Promise.resolve();
        return file.slice(offset, offset + CHUNK).arrayBuffer().then(function (buf) {
          h.update(new Uint8Array(buf));
          return seal(buf).then(function (box) {
            return put("chunks", { uid: uid, n: n++, box: box });
          }).then(function () { return next(offset + CHUNK); });
        });
      }
      return next(0).then(function () {
        var sha = h.digest("hex");
        return capture("media", caseUid, { document: docUid, filename: file.name, type: file.type || "", size: file.size }, sha,
          { uid: uid, name: file.name, size: file.size, type: file.type, chunks: n });
      });
    });
  }
  function fileOf(rec) {
    var parts = [], i = 0;
    function next() {
      if (i >= rec.chunks) return Promise.resolve(new File(parts, rec.name, { type: rec.type || "" }));
      return get("chunks", [rec.uid, i++]).then(function (c) { return open_(c.box); }).then(function (b) { parts.push(b); return next(); });
    }
    return next();
  }
  function wipe(rec) {
    var jobs = [del("records", rec.seq)];
    for (var i = 0; i < (rec.chunks || 0); i++) jobs.push(del("chunks", [rec.uid, i]));
    return Promise.all(jobs);
  }

  // ------------------------------------------------------------ device credential
  function enroll(form) {
    var pin = form.pin.value, pin2 = form.pin2.value;
    if (!/^\d{6,}$/.test(pin)) { say("PIN 应为 6 位以上数字。", true); return; }
    if (pin !== pin2) { say("两次输入的 PIN 不一致。", true); return; }
    var salt = crypto.getRandomValues(new Uint8Array(16)), iv = crypto.getRandomValues(new Uint8Array(12)), spki;
    say("正在生成签名密钥…");
    crypto.subtle.generateKey({ name: "ECDSA", namedCurve: "P-256" }, true, ["sign", "verify"]).then(function (kp) {
      return Promise.all([crypto.subtle.exportKey("spki", kp.publicKey), crypto.subtle.exportKey("pkcs8", kp.privateKey)]);
    }).then(function (ks) {
      spki = ks[0];
      return pinKey(pin, salt).then(function (k) { return crypto.subtle.encrypt({ name: "AES-GCM", iv: iv }, k, ks[1]); });
    }).then(function (wrapped) {
      return hello().then(function () {
        return api("enroll", {
          device: meta.device, label: form.label.value || "现场终端", public_key: b64(spki),
          username: form.username ? form.username.value : "", password: form.password ? form.password.value : ""
        });
      }).then(function (j) {
        return put("keys", { officer: j.officer.uid, name: j.officer.name, salt: salt, iv: iv, wrapped: wrapped, spki: b64(spki) })
          .then(function () { return setMeta("label", form.label.value || "现场终端"); })
          .then(function () { say("已为" + j.officer.name + "登记本机签名凭证。"); route(); });
      });
    }).catch(function (e) { say("登记失败：" + e.message, true); });
  }
  function signWithPin(officerUid, pin, text) {
    return get("keys", officerUid).then(function (k) {
      if (!k) throw new Error("该执法人员未在本机登记签名凭证。");
      return pinKey(pin, k.salt).then(function (pk) {
        return crypto.subtle.decrypt({ name: "AES-GCM", iv: k.iv }, pk, k.wrapped).catch(function () { throw new Error("PIN 不正确，未签名。"); });
      });
    }).then(function (pkcs8) {
      return crypto.subtle.importKey("pkcs8", pkcs8, { name: "ECDSA", namedCurve: "P-256" }, false, ["sign"]);
    }).then(function (key) {
      return crypto.subtle.sign({ name: "ECDSA", hash: "SHA-256" }, key, enc.encode(text));
    }).then(b64);
  }

  // ------------------------------------------------------------ what the device holds for a case
  function caseRecords(caseUid) {
    return all("records").then(function (rs) {
      rs = rs.filter(function (r) { return r.case === caseUid; });
      return Promise.all(rs.map(function (r) { return openJson(r.box).then(function (b) { r.body = b; return r; }); }));
    });
  }
  function packOf(uid) { return get("packs", uid).then(function (p) { return p ? openJson(p.box) : null; }); }

  // The rules the device can evaluate itself (checks.js, from the pack's data).
  function checks(pack, doc, records) { return window.quanluFieldChecks(pack, doc, records); }

  // ------------------------------------------------------------ screens
  function route() {
    var m = /#case=([0-9a-f-]+)/.exec(location.hash);
    var t = /#take=([0-9a-f-]+)/.exec(location.hash);
    var d = /&doc=([0-9a-f-]+)/.exec(location.hash), n = /&type=([a-z_]+)/.exec(location.hash);
    if (m) return showCase(m[1], { doc: d && d[1], type: n && n[1] });
    return home(t ? t[1] : "");
  }

  function home(take) {
    return Promise.all([all("keys"), all("packs"), all("records")]).then(function (got) {
      var keys = got[0], packs = got[1], recs = got[2];
      view.textContent = "";
      var enrolled = el("section", { cls: "card", id: "enrol" }, [
        el("h2", { text: "本机签名凭证" }),
        el("p", { cls: "muted", text: "设备「" + (meta.label || "未命名") + "」· " + (keys.length ? keys.map(function (k) { return k.name; }).join("、") + " 已登记" : "尚无执法人员登记") })
      ]);
      if (navigator.onLine) {
        var f = el("form", { cls: "enrol-form", onsubmit: function (e) { e.preventDefault(); enroll(f); } }, [
          el("label", {}, ["设备名称 ", el("input", { name: "label", value: meta.label || "现场终端", maxlength: "100" })]),
          el("label", {}, ["其他执法人员用户名（为本人登记则留空） ", el("input", { name: "username", autocomplete: "off" })]),
          el("label", {}, ["其密码 ", el("input", { name: "password", type: "password", autocomplete: "off" })]),
          el("label", {}, ["签名 PIN（6 位以上数字） ", el("input", { name: "pin", type: "password", inputmode: "numeric", autocomplete: "off" })]),
          el("label", {}, ["再次输入 PIN ", el("input", { name: "pin2", type: "password", inputmode: "numeric", autocomplete: "off" })]),
          el("button", { type: "submit", cls: "primary", text: "登记本机签名凭证" })
        ]);
        enrolled.appendChild(f);
      }
      view.appendChild(enrolled);

      var carried = el("section", { cls: "card", id: "carried" }, [el("h2", { text: "离线携带的案件（" + packs.length + "）" })]);
      var list = el("ul", { cls: "plain" });
      carried.appendChild(list);
      Promise.all(packs.map(function (p) { return openJson(p.box); })).then(function (ps) {
        returnCard(ps);
        ps.forEach(function (p) {
          var n = recs.filter(function (r) { return r.case === p.case.uid; }).length;
          list.appendChild(el("li", {}, [el("span", { cls: "tag offline", text: "已离线" }), " ",
            el("a", { href: "#case=" + p.case.uid, cls: "case-link", text: p.case.number + " · " + p.case.cause }),
            n ? el("span", { cls: "muted", text: " 待同步 " + n + " 条" }) : null]));
        });
      });
      view.appendChild(carried);
      view.appendChild(newCaseCard());

      if (navigator.onLine && keys.length) {
        var pick = el("section", { cls: "card", id: "take" }, [el("h2", { text: "选择要离线携带的案件" }), el("p", { cls: "muted", text: "只下载这些案件现场需要的内容：案情、当事人、执法人员及证件、现场文书的格式和可在本机运行的检查。" })]);
        var ul = el("ul", { cls: "plain" });
        pick.appendChild(ul);
        view.appendChild(pick);
        hello().then(function () { return api("cases?device=" + meta.device); }).then(function (j) {
          j.cases.forEach(function (c) {
            var b = el("button", { type: "button", "data-case": c.uid, text: c.taken ? "已离线 · 重新下载" : "离线携带", onclick: function () { takeOut(c.uid); } });
            ul.appendChild(el("li", { cls: c.uid === take ? "wanted" : "" }, [c.number + " · " + c.cause + (c.mine ? "（我承办）" : "") + " ", b]));
          });
        }).catch(function (e) { say(e.status === 401 ? "请先联网登录后再携带案件。" : e.message, true); });
      }

      var pending = el("section", { cls: "card", id: "sync" }, [
        el("h2", { text: "同步" }),
        el("p", { id: "pending", text: recs.length ? "本机有 " + recs.length + " 条记录待同步。" : "本机没有待同步的记录。" }),
        el("button", { type: "button", cls: "primary", id: "sync-now", text: "立即同步", disabled: !navigator.onLine || !recs.length, onclick: sync }),
        navigator.onLine || !recs.length ? null : el("p", { cls: "muted", text: "现在离线：记录已加密保存在本机，联网后自动按采集顺序同步。" })
      ]);
      var log = meta.log || [];
      if (log.length) {
        var ol = el("ul", { cls: "plain sync-log" });
        log.forEach(function (l) {
          ol.appendChild(el("li", { cls: "receipt " + l.status, "data-uid": l.uid, "data-sha": l.server_sha256, "data-device-sha": l.device_sha256 },
            [l.label + "：" + l.status_label].concat(l.flags.map(function (f) { return el("div", { cls: "flag", text: f.message }); }))));
        });
        pending.appendChild(el("h3", { text: "服务器已确认接收（最近一次同步 " + new Date(meta.synced || Date.now()).toLocaleString("zh-CN") + "）" }));
        pending.appendChild(ol);
      }
      view.appendChild(pending);
    });
  }

  // 已返回: the officer says they are back, and, where the regulation allows storing
  // audio-visual records within its time after return, which circumstance kept them out.
  function returnCard(packs) {
    var reasons = {}, rule = null;
    packs.forEach(function (p) { if (p.upload && p.upload.after_return) { rule = p.upload; p.upload.reasons.forEach(function (r) { reasons[r[0]] = r[1]; }); } });
    var back = meta.returned;
    var card = el("section", { cls: "card", id: "return" }, [el("h2", { text: "返回所在机关" }),
      el("p", { cls: "muted", id: "returned-at", text: back ? "已记录返回时间：" + new Date(back.at).toLocaleString("zh-CN") + (back.reason ? "（" + (reasons[back.reason] || back.reason) + "）" : "") : "尚未记录返回时间（网络恢复时自动记录）。" })]);
    if (rule) {
      var sel = el("select", { id: "return-reason" }, [el("option", { value: "", text: "未能及时储存的情形（如有）" })].concat(Object.keys(reasons).map(function (k) { return el("option", { value: k, text: reasons[k] }); })));
      card.appendChild(el("p", { cls: "muted small", text: rule.article + "：可在返回后" + rule.after_return + "内储存音像记录。" }));
      card.appendChild(el("p", {}, [sel, " ", el("button", { type: "button", id: "returned", text: "已返回", onclick: function () {
        setMeta("away", true).then(function () { return noteReturn(sel.value); }).then(function () { say("已记录返回时间。"); route(); });
      } })]));
    } else if (packs.length) {
      card.appendChild(el("p", { cls: "muted small", text: "本机案件适用的规定未设返回后延期储存音像记录的情形：音像记录应在记录完成后按期储存。" }));
    }
    var carried = document.getElementById("carried");
    if (carried) carried.parentNode.insertBefore(card, carried.nextSibling);
  }

  // 现场新立案件: a case opened on site under a provisional number (临时编号). The
  // device keeps the agency's part of a pack (fetched while online); the server numbers
  // the case when the record arrives, and what is captured under it follows it.
  function fetchTemplate() {
    return api("new-case?device=" + meta.device).then(function (j) { return sealJson(j.pack); })
      .then(function (box) { return setMeta("template", box); });
  }
  function newCaseCard() {
    var card = el("section", { cls: "card", id: "new-case" }, [el("h2", { text: "现场新立案件" })]);
    if (!meta.template) {
      card.appendChild(el("p", { cls: "muted", text: "联网时携带案件后，即可在无网络时新立案件（临时编号，同步后由系统编号）。" }));
      return card;
    }
    openJson(meta.template).then(function (t) {
      var opt = function (name, list) { return el("select", { name: name }, list.map(function (c) { return el("option", { value: c[0], text: c[1] }); })); };
      var f = el("form", { cls: "new-case-form", id: "new-case-form" }, [
        el("label", {}, ["案由 *", el("input", { name: "cause", required: true })]),
        el("label", {}, ["立案（启动）理由 *", el("textarea", { name: "reason", rows: "2", required: true })]),
        el("label", {}, ["执法行为类别 ", opt("kind", t.choices.kind)]),
        el("label", {}, ["程序 ", opt("procedure", t.choices.procedure)]),
        el("label", {}, ["启动方式 ", opt("initiation_mode", t.choices.initiation_mode)]),
        el("label", {}, ["案件来源 ", opt("source", t.choices.source)]),
        el("h3", { text: "当事人" }),
        el("label", {}, ["类别 ", opt("party_kind", t.choices.party_kind)]),
        el("label", {}, ["名称或姓名 *", el("input", { name: "party_name", required: true })]),
        el("label", {}, ["证件类型 ", opt("id_type", t.choices.id_type)]),
        el("label", {}, ["证件号码 *", el("input", { name: "id_number", required: true })]),
        el("label", {}, ["法定代表人（单位必填） ", el("input", { name: "legal_representative" })]),
        el("button", { type: "submit", cls: "primary", text: "新立案件（临时编号）" })
      ]);
      f.addEventListener("submit", function (e) {
        e.preventDefault();
        var uid = uuid(), partyUid = uuid(), d = serverNow();
        var no = "临-" + d.toISOString().slice(0, 10).replace(/-/g, "") + "-" + uid.slice(0, 4).toUpperCase();
        var party = { uid: partyUid, kind: f.party_kind.value, name: f.party_name.value, id_type: f.id_type.value,
          id_number: f.id_number.value, legal_representative: f.legal_representative.value };
        var body = { provisional_no: no, parties: [party], case: { kind: f.kind.value, procedure: f.procedure.value,
          initiation_mode: f.initiation_mode.value, source: f.source.value, cause: f.cause.value, reason: f.reason.value } };
        var pack = Object.assign({}, t, { provisional: true,
          case: { uid: uid, number: no, cause: f.cause.value, stage: "initiation", stage_label: "程序启动（待同步编号）", agency: t.agency },
          parties: [{ uid: partyUid, name: party.name, legal_representative: party.legal_representative }] });
        sha256(enc.encode(canon(body))).then(function (sha) { return capture("case", uid, body, sha, { uid: uid }); })
          .then(function () { return sealJson(pack); })
          .then(function (box) { return put("packs", { uid: uid, box: box }); })
          .then(function () { say("已新立案件，临时编号 " + no + "。"); location.hash = "#case=" + uid; });
      });
      card.appendChild(f);
    });
    return card;
  }

  function takeOut(caseUid) {
    say("正在下载案件…");
    return hello().then(function () { return api("takeout", { device: meta.device, case: caseUid }); }).then(function (j) {
      return sealJson(j.pack).then(function (box) { return put("packs", { uid: caseUid, box: box }); });
    }).then(fetchTemplate).then(function () { say("已离线携带，可在无网络时使用。"); location.hash = "#case=" + caseUid; })
      .catch(function (e) { say("离线携带失败：" + e.message, true); });
  }

  function fieldInput(spec, pack) {
    var name = "f_" + spec.key, local = function (d) { var t = new Date(d.getTime() - d.getTimezoneOffset() * 60000); return t.toISOString().slice(0, 16); };
    var label = spec.label + (spec.required ? " *" : "");
    if (spec.type === "text") return el("label", {}, [label, el("input", { name: name, id: name })]);
    if (spec.type === "long_text") return el("label", {}, [label, el("textarea", { name: name, id: name, rows: "4" })]);
    if (spec.type === "datetime") return el("label", {}, [label, el("input", { name: name, id: name, type: "datetime-local", value: local(serverNow()) })]);
    if (spec.type === "boolean") return el("label", { cls: "check" }, [el("input", { type: "checkbox", name: name, id: name }), spec.label]);
    if (spec.type === "officer") {
      return el("label", {}, [label, el("select", { name: name, id: name }, pack.officers.map(function (o) {
        return el("option", { value: o.uid, selected: me && o.uid === me.uid, text: o.name + "（" + o.certificate_no + "）" });
      }))]);
    }
    if (spec.type === "officers") {
      return el("fieldset", { id: name }, [el("legend", { text: label })].concat(pack.officers.map(function (o) {
        return el("div", { cls: "officer-row" }, [
          el("label", { cls: "check" }, [el("input", { type: "checkbox", name: name, value: o.uid, checked: me && o.uid === me.uid }), o.name + "（证件 " + o.certificate_no + (o.certificate_valid ? "" : "，已失效") + "）"]),
          el("label", { cls: "check small" }, [el("input", { type: "checkbox", name: name + "_shown", value: o.uid, checked: true }), "已出示证件"])
        ]);
      })));
    }
    if (spec.type === "party") {
      return el("label", {}, [label, el("select", { name: name, id: name }, pack.parties.map(function (p) { return el("option", { value: p.uid, text: p.name }); }))]);
    }
    if (spec.type === "person") return el("label", {}, [label + "（姓名）", el("input", { name: name, id: name })]);
    if (spec.type === "rights") {
      return el("fieldset", { id: name }, [el("legend", { text: label })].concat(spec.rights.map(function (r) {
        return el("div", { cls: "right-row" }, [
          el("label", { cls: "check" }, [el("input", { type: "checkbox", name: name, value: r[0] }), "已告知" + r[1]]),
          el("select", { name: name + "_" + r[0] }, spec.methods.map(function (m) { return el("option", { value: m[0], text: m[1] }); }))
        ]);
      })));
    }
    if (spec.type === "choice") {
      return el("label", {}, [label, el("select", { name: name, id: name }, [el("option", { value: "", text: "请选择" })].concat((spec.options || []).map(function (o) { return el("option", { value: o[0], text: o[1] }); })))]);
    }
    if (spec.type === "multi_choice") {
      return el("fieldset", { id: name }, [el("legend", { text: label })].concat((spec.options || []).map(function (o) {
        return el("label", { cls: "check" }, [el("input", { type: "checkbox", name: name, value: o[0] }), o[1]]);
      })));
    }
    if (spec.type === "integer") return el("label", {}, [label, el("input", { name: name, id: name, type: "number", inputmode: "numeric" })]);
    if (spec.type === "date") return el("label", {}, [label, el("input", { name: name, id: name, type: "date", value: local(serverNow()).slice(0, 10) })]);
    // Rows of a table or turns of a conversation: one line each, columns split by "|"
    // (问：/答： start a turn).
    var hint = spec.type === "turns" ? "每行一问或一答，以「问：」或「答：」开头"
      : spec.type === "items" ? "每行一项：" + (spec.columns || []).map(function (c) { return c[1]; }).join(" | ")
      : spec.type === "persons" ? "每行一人：姓名 | 身份" : "";
    if (hint) return el("label", {}, [label + "（" + hint + "）", el("textarea", { name: name, id: name, rows: "5" })]);
    return null;
  }
  function lines(text) { return (text || "").split(/\n/).map(function (l) { return l.trim(); }).filter(Boolean); }
  function rows(spec, text) {
    if (spec.type === "turns") {
      var speakers = spec.speakers || [["question", "问"], ["answer", "答"]];
      return lines(text).map(function (l) {
        var who = speakers.filter(function (sp) { return l.indexOf(sp[1] + "：") === 0; })[0] || speakers[l.indexOf("答") === 0 ? 1 : 0];
        return { speaker: who[0], text: l.replace(/^[^：]{1,2}：/, "") };
      });
    }
    var cols = spec.type === "persons" ? [["name"], ["role"]] : (spec.columns || []);
    return lines(text).map(function (l) {
      var parts = l.split("|"), row = {};
      cols.forEach(function (c, i) { row[c[0]] = (parts[i] || "").trim(); });
      return row;
    });
  }
  function readForm(form, type) {
    var fields = {}, missing = [];
    type.fields.forEach(function (spec) {
      var name = "f_" + spec.key, v = null;
      if (spec.type === "officers") {
        v = Array.prototype.map.call(form.querySelectorAll("input[name=" + name + "]:checked"), function (c) {
          return { officer: c.value, certificate_shown: !!form.querySelector("input[name=" + name + "_shown][value='" + c.value + "']:checked") };
        });
        if (!v.length) v = null;
      } else if (spec.type === "rights") {
        v = spec.rights.map(function (r) {
          return { right: r[0], notified: !!form.querySelector("input[name=" + name + "][value=" + r[0] + "]:checked"), method: form.querySelector("select[name=" + name + "_" + r[0] + "]").value };
        });
        if (v.some(function (x) { return !x.notified; })) missing.push(spec.label + "（应逐项告知）");
      } else if (spec.type === "boolean") {
        v = !!(form[name] && form[name].checked);
      } else if (spec.type === "datetime") {
        v = form[name] && form[name].value ? new Date(form[name].value).toISOString() : null;
      } else if (spec.type === "person") {
        v = form[name] && form[name].value ? { name: form[name].value } : null;
      } else if (spec.type === "multi_choice") {
        v = Array.prototype.map.call(form.querySelectorAll("input[name=" + name + "]:checked"), function (c) { return c.value; });
        if (!v.length) v = null;
      } else if (spec.type === "integer") {
        v = form[name] && form[name].value !== "" ? parseInt(form[name].value, 10) : null;
      } else if (spec.type === "turns" || spec.type === "items" || spec.type === "persons") {
        v = form[name] ? rows(spec, form[name].value) : [];
        if (!v.length) v = null;
      } else if (form[name]) {
        v = form[name].value || null;
      }
      if (v !== null && v !== false) fields[spec.key] = v;
      if (spec.required && (v === null || v === "")) missing.push(spec.label);
    });
    return { fields: fields, missing: missing };
  }

  function typeOf(pack, code) { return pack.document_types.filter(function (t) { return t.code === code; })[0] || pack.document_types[0]; }
  function showCase(caseUid, want) {
    return Promise.all([packOf(caseUid), caseRecords(caseUid), all("keys")]).then(function (got) {
      var pack = got[0], recs = got[1], keys = got[2];
      view.textContent = "";
      if (!pack) { view.appendChild(el("p", { text: "本机没有该案件。" })); return; }
      view.appendChild(el("p", {}, [el("a", { href: "#", text: "‹ 返回" })]));
      view.appendChild(el("h1", { text: pack.case.number }));
      view.appendChild(el("p", {}, [el("span", { cls: "tag offline", text: "已离线" }), " " + pack.case.cause + " · " + pack.case.stage_label]));
      var docs = recs.filter(function (r) { return r.kind === "document"; });
      // The document shown: the one asked for, else the latest; a new form when a type is asked.
      var doc = want && want.doc ? docs.filter(function (d) { return d.uid === want.doc; })[0] : (want && want.type ? null : docs[docs.length - 1] || null);
      var type = doc ? typeOf(pack, doc.body.type_code) : typeOf(pack, want && want.type);
      if (docs.length || (want && want.type)) {
        // The other on-site documents of the regulation, from the same catalogue forms.
        var picker = el("select", { id: "doc-type", "aria-label": "现场文书类型" }, pack.document_types.map(function (t) {
          return el("option", { value: t.code, text: t.title, selected: t.code === type.code });
        }));
        view.appendChild(el("section", { cls: "card", id: "docs" }, [el("h2", { text: "本机现场文书（" + docs.length + "）" }),
          el("ul", { cls: "plain" }, docs.map(function (d) {
            return el("li", {}, [el("a", { href: "#case=" + caseUid + "&doc=" + d.uid, text: typeOf(pack, d.body.type_code).title + " · " + new Date(d.captured_at).toLocaleString("zh-CN") })]);
          })),
          el("p", {}, [picker, " ", el("button", { type: "button", id: "new-doc", text: "制作", onclick: function () { location.hash = "#case=" + caseUid + "&type=" + picker.value; } })])]));
      }
      if (!doc) {
        var form = el("form", { cls: "doc-form field-form", id: "transcript" }, [el("h2", { text: "制作" + type.title })]);
        type.fields.forEach(function (spec) { var i = fieldInput(spec, pack); if (i) form.appendChild(i); });
        form.appendChild(el("button", { type: "submit", cls: "primary", text: "保存到本机" }));
        form.addEventListener("submit", function (e) {
          e.preventDefault();
          var got = readForm(form, type);
          if (got.missing.length) { say("请填写：" + got.missing.join("、"), true); return; }
          captureJson("document", caseUid, { type_code: type.code, fields: got.fields }).then(function (rec) {
            say(type.title + "已保存在本机（已加密，已计算摘要）。");
            if (location.hash.indexOf("&") > 0) location.hash = "#case=" + caseUid + "&doc=" + rec.uid; else route();
          });
        });
        view.appendChild(form);
        return;
      }
      var sigs = recs.filter(function (r) { return r.body.document === doc.uid && /signature/.test(r.kind); });
      var media = recs.filter(function (r) { return r.kind === "media"; });
      var summary = el("section", { cls: "card", id: "doc" }, [
        el("h2", { text: type.title + "（本机草稿）" }),
        el("p", { cls: "muted mono", text: "采集时间 " + new Date(doc.captured_at).toLocaleString("zh-CN") + " · SHA-256 " + doc.sha256.slice(0, 16) + "…" }),
        doc.body.fields.place ? el("p", { text: "地点：" + doc.body.fields.place }) : null,
        el("p", { cls: "pre", text: doc.body.fields.findings || doc.body.fields.content || doc.body.fields.reason || doc.body.fields.circumstances || "" })
      ]);
      view.appendChild(summary);
      var refused = recs.filter(function (r) { return r.kind === "refusal" && r.body.statement.document === doc.uid; });
      var results = checks(pack, doc, sigs.concat(refused));
      view.appendChild(el("section", { cls: "card", id: "checks" }, [el("h2", { text: "本机检查" })].concat(results.map(function (r) {
        return el("p", { cls: "check-row " + (r.ok ? "ok" : "bad"), "data-rule": r.check.id }, [(r.ok ? "✓ " : "✗ ") + r.check.label,
          r.ok ? null : el("br"), r.ok ? null : el("span", { cls: "why", text: r.message }),
          el("br"), el("span", { cls: "muted small", text: r.check.article })]);
      }))));

      // Officers sign with the key enrolled on this device, unlocked by their PIN: the
      // signature covers the transcript's digest as captured.
      var listed = (doc.body.fields.officers || []).map(function (o) { return o.officer; });
      if (!listed.length) listed = pack.officers.map(function (o) { return o.uid; });
      var signedBy = sigs.filter(function (s) { return s.kind === "officer_signature"; }).map(function (s) { return s.body.officer; });
      var names = {}; pack.officers.forEach(function (o) { names[o.uid] = o.name; });
      var who = el("select", { id: "signer" }, listed.filter(function (u) { return signedBy.indexOf(u) < 0; }).map(function (u) {
        return el("option", { value: u, text: names[u] + (keys.some(function (k) { return k.officer === u; }) ? "" : "（未在本机登记）") });
      }));
      var pin = el("input", { id: "pin", type: "password", inputmode: "numeric", autocomplete: "off", placeholder: "签名 PIN" });
      var offSec = el("section", { cls: "card", id: "slot-officers" }, [el("h2", { text: "执法人员签名" }),
        el("div", {}, signedBy.map(function (u) { return el("p", { cls: "signed", text: "已签名：" + names[u] }); }))]);
      if (who.options.length) {
        var sf = el("form", { cls: "sign-form", onsubmit: function (e) {
          e.preventDefault();
          var officer = who.value;
          signWithPin(officer, pin.value, doc.sha256).then(function (sig) {
            return captureJson("officer_signature", caseUid, { document: doc.uid, slot: "officers", officer: officer, content_sha256: doc.sha256, signature: sig });
          }).then(function () { say(names[officer] + "已签名。"); route(); }).catch(function (e2) { say(e2.message, true); });
        } }, [who, pin, el("button", { type: "submit", cls: "primary", text: "以 PIN 签名" })]);
        offSec.appendChild(sf);
      }
      view.appendChild(offSec);

      // The party signs on the same signature pad as the online pages (records.js).
      var partySigs = sigs.filter(function (s) { return s.kind === "party_signature"; });
      var party = pack.parties[0] || {};
      var ps = el("section", { cls: "card", id: "slot-party" }, [el("h2", { text: "当事人或在场人员签名" })].concat(partySigs.map(function (s) {
        return el("p", { cls: "signed", text: "已签名：" + s.body.signer_name });
      })));
      if (!partySigs.length) {
        var pf = padForm("签名人姓名", party.legal_representative || party.name || "", "请当事人或在场人员在框内签名");
        pf.addEventListener("submit", function (e) {
          e.preventDefault();
          var data = pf.image.value;
          if (!data) return;
          captureJson("party_signature", caseUid, { document: doc.uid, slot: "party", signer_name: pf.signer_name.value, image: data.split(",")[1] })
            .then(function () { document.body.classList.remove("sigpad-open"); say("当事人签名已保存在本机。"); route(); });
        });
        ps.appendChild(pf);
      }
      view.appendChild(ps);
      if (!partySigs.length && type.signatures.some(function (sl) { return sl.key === "party" && sl.refusal; })) {
        view.appendChild(el("section", { cls: "card", id: "slot-refusal" }, refused.length
          ? [el("h2", { text: "当事人拒绝签字" }), el("p", { cls: "signed", text: "已记录：" + refused[0].body.statement.person_name + "拒绝签字，" + refused[0].body.signatures.length + "名执法人员签名确认" })]
          : [refusalForm(caseUid, doc, pack, listed, names)]));
      }
      if (type.signatures.some(function (sl) { return sl.key === "witness"; })) {
        view.appendChild(el("section", { cls: "card" }, [witnessForm(caseUid, doc, sigs)]));
      }

      var mediaSec = el("section", { cls: "card", id: "media" }, [el("h2", { text: "照片和录像（" + media.length + "）" })]);
      var ml = el("ul", { cls: "plain media-list" });
      media.forEach(function (r) {
        ml.appendChild(el("li", { cls: "media-item", "data-sha": r.sha256 }, [r.name + " · " + Math.round(r.size / 1024) + " KB · SHA-256 " + r.sha256.slice(0, 12) + "…"]));
      });
      mediaSec.appendChild(ml);
      var input = el("input", { type: "file", cls: "capture-input", accept: "image/*,video/*", capture: "environment", multiple: true });
      input.addEventListener("change", function () {
        var files = Array.prototype.slice.call(input.files || []);
        say("正在计算摘要并加密保存…");
        files.reduce(function (p, f) { return p.then(function () { return captureFile(caseUid, doc.uid, f); }); }, Promise.resolve())
          .then(function () { say("已保存 " + files.length + " 个文件到本机。"); route(); })
          .catch(function (e) { say("保存失败：" + e.message + "（可能超出浏览器存储配额）", true); });
      });
      mediaSec.appendChild(el("label", { cls: "button" }, ["拍照或录像", input]));
      view.appendChild(mediaSec);
    });
  }

  // The signature pad of the online pages (records.js), with the signer's name.
  function padForm(nameLabel, name, title) {
    var f = el("form", { cls: "sigpad-form" }, [
      el("label", {}, [nameLabel + " ", el("input", { name: "signer_name", value: name })]),
      el("div", { cls: "sigpad-box" }, [
        el("p", { cls: "sigpad-title", text: title }),
        el("canvas", { cls: "sigpad", width: "600", height: "220", "aria-label": "签名框：请用手指在此书写" }),
        el("div", { cls: "actions" }, [
          el("button", { type: "button", cls: "sigpad-full", text: "全屏签名" }),
          el("button", { type: "button", cls: "sigpad-clear", text: "重写" }),
          el("button", { type: "submit", cls: "primary", text: "确认签名" }),
          el("button", { type: "button", cls: "sigpad-exit", text: "退出全屏" })
        ])
      ]),
      el("input", { type: "hidden", name: "image" })
    ]);
    window.quanluSignaturePad(f);
    return f;
  }
  // A person refuses to sign (拒签): the note is signed by the officers present, each with
  // their PIN, over the digest of what it says (001 第十四条 asks two).
  function refusalForm(caseUid, doc, pack, listed, names) {
    var party = pack.parties[0] || {}, signed = [];
    var statementOf = function (f) { return { document: doc.uid, slot: "party", person_name: f.person_name.value, reason: f.reason.value }; };
    var who = el("select", { name: "officer" }, listed.map(function (u) { return el("option", { value: u, text: names[u] }); }));
    var done = el("p", { cls: "muted" });
    var f = el("form", { cls: "refusal-form", id: "refusal" }, [
      el("h2", { text: "当事人拒绝签字" }),
      el("label", {}, ["拒签人 ", el("input", { name: "person_name", value: party.legal_representative || party.name || "" })]),
      el("label", {}, ["拒签情况及理由 ", el("textarea", { name: "reason", rows: "2" })]),
      el("div", {}, [who, el("input", { name: "pin", type: "password", inputmode: "numeric", autocomplete: "off", placeholder: "签名 PIN" }),
        el("button", { type: "button", text: "签名确认", onclick: function () {
          if (!f.reason.value) { say("请填写拒签情况及理由。", true); return; }
          sha256(enc.encode(canon(statementOf(f)))).then(function (digest) { return signWithPin(who.value, f.pin.value, digest); })
            .then(function (sig) { signed.push({ officer: who.value, signature: sig }); f.pin.value = ""; done.textContent = "已签名确认：" + signed.map(function (x) { return names[x.officer]; }).join("、"); })
            .catch(function (e) { say(e.message, true); });
        } })]),
      done,
      el("button", { type: "submit", text: "保存拒签记录" })
    ]);
    f.addEventListener("submit", function (e) {
      e.preventDefault();
      if (!signed.length) { say("拒签记录应由在场执法人员签名确认。", true); return; }
      captureJson("refusal", caseUid, { statement: statementOf(f), signatures: signed }).then(function () { say("拒签情况已记录在本机。"); route(); });
    });
    return f;
  }
  // A witness (见证人) signs the document's witness slot on the same signature pad.
  function witnessForm(caseUid, doc, sigs) {
    var had = sigs.filter(function (s) { return s.body.slot === "witness"; });
    var box = el("div", { id: "slot-witness" }, [el("h2", { text: "见证人签名（如有）" })].concat(had.map(function (s) { return el("p", { cls: "signed", text: "已签名：" + s.body.signer_name }); })));
    if (had.length) return box;
    var wf = padForm("见证人姓名", "", "请见证人在框内签名");
    wf.addEventListener("submit", function (e) {
      e.preventDefault();
      if (!wf.image.value || !wf.signer_name.value) { say("请填写见证人姓名并签名。", true); return; }
      captureJson("party_signature", caseUid, { document: doc.uid, slot: "witness", signer_name: wf.signer_name.value, image: wf.image.value.split(",")[1] })
        .then(function () { say("见证人签名已保存在本机。"); route(); });
    });
    box.appendChild(wf);
    return box;
  }

  // ------------------------------------------------------------ return (已返回)
  // The officer's return: noted when the network comes back after an offline spell, or
  // when the officer says so; the regulation's after-return time for audio-visual records
  // counts from it where it has one, for the circumstance the officer names.
  function noteReturn(reason) {
    if (!meta.away && !reason) return Promise.resolve();
    return setMeta("returned", { at: now().toISOString(), offset: meta.offset || 0, reason: reason || (meta.returned || {}).reason || "" })
      .then(function () { return setMeta("away", false); });
  }

  // ------------------------------------------------------------ sync on return
  function uploadMeta(rec) {
    var m = { case: rec.case, filename: rec.name, filetype: rec.type || "", client_token: rec.uid,
      captured_at: new Date(Date.parse(rec.captured_at) + rec.clock_offset_ms).toISOString() };
    var back = meta.returned;
    // The after-return time only where the regulation has it, for the circumstance named.
    if (back && back.reason) { m.delay_reason = back.reason; m.returned_at = new Date(Date.parse(back.at) + back.offset).toISOString(); }
    return m;
  }
  function upload(rec) {
    return fileOf(rec).then(function (file) {
      return new Promise(function (ok, fail) {
        var u = new tus.Upload(file, {
          endpoint: TUS, chunkSize: 1024 * 1024, retryDelays: [0, 1000, 3000, 5000, 10000],
          storeFingerprintForResuming: true, removeFingerprintOnSuccess: true,
          // The record's own id: a sync cut mid-file resumes it after a reload too.
          fingerprint: function () { return Promise.resolve("quanlu-field-" + rec.uid); },
          metadata: uploadMeta(rec),
          headers: { "X-CSRFToken": csrf },
          onError: fail,
          onSuccess: function (payload) {
            var res = payload && payload.lastResponse;
            ok(res && res.getHeader("Quanlu-Record"));
          }
        });
        u.findPreviousUploads().then(function (prev) { if (prev.length) u.resumeFromPreviousUpload(prev[0]); u.start(); });
      });
    });
  }
  var LABELS = { case: "现场新立案件", document: "文书", officer_signature: "执法人员签名", party_signature: "当事人或见证人签名",
    refusal: "拒签记录", exemption: "不适宜音像记录", interruption: "音像记录中断说明", media: "照片或音像" };
  function sync() {
    if (syncing || !navigator.onLine) return Promise.resolve();
    syncing = true;
    // The receipts of the last syncs (a cut sync and its resumption), newest last.
    var log = (meta.log || []).slice(-50);
    body.dataset.sync = "running";
    return hello().then(function () { return all("records"); }).then(function (recs) {
      recs.sort(function (a, b) { return a.seq - b.seq; });
      var done = 0;
      return recs.reduce(function (p, rec) {
        return p.then(function () {
          say("正在同步 " + (done + 1) + "/" + recs.length + "…");
          return openJson(rec.box).then(function (recordBody) {
            var ready = rec.kind === "media"
              ? upload(rec).then(function (id) { recordBody.media_record = id; })
              : Promise.resolve();
            return ready.then(function () {
              return api("sync", { device: meta.device, record: {
                uid: rec.uid, kind: rec.kind, case: rec.case, sequence: rec.seq, captured_at: rec.captured_at,
                clock_offset_ms: rec.clock_offset_ms, sha256: rec.sha256, body: recordBody,
                returned_at: meta.returned ? meta.returned.at : null } });
            });
          }).then(function (j) {
            var r = j.receipt;
            log.push({ uid: r.uid, status: r.status, status_label: r.status_label, flags: r.flags, label: LABELS[rec.kind] + (rec.name ? " " + rec.name : ""),
              server_sha256: r.server_sha256, device_sha256: r.device_sha256 });
            done++;
            return wipe(rec); // the server has it: the device keeps no copy
          });
        });
      }, Promise.resolve()).then(function () { return done; });
    }).then(function (n) {
      return dropProvisional().then(function () { return n; });
    }).then(function (n) {
      return setMeta("log", log).then(function () { return setMeta("synced", new Date().toISOString()); }).then(function () {
        say(n ? "同步完成：" + n + " 条记录已由服务器确认接收，本机副本已清除。" : "没有待同步的记录。");
        body.dataset.sync = "done";
      });
    }).catch(function (e) {
      body.dataset.sync = "failed";
      // A tus error or a failed fetch has no status: the network, not the server, said no.
      var why = e.status === 401 ? "请先联网登录，再同步。" : e.status ? "同步中断：" + e.message : "网络中断，同步暂停。";
      say(why + "未确认的记录仍保存在本机，网络恢复后自动续传。", true);
      // A cut connection (not a refusal): try again shortly; tus resumes the file.
      if (!e.status || e.status >= 500) setTimeout(sync, 5000);
      return setMeta("log", log);
    }).then(function () { syncing = false; route(); });
  }

  function dropProvisional() {
    return Promise.all([all("packs"), all("records")]).then(function (got) {
      var left = {}; got[1].forEach(function (r) { left[r.case] = true; });
      return Promise.all(got[0].map(function (p) {
        return openJson(p.box).then(function (pack) { if (pack.provisional && !left[p.uid]) return del("packs", p.uid); });
      }));
    });
  }

  // ------------------------------------------------------------ start
  function start() {
    return openDb().then(function (d) {
      db = d;
      return all("meta");
    }).then(function (rows) {
      rows.forEach(function (r) { meta[r.k] = r.v; });
      me = meta.me || null;
      var jobs = [];
      if (!meta.device) jobs.push(setMeta("device", uuid()));
      if (!meta.aes) {
        jobs.push(crypto.subtle.generateKey({ name: "AES-GCM", length: 256 }, false, ["encrypt", "decrypt"]).then(function (k) { return setMeta("aes", k); }));
      }
      return Promise.all(jobs);
    }).then(function () {
      aes = meta.aes;
      net();
      if (navigator.storage && navigator.storage.persist) navigator.storage.persist();
      window.addEventListener("hashchange", route);
      // Back only once the server answers (a browser may say "online" on a dead network).
      window.addEventListener("online", function () { net(); hello().then(function () { return noteReturn(); }, function () {}).then(sync); });
      window.addEventListener("offline", function () { net(); setMeta("away", true).then(route); });
      if ("serviceWorker" in navigator) {
        navigator.serviceWorker.register(body.dataset.sw, { scope: body.dataset.api.replace(/api\/$/, "") })
          .then(function () { return navigator.serviceWorker.ready; })
          .then(function () { body.dataset.offlineReady = "1"; });
      }
      return route();
    }).then(function () { if (navigator.onLine) return sync(); })
      .catch(function (e) { say("本机存储不可用：" + e.message, true); });
  }
  start();
})();
