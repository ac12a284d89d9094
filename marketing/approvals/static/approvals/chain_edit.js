// Chain editor, progressive enhancement (the page works without it): each condition row
// shows only the value box its field needs and only the operators that fit the field.
(function () {
  "use strict";
  var typesNode = document.getElementById("condition-field-types");
  if (!typesNode) return;
  var types = JSON.parse(typesNode.textContent); // {field: {type, ops}}
  function boxOf(row, part) {
    var el = row.querySelector("[name$='_" + part + "']");
    return el ? el.closest(".field") : null;
  }
  function refresh(row) {
    var fieldSelect = row.querySelector("select[name$='_field']");
    var name = fieldSelect.value;
    var info = types[name];
    var kind = info ? info.type : "";
    var show = { op: !!info, values: kind === "bool" || kind === "choice",
                 number: kind === "number" || kind === "money", text: kind === "text" };
    Object.keys(show).forEach(function (part) {
      var box = boxOf(row, part);
      if (box) box.hidden = !show[part];
    });
    var op = row.querySelector("select[name$='_op']");
    if (op && info) {
      Array.prototype.forEach.call(op.options, function (o) {
        o.hidden = info.ops.indexOf(o.value) === -1;
      });
      if (info.ops.indexOf(op.value) === -1) op.value = info.ops[0];
    }
    var values = row.querySelector("select[name$='_values']");
    if (values) {
      Array.prototype.forEach.call(values.querySelectorAll("option"), function (o) {
        var prefix = kind === "bool" ? "bool:" : name + ":";
        o.hidden = o.value.indexOf(prefix) !== 0;
        if (o.hidden) o.selected = false;
      });
      Array.prototype.forEach.call(values.querySelectorAll("optgroup"), function (g) {
        g.hidden = !g.querySelector("option:not([hidden])");
      });
    }
  }
  document.querySelectorAll(".cond-row").forEach(function (row) {
    var fieldSelect = row.querySelector("select[name$='_field']");
    if (!fieldSelect) return;
    fieldSelect.addEventListener("change", function () { refresh(row); });
    refresh(row);
  });
})();
