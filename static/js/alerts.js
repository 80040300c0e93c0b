// Live alerts on every staff page (UX.md 5a.12, 50): a toast in the header's status region and a
// new count on the "Alerts (N)" badge, without a reload and without moving focus.
//
// The socket (/ws/alerts/) only says "notification N was created for you". The toast itself is
// asked of the server (/notifications/N/toast/), which answers only for the user's own alert, so
// no message text travels over the socket and nothing is kept in the browser. Without JavaScript
// the badge and the alerts page still work; they are plain links and forms.
const region = document.getElementById('alert-toasts')
const count = document.getElementById('alerts-count')
const badge = document.getElementById('alerts-badge')

// Closed with 4403: this session may no longer listen (signed out, disabled). Trying again would
// only be refused; the next page load signs in again.
const FORBIDDEN = 4403
const MAX_TOASTS = 3
const FIRST_WAIT_MS = 1000
const MAX_WAIT_MS = 60000

function socketUrl () {
  const scheme = window.location.protocol === 'https:' ? 'wss:' : 'ws:'
  return `${scheme}//${window.location.host}/ws/alerts/`
}

function dismiss (toast) {
  // Focus must not vanish with the toast: it goes to the badge, which lists every alert.
  if (toast.contains(document.activeElement) && badge) badge.focus()
  toast.remove()
}

async function showToast (id) {
  let response
  try {
    // 'manual': an ended session answers with a redirect to sign in, never shown as a toast.
    response = await window.fetch(`/notifications/${id}/toast/`, {
      credentials: 'same-origin',
      cache: 'no-store',
      redirect: 'manual'
    })
  } catch {
    return // offline for a moment: the alert is still on the alerts page
  }
  if (!response.ok) return
  const page = new window.DOMParser().parseFromString(await response.text(), 'text/html')
  const toast = page.querySelector('.alert-toast')
  if (!toast) return
  if (count && toast.dataset.unread) count.textContent = toast.dataset.unread
  const close = toast.querySelector('.alert-toast-close')
  if (close) close.addEventListener('click', () => dismiss(toast))
  region.append(toast)
  while (region.children.length > MAX_TOASTS) region.firstElementChild.remove()
}

let failures = 0

function connect () {
  const socket = new window.WebSocket(socketUrl())
  socket.addEventListener('open', () => {
    failures = 0
    region.dataset.socket = 'open' // for the browser tests: events reach this page from now on
  })
  socket.addEventListener('message', (event) => {
    let message = null
    try {
      message = JSON.parse(event.data)
    } catch {
      return
    }
    if (message && message.type === 'notification.created' && Number.isInteger(message.notification_id)) {
      showToast(message.notification_id)
    }
  })
  socket.addEventListener('close', (event) => {
    region.dataset.socket = 'closed'
    if (event.code === FORBIDDEN) return
    // Growing waits with jitter, so a server restart is not met by every page at once.
    const wait = Math.min(MAX_WAIT_MS, FIRST_WAIT_MS * 2 ** failures) * (0.5 + Math.random() / 2)
    failures += 1
    window.setTimeout(connect, wait)
  })
}

if (region && 'WebSocket' in window) connect()
