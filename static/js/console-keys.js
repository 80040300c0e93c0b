// Keyboard shortcuts for every console page (UX.md 5a.11, WCAG 2.1.4).
//
// The shortcuts themselves are declared in the templates as data-hotkey attributes, and
// @github/hotkey does the key handling: it parses sequences like "g q", ignores keys typed into
// form fields, focuses fields and clicks everything else. This file adds only what is ours: the
// per-user switch, the cheat sheet, "claim the row you are on" and Ctrl+Enter to send a form.
import { install, uninstall } from '../vendor/github-hotkey-3.1.4/index.js'

// The only thing the console keeps in the browser: this preference. Never any case data.
const PREFERENCE = 'lantern.singleKeyShortcuts'

function shortcutsOn () {
  try {
    return window.localStorage.getItem(PREFERENCE) !== 'off'
  } catch {
    return true // storage blocked: the default, on
  }
}

function remember (on) {
  try {
    if (on) window.localStorage.removeItem(PREFERENCE)
    else window.localStorage.setItem(PREFERENCE, 'off')
  } catch {
    // storage blocked: the switch still works for this page
  }
}

// Assistive technology is told only about shortcuts that work: with single keys off, the
// aria-keyshortcuts naming a single key are parked in a data attribute (Ctrl+Enter stays).
function describeShortcuts (root, on) {
  if (on) {
    for (const el of root.querySelectorAll('[data-parked-keyshortcuts]')) {
      el.setAttribute('aria-keyshortcuts', el.dataset.parkedKeyshortcuts)
      delete el.dataset.parkedKeyshortcuts
    }
    return
  }
  for (const el of root.querySelectorAll('[aria-keyshortcuts]')) {
    const keys = el.getAttribute('aria-keyshortcuts')
    if (keys.includes('Control+')) continue
    el.dataset.parkedKeyshortcuts = keys
    el.removeAttribute('aria-keyshortcuts')
  }
}

let installed = false
function applyShortcuts (on) {
  if (on !== installed) {
    for (const el of document.querySelectorAll('[data-hotkey]')) {
      if (on) install(el)
      else uninstall(el)
    }
    installed = on
  }
  describeShortcuts(document, on)
}

applyShortcuts(shortcutsOn())

// Rows the queue swaps in arrive with their aria-keyshortcuts; keep them truthful.
document.body.addEventListener('htmx:afterSettle', (event) => {
  if (!installed && event.target instanceof Element) describeShortcuts(event.target, false)
})

// The cheat sheet: a native <dialog>, so Esc closes it and focus returns to the opener.
const opener = document.getElementById('shortcuts-open')
const dialog = document.getElementById('shortcuts-dialog')
const toggle = document.getElementById('single-key-shortcuts')
if (opener && dialog && toggle) {
  opener.hidden = false
  opener.addEventListener('click', () => dialog.showModal())
  toggle.checked = installed
  toggle.addEventListener('change', () => {
    remember(toggle.checked)
    applyShortcuts(toggle.checked)
  })
}

// "c": claim the case in the row that has focus. One hotkey on the table, not one per row: a
// key can name only one element, and rows come and go with every refresh.
const table = document.getElementById('queue-table')
if (table) {
  table.addEventListener('hotkey-fire', (event) => {
    event.preventDefault() // not a click on the table itself
    const row = document.activeElement && document.activeElement.closest('tr[data-case]')
    const claim = row && row.querySelector('[data-claim]')
    if (claim) {
      claim.click()
    } else {
      const announcer = document.getElementById('queue-announcer')
      if (announcer) announcer.textContent = 'To claim with c, first move to an unclaimed row with Tab.'
    }
  })
}

// Ctrl+Enter (Cmd+Enter on a Mac) sends the form being typed in. Not a @github/hotkey binding:
// its scopes name one field, and this must work from any field of the form.
document.addEventListener('keydown', (event) => {
  if (event.key !== 'Enter' || !(event.ctrlKey || event.metaKey) || event.defaultPrevented) return
  const form = event.target instanceof Element && event.target.closest('form[data-ctrl-enter]')
  if (!form) return
  event.preventDefault()
  const submitter = form.querySelector('[data-default-submit]')
  form.requestSubmit(submitter || undefined)
})
