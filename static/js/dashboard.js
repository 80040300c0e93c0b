// The live dashboard (UX.md 32-33): tiles that follow the figures without a reload, and a status
// that says in words whether they are live.
//
// The socket (/ws/dashboard/) sends "stats" whenever the figures changed, at most once a second.
// On each one the page asks the server for its tiles again (GET /dashboards/tiles/ through the
// hidden #dashboard-sync element), so what is shown is always what the server lets this user see,
// and every tile's "Updated" time is the moment the server counted it. No figures are kept here.
const status = document.getElementById('live-status')
const sync = document.getElementById('dashboard-sync')

// Closed with 4403: this session may no longer watch (signed out, disabled, no longer allowed).
// Trying again would only be refused; the next page load signs in again.
const FORBIDDEN = 4403
const FIRST_WAIT_MS = 1000
const MAX_WAIT_MS = 60000
const STATES = {
  connecting: ['arrow-clockwise', 'Connecting…'],
  live: ['broadcast', 'Live'],
  paused: ['pause-circle', 'Paused — reconnecting'],
  stopped: ['x-octagon', 'Paused: reload the page for live figures'],
  'signed-out': ['x-octagon', 'Signed out: reload the page to sign in again']
}

function setStatus (state) {
  const [icon, text] = STATES[state]
  status.dataset.state = state
  status.querySelector('.live-text').textContent = text
  const use = status.querySelector('use')
  if (use) use.setAttribute('href', use.getAttribute('href').replace(/#.*$/, '#' + icon))
}

function socketUrl () {
  const scheme = window.location.protocol === 'https:' ? 'wss:' : 'ws:'
  return `${scheme}//${window.location.host}/ws/dashboard/`
}

let failures = 0
let stopped = false

function connect () {
  setStatus(failures ? 'paused' : 'connecting')
  const socket = new window.WebSocket(socketUrl())
  socket.addEventListener('open', () => {
    failures = 0
    setStatus('live')
  })
  socket.addEventListener('message', (event) => {
    let message = null
    try {
      message = JSON.parse(event.data)
    } catch {
      return
    }
    if (message && message.type === 'stats') window.htmx.trigger(document.body, 'dashboard-refresh')
  })
  socket.addEventListener('close', (event) => {
    if (stopped) return
    if (event.code === FORBIDDEN) {
      setStatus('stopped')
      return
    }
    setStatus('paused')
    // Growing waits with jitter, so a server restart is not met by every page at once.
    const wait = Math.min(MAX_WAIT_MS, FIRST_WAIT_MS * 2 ** failures) * (0.5 + Math.random() / 2)
    failures += 1
    window.setTimeout(connect, wait)
  })
}

if (status && sync && window.htmx && 'WebSocket' in window) {
  // A session that ended answers with the sign-in page: never swap that in as the tiles.
  document.body.addEventListener('htmx:beforeSwap', (event) => {
    const url = event.detail.xhr && event.detail.xhr.responseURL
    if (url && new URL(url).pathname.startsWith('/accounts/')) {
      event.detail.shouldSwap = false
      stopped = true
      setStatus('signed-out')
    }
  })
  connect()
}
