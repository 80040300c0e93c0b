// The verify form's "Add another perpetrator": a new empty row in place, copied from the
// server-rendered <template> (Django's formset empty_form). Without scripts the same button
// asks the server for the form with one more row, so this is only a shortcut.
const button = document.querySelector('[data-add-perpetrator]')
const template = document.getElementById('perpetrator-template')
const rows = document.querySelector('[data-perpetrator-rows]')
const total = document.querySelector('input[name="perp-TOTAL_FORMS"]')
const max = document.querySelector('input[name="perp-MAX_NUM_FORMS"]')

if (button && template && rows && total) {
  // Not a submit button any more, so Enter in a field sends the form rather than adding a row.
  button.type = 'button'
  button.addEventListener('click', () => {
    const index = Number(total.value)
    if (max && index >= Number(max.value)) {
      button.disabled = true
      return
    }
    rows.insertAdjacentHTML('beforeend', template.innerHTML.replaceAll('__prefix__', String(index)))
    total.value = String(index + 1)
    const row = rows.lastElementChild
    row.querySelector('[data-perpetrator-number]').textContent = String(index + 1)
    // The person asked for a row: take them to it.
    const first = row.querySelector('select, input:not([type="hidden"]), textarea')
    if (first) first.focus()
  })
}
