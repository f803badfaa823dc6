/* 全录·现场: the rulebook's checks the device runs itself, on a document it holds.

   What each check judges comes with the case's pack, from the server's data: the rule's
   parameters (its documents, minimum number of officers, whether certificates must be
   shown, its article), the officers' certificates, and the catalogue's signature set of
   each form (its slots, who signs them, whether a refusal may stand in and how many
   officers attest it). The server judges the same rules with the rulebook evaluator once
   the records arrive; field/tests/test_checks.py runs this file under Node against the
   server's verdicts. Loaded by the page (window.quanluFieldChecks) and by Node (module). */
(function (root) {
  "use strict";

  // records: what the device holds for the document (signatures and refusals), bodies open.
  function judge(pack, doc, records) {
    var type = pack.document_types.filter(function (t) { return t.code === doc.body.type_code; })[0];
    var fields = doc.body.fields || {}, officers = fields.officers || [];
    var byUid = {}; pack.officers.forEach(function (o) { byUid[o.uid] = o; });
    var name = function (uid) { return (byUid[uid] || {}).name || ""; };
    return pack.checks.filter(function (c) {
      return !c.params.documents || c.params.documents.indexOf(doc.body.type_code) >= 0;
    }).map(function (c) {
      var wrong = [];
      if (c.kind === "officers_present") {
        var min = c.params.min || 1;
        if (officers.length < min) wrong.push("只记录了" + officers.length + "名执法人员，应当" + min + "人以上");
        officers.forEach(function (o) {
          var known = byUid[o.officer];
          if (!known || !known.certificate_valid) wrong.push(name(o.officer) + "的执法证件无效");
          if (c.params.certificate_shown && !o.certificate_shown) wrong.push("未记录" + name(o.officer) + "出示执法证件");
        });
      } else if (c.kind === "documents_signed" && type) {
        type.signatures.forEach(function (slot) {
          if (slot.optional || slot.conditional) return;
          var signed = records.filter(function (r) { return /signature$/.test(r.kind) && r.body.slot === slot.key; });
          var refused = records.filter(function (r) {
            return r.kind === "refusal" && r.body.statement.slot === slot.key && r.body.signatures.length >= (slot.refusal_min || 1);
          });
          if (slot.refusal && refused.length) return;
          if (slot.from_field) {
            var listed = (fields[slot.from_field] || []).map(function (o) { return o.officer; });
            listed.forEach(function (u) {
              if (!signed.some(function (s) { return s.body.officer === u; })) wrong.push(slot.label + "：" + name(u) + "尚未签名");
            });
          } else if (signed.length < (slot.min || 1)) {
            wrong.push(slot.label + "尚未签名" + (slot.refusal ? "（或记录拒签）" : ""));
          }
        });
      }
      return { check: c, ok: !wrong.length, message: wrong.join("；") };
    });
  }

  root.quanluFieldChecks = judge;
  if (typeof module !== "undefined" && module.exports) module.exports = judge;
})(typeof window !== "undefined" ? window : globalThis);
