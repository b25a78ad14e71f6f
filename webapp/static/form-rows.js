// Lists of rows in a form (household members, supporters …): add and remove rows in the page.
// Each row's fields are named list-<row>-<field>, renumbered from 0 after every change, which is
// how engine.catalogue.forms.coerce_html_form reads them. Without this script the same buttons
// submit the form and the server answers with a row more or less (nothing is checked or lodged).
(function () {
  'use strict';

  function renamed(value, list, sep, row) {
    // "members-4-name" → "members-3-name" (sep "-"), and "members.4.name" for an error's data-field (sep ".")
    if (value.indexOf(list + sep) !== 0) { return value; }
    var rest = value.slice(list.length + 1);
    return list + sep + row + rest.slice(rest.indexOf(sep));
  }

  function renumber(fieldset) {
    var list = fieldset.getAttribute('data-rows');
    var rows = fieldset.querySelectorAll('tbody > tr');
    rows.forEach(function (tr, row) {
      tr.querySelector('.row-number').textContent = String(row + 1);
      tr.querySelectorAll('input[name], select[name], textarea[name]').forEach(function (field) {
        field.name = renamed(field.name, list, '-', row);
      });
      tr.querySelectorAll('[data-field]').forEach(function (error) {
        error.setAttribute('data-field', renamed(error.getAttribute('data-field'), list, '.', row));
      });
      tr.querySelector('[data-row-remove]').value = 'remove:' + list + ':' + row;
    });
    var most = parseInt(fieldset.getAttribute('data-most'), 10);
    fieldset.querySelector('[data-row-add]').disabled = rows.length >= most;
  }

  function clear(tr) {
    tr.querySelectorAll('input').forEach(function (field) { field.value = ''; field.removeAttribute('value'); });
    tr.querySelectorAll('select').forEach(function (field) {
      field.querySelectorAll('option[selected]').forEach(function (o) { o.removeAttribute('selected'); });
      field.selectedIndex = 0;
    });
    tr.querySelectorAll('.field-error').forEach(function (error) { error.remove(); });
    tr.querySelectorAll('.has-error').forEach(function (cell) { cell.classList.remove('has-error'); });
  }

  document.querySelectorAll('fieldset[data-rows]').forEach(function (fieldset) {
    var body = fieldset.querySelector('tbody');
    fieldset.querySelectorAll('[data-row-add], [data-row-remove]').forEach(function (b) { b.type = 'button'; });
    fieldset.addEventListener('click', function (event) {
      var button = event.target.closest('button');
      if (!button || !fieldset.contains(button)) { return; }
      if (button.hasAttribute('data-row-add')) {
        var added = body.lastElementChild.cloneNode(true);
        clear(added);
        body.appendChild(added);
        renumber(fieldset);
        var first = added.querySelector('input, select');
        if (first) { first.focus(); }
      } else if (button.hasAttribute('data-row-remove')) {
        var tr = button.closest('tr');
        if (body.children.length > 1) { tr.remove(); } else { clear(tr); }
        renumber(fieldset);
      }
    });
    renumber(fieldset);
  });
})();
