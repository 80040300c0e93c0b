// Long forms keep a draft on the server as they are typed (cases.drafts, UX.md 17): any
// <form data-draft="KEY" data-draft-case="NUMBER"> is saved about two seconds after typing stops
// and when a field is left, says "Saved 10:42" in a live region, and on the next visit puts the
// saved work back. Nothing is kept in the browser (no localStorage, sessionStorage, IndexedDB).
// Hidden fields (a version, a formset's counts) are the server's and never drafted; neither are
// passwords or one-time codes. A button with data-draft-grow (a formset's "Add another") is
// pressed to make room for rows the draft has and the page does not. Without JavaScript the forms
// work as before, with no drafts.
const SAVE_AFTER_MS = 2000
const NEVER_KEPT = /password|otp|token|csrf/i
const SKIPPED_TYPES = new Set(['hidden', 'password', 'file', 'submit', 'button', 'reset', 'image'])

function csrfToken (form) {
  const input = form.querySelector('input[name="csrfmiddlewaretoken"]')
  if (input) return input.value
  try {
    return JSON.parse(document.body.getAttribute('hx-headers') || '{}')['X-CSRFToken'] || ''
  } catch {
    return ''
  }
}

function drafted (field) {
  return field.name && !field.disabled && !SKIPPED_TYPES.has(field.type) &&
    !NEVER_KEPT.test(field.name) && field.autocomplete !== 'one-time-code'
}

function fieldsOf (form) {
  const fields = {}
  for (const field of form.elements) {
    if (!drafted(field)) continue
    if (field.type === 'checkbox') {
      const checked = fields[field.name] || []
      if (field.checked) checked.push(field.value)
      fields[field.name] = checked
    } else if (field.type === 'radio') {
      if (field.checked || !(field.name in fields)) fields[field.name] = field.checked ? field.value : ''
    } else if (field.type === 'select-multiple') {
      fields[field.name] = Array.from(field.selectedOptions, (option) => option.value)
    } else {
      fields[field.name] = field.value
    }
  }
  return fields
}

function fieldsNamed (form, name) {
  return Array.from(form.elements).filter((field) => field.name === name && drafted(field))
}

function fill (form, fields) {
  const grow = form.querySelector('[data-draft-grow]')
  for (const [name, value] of Object.entries(fields)) {
    let found = fieldsNamed(form, name)
    for (let tries = 0; !found.length && grow && !grow.disabled && tries < 20; tries++) {
      grow.click()
      found = fieldsNamed(form, name)
    }
    for (const field of found) {
      if (field.type === 'checkbox') field.checked = [].concat(value).includes(field.value)
      else if (field.type === 'radio') field.checked = field.value === value
      else if (field.type === 'select-multiple') {
        for (const option of field.options) option.selected = [].concat(value).includes(option.value)
      } else field.value = Array.isArray(value) ? value[0] || '' : value
    }
  }
}

function same (a, b) {
  return JSON.stringify(a) === JSON.stringify(b)
}

function statusArea (form) {
  let status = form.querySelector('[data-draft-status]')
  if (!status) {
    status = document.createElement('div')
    status.className = 'draft-status small text-body-secondary mb-2'
    status.setAttribute('data-draft-status', '')
    form.prepend(status)
  }
  status.setAttribute('role', 'status')
  status.setAttribute('aria-live', 'polite')
  return status
}

function say (status, text, button) {
  status.replaceChildren(text)
  if (button) {
    const action = document.createElement('button')
    action.type = 'button'
    action.className = 'btn btn-link btn-sm align-baseline p-0 ms-2'
    action.textContent = button.label
    action.addEventListener('click', button.onClick)
    status.append(action)
  }
}

function draftForm (form) {
  const key = form.dataset.draft
  const url = `/cases/drafts/${encodeURIComponent(key)}/`
  const caseNumber = form.dataset.draftCase || ''
  const query = caseNumber ? `?case=${encodeURIComponent(caseNumber)}` : ''
  const status = statusArea(form)
  let timer = null
  let dirty = false
  let submitting = false
  let lastSaved = null

  async function save () {
    clearTimeout(timer)
    if (!dirty || submitting) return
    const fields = fieldsOf(form)
    if (same(fields, lastSaved)) {
      dirty = false
      return
    }
    dirty = false
    try {
      const answer = await fetch(url, {
        method: 'POST',
        credentials: 'same-origin',
        headers: { 'Content-Type': 'application/json', 'X-CSRFToken': csrfToken(form) },
        body: JSON.stringify({ case: caseNumber, fields })
      })
      // a request reached the server: the idle clock there started again (static/js/idle.js)
      document.dispatchEvent(new CustomEvent('lantern:server-seen'))
      if (answer.ok) {
        lastSaved = fields
        say(status, `Saved ${(await answer.json()).saved_at_label}`)
      } else if (answer.status === 413) {
        say(status, 'Too long to keep as a draft: send the form to keep it.')
      } else {
        dirty = true
        say(status, 'Not saved as a draft. It will be tried again as you type.')
      }
    } catch {
      dirty = true
      say(status, 'Not saved as a draft: no connection. It will be tried again as you type.')
    }
  }

  function changed () {
    if (submitting) return
    dirty = true
    clearTimeout(timer)
    timer = setTimeout(save, SAVE_AFTER_MS)
  }

  async function restore () {
    const answer = await fetch(url + query, { credentials: 'same-origin' })
    if (!answer.ok) return
    const { draft } = await answer.json()
    if (!draft) return
    lastSaved = draft.fields
    // A form the server sent back with errors holds what was just sent: newer than any draft.
    if (form.querySelector('.is-invalid, .errorlist, [aria-invalid="true"]')) return
    if (same(fieldsOf(form), draft.fields)) return
    fill(form, draft.fields)
    say(status, `Your unsent work from ${draft.saved_at_label} is back.`, {
      label: 'Start again instead',
      onClick: async () => {
        form.reset()
        await fetch(url + query, {
          method: 'DELETE',
          credentials: 'same-origin',
          headers: { 'X-CSRFToken': csrfToken(form) }
        })
        lastSaved = null
        say(status, 'Draft discarded.')
      }
    })
  }

  form.addEventListener('input', changed)
  form.addEventListener('change', changed)
  form.addEventListener('focusout', () => { if (dirty) save() })
  // The form's own view discards the draft once it is saved (cases.drafts.discard_draft).
  form.addEventListener('submit', () => { submitting = true; clearTimeout(timer) })
  restore()
}

document.querySelectorAll('form[data-draft]').forEach(draftForm)
