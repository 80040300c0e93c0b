// Canned replies (UX.md 10): in a textarea marked data-canned-replies="<url>" (or inside an element
// so marked), typing "/" at the start of the box or after a space opens a list of the vetted
// replies, filtered as the shortcut is typed. Up and Down move, Enter or a click puts the reply's
// words in place of "/shortcut", Escape closes the list and leaves what was typed.
//
// The list follows the ARIA autocomplete pattern for a text box: the textarea keeps its role (a
// textarea may take no other, and a text box may not carry aria-expanded), and says which list it
// controls, that it has one (aria-haspopup) and which option is active (aria-activedescendant);
// a polite status says when the list opens, how many it holds, and what was inserted.
// Everything is done with listeners on the document, so boxes added later (htmx, the chat) work
// too. Nothing is kept in the browser: the replies live in this page's memory only.
// Console single-key shortcuts never fire here: @github/hotkey ignores keys typed into fields.

const TOKEN = /(^|\s)\/([\w-]{0,40})$/
const WAIT_MS = 120
let serial = 0

function urlOf (box) {
  if (!(box instanceof HTMLTextAreaElement)) return null
  const holder = box.closest('[data-canned-replies]')
  return holder ? holder.dataset.cannedReplies : null
}

// What the writer is typing as a shortcut: the "/word" that ends just before the caret.
function tokenAt (box) {
  if (box.selectionStart !== box.selectionEnd) return null
  const before = box.value.slice(0, box.selectionStart)
  const match = TOKEN.exec(before)
  if (!match) return null
  return { start: before.length - match[2].length - 1, end: before.length, query: match[2] }
}

class Picker {
  constructor (box, url) {
    this.box = box
    this.url = url
    this.replies = []
    this.active = -1
    this.token = null
    this.timer = null
    this.request = null
    const id = `canned-${++serial}`
    this.list = document.createElement('ul')
    this.list.id = `${id}-list`
    this.list.className = 'canned-list list-unstyled'
    this.list.setAttribute('role', 'listbox')
    this.list.setAttribute('aria-label', 'Canned replies')
    this.list.hidden = true
    this.status = document.createElement('p')
    this.status.className = 'visually-hidden'
    this.status.setAttribute('role', 'status')
    this.hint = document.createElement('p')
    this.hint.id = `${id}-hint`
    this.hint.className = 'form-text canned-hint'
    this.hint.textContent = 'Type / and a few letters for a canned reply.'
    box.after(this.list, this.status, this.hint)
    box.setAttribute('aria-autocomplete', 'list')
    box.setAttribute('aria-haspopup', 'listbox')
    box.setAttribute('aria-controls', this.list.id)
    const described = box.getAttribute('aria-describedby')
    box.setAttribute('aria-describedby', described ? `${described} ${this.hint.id}` : this.hint.id)
    this.list.addEventListener('mousedown', (event) => event.preventDefault()) // keep the focus
    this.list.addEventListener('click', (event) => {
      const option = event.target instanceof Element && event.target.closest('[role="option"]')
      if (option) this.insert(Number(option.dataset.index))
    })
  }

  get open () {
    return !this.list.hidden
  }

  // After every change of the text or the caret: open, refilter or close.
  update () {
    const token = tokenAt(this.box)
    if (!token) return this.close()
    const changed = !this.token || token.query !== this.token.query
    this.token = token
    if (changed) {
      window.clearTimeout(this.timer)
      this.timer = window.setTimeout(() => this.fetch(token.query), WAIT_MS)
    }
  }

  async fetch (query) {
    if (this.request) this.request.abort()
    const request = new AbortController()
    this.request = request
    const address = new URL(this.url, window.location.href)
    if (query) address.searchParams.set('q', query)
    try {
      const response = await fetch(address, {
        headers: { Accept: 'application/json' },
        credentials: 'same-origin',
        cache: 'no-store',
        signal: request.signal
      })
      if (!response.ok) throw new Error(String(response.status))
      const data = await response.json()
      if (request.signal.aborted || !this.token) return
      this.show(data.replies || [])
    } catch (error) {
      if (error.name === 'AbortError') return
      this.replies = []
      this.render()
      this.say('Canned replies could not be loaded. Write the message yourself.')
    }
  }

  show (replies) {
    const wasOpen = this.open
    this.replies = replies
    this.active = replies.length ? 0 : -1
    this.render()
    if (!replies.length) {
      this.say(`No canned reply for /${this.token.query}.`)
    } else {
      const count = replies.length === 1 ? '1 canned reply' : `${replies.length} canned replies`
      this.say(wasOpen ? count : `${count}. Up and down to choose, Enter to insert, Escape to close.`)
    }
  }

  render () {
    this.list.replaceChildren(...this.replies.map((reply, index) => {
      const option = document.createElement('li')
      option.id = `${this.list.id}-${index}`
      option.setAttribute('role', 'option')
      option.dataset.index = String(index)
      const name = document.createElement('span')
      name.className = 'canned-shortcut'
      name.textContent = `/${reply.shortcut}`
      const title = document.createElement('span')
      title.className = 'canned-title'
      title.textContent = reply.title
      const words = document.createElement('span')
      words.className = 'canned-text'
      words.textContent = reply.text
      option.append(name, ' ', title, words)
      return option
    }))
    this.list.hidden = this.replies.length === 0
    this.highlight()
  }

  highlight () {
    for (const option of this.list.children) {
      const on = Number(option.dataset.index) === this.active
      option.setAttribute('aria-selected', on ? 'true' : 'false')
      option.classList.toggle('active', on)
      if (on) option.scrollIntoView({ block: 'nearest' })
    }
    if (this.active >= 0 && this.open) {
      this.box.setAttribute('aria-activedescendant', `${this.list.id}-${this.active}`)
    } else {
      this.box.removeAttribute('aria-activedescendant')
    }
  }

  move (step) {
    const count = this.replies.length
    if (!count) return
    this.active = (this.active + step + count) % count
    this.highlight()
  }

  insert (index) {
    const reply = this.replies[index]
    const token = tokenAt(this.box) || this.token
    if (!reply || !token) return
    const { value } = this.box
    this.box.value = value.slice(0, token.start) + reply.text + value.slice(token.end)
    const caret = token.start + reply.text.length
    this.box.setSelectionRange(caret, caret)
    this.close()
    this.say(`Inserted /${reply.shortcut}: ${reply.title}.`)
    this.box.focus()
    // what listens for typing (drafts, a counter) hears of it; update() finds no token now
    this.box.dispatchEvent(new Event('input', { bubbles: true }))
  }

  close () {
    window.clearTimeout(this.timer)
    if (this.request) this.request.abort()
    this.request = null
    this.token = null
    this.replies = []
    this.active = -1
    this.list.hidden = true
    this.list.replaceChildren()
    this.box.removeAttribute('aria-activedescendant')
  }

  say (words) {
    this.status.textContent = words
  }

  // true when the key was the list's
  key (event) {
    if (!this.open || event.isComposing || event.altKey || event.ctrlKey || event.metaKey) {
      if (event.key === 'Escape' && this.token) {
        this.close()
        event.preventDefault()
        return true
      }
      return false
    }
    switch (event.key) {
      case 'ArrowDown': this.move(1); break
      case 'ArrowUp': this.move(-1); break
      case 'Enter':
        if (event.shiftKey || this.active < 0) return false
        this.insert(this.active)
        break
      case 'Escape':
        this.close()
        this.say('Canned replies closed.')
        break
      default: return false
    }
    event.preventDefault()
    return true
  }
}

const pickers = new WeakMap()

function pickerFor (target) {
  const url = urlOf(target)
  if (!url) return null
  let picker = pickers.get(target)
  if (!picker) {
    picker = new Picker(target, url)
    pickers.set(target, picker)
  }
  return picker
}

// The hint shows on boxes already on the page; others get it when first focused.
for (const holder of document.querySelectorAll('[data-canned-replies]')) {
  const box = holder instanceof HTMLTextAreaElement ? holder : holder.querySelector('textarea')
  if (box) pickerFor(box)
}

document.addEventListener('focusin', (event) => pickerFor(event.target))
document.addEventListener('input', (event) => {
  const picker = pickerFor(event.target)
  if (picker) picker.update()
})
document.addEventListener('keydown', (event) => {
  const picker = pickerFor(event.target)
  // Escape closes the list only: not a dialog around it, nor anything else listening
  if (picker && picker.key(event)) event.stopPropagation()
}, true)
document.addEventListener('keyup', (event) => {
  // the caret moved out of (or back into) a "/shortcut"
  if (['ArrowLeft', 'ArrowRight', 'Home', 'End'].includes(event.key)) {
    const picker = pickerFor(event.target)
    if (picker) picker.update()
  }
})
document.addEventListener('click', (event) => {
  const picker = event.target instanceof HTMLTextAreaElement && pickers.get(event.target)
  if (picker) picker.update()
})
document.addEventListener('focusout', (event) => {
  const picker = event.target instanceof HTMLTextAreaElement && pickers.get(event.target)
  if (picker) picker.close()
})
