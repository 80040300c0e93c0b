// An import's progress bar (UX.md 38): moved by the batch's socket (/ws/feeds/imports/<id>/), which
// sends counts and a status after each chunk the import commits. The server's progress URL is asked
// too: every few seconds while the socket is down, and now and then while it is up (an event is
// best effort: one that did not go must not leave the bar stuck). When the batch ends the page is
// loaded again, and the server shows the report. Nothing is kept on the device.
const section = document.getElementById('import-progress')
const bar = document.getElementById('import-bar')
const text = document.getElementById('import-progress-text')
const live = document.getElementById('import-live')

// Closed with 4403: this session may no longer read the batch; trying again would be refused.
const FORBIDDEN = 4403
const POLL_DOWN_MS = 2000
const POLL_UP_MS = 5000
const FIRST_WAIT_MS = 1000
const MAX_WAIT_MS = 30000
const FINISHED = ['done', 'failed', 'rolled_back']
const LIVE_WORDS = {
  connecting: 'Connecting…',
  live: 'Live',
  polling: 'Reconnecting… meanwhile checking every few seconds',
  stopped: 'Not live: reload the page to see where it has got to'
}

let socketUp = false
let ended = false
let failures = 0
let pollTimer = null

function setLive (state) {
  live.dataset.state = state
  live.textContent = LIVE_WORDS[state]
}

// The same words as feeds.views.progress_bar, from the same event.
function draw (event) {
  const rows = event.counts.rows
  const done = event.rows_done
  if (FINISHED.includes(event.status)) {
    const total = Math.max(rows, done)
    bar.max = Math.max(total, 1)
    bar.value = Math.max(total, 1)
    text.textContent = `100%: all ${total} rows read.`
  } else if (event.status === 'queued') {
    bar.removeAttribute('value')
    text.textContent = 'Waiting for the import to start…'
  } else if (rows > done) {
    bar.max = rows
    bar.value = done
    text.textContent = `${done} of ${rows} rows read.`
  } else {
    bar.removeAttribute('value')
    text.textContent = `${done} rows read so far.`
  }
  if (FINISHED.includes(event.status) && !ended) {
    ended = true
    section.dataset.status = event.status
    // a moment for the 100% to be seen and announced, then the report
    window.setTimeout(() => window.location.reload(), 800)
  }
}

function accept (event) {
  if (event && event.type === 'import.progress' && String(event.id) === section.dataset.batch) {
    draw(event)
  }
}

async function poll () {
  pollTimer = null
  if (ended) return
  try {
    const response = await window.fetch(section.dataset.progressUrl, {
      credentials: 'same-origin',
      headers: { Accept: 'application/json' },
      cache: 'no-store'
    })
    const type = response.headers.get('content-type') || ''
    if (!response.ok || !type.startsWith('application/json')) {
      // signed out (the sign-in page came back) or no longer allowed: stop asking
      setLive('stopped')
      return
    }
    accept(await response.json())
  } catch {
    // the server is away for a moment: ask again later
  }
  schedulePoll()
}

function schedulePoll () {
  if (ended || pollTimer !== null || live.dataset.state === 'stopped') return
  pollTimer = window.setTimeout(poll, socketUp ? POLL_UP_MS : POLL_DOWN_MS)
}

function socketUrl () {
  const scheme = window.location.protocol === 'https:' ? 'wss:' : 'ws:'
  return `${scheme}//${window.location.host}/ws/feeds/imports/${section.dataset.batch}/`
}

function connect () {
  if (ended) return
  setLive(failures ? 'polling' : 'connecting')
  const socket = new window.WebSocket(socketUrl())
  socket.addEventListener('open', () => {
    failures = 0
    socketUp = true
    setLive('live')
  })
  socket.addEventListener('message', (message) => {
    try {
      accept(JSON.parse(message.data))
    } catch {
      // not an event of ours: ignored
    }
  })
  socket.addEventListener('close', (event) => {
    socketUp = false
    if (ended) return
    if (event.code === FORBIDDEN) {
      setLive('stopped')
      return
    }
    setLive('polling')
    schedulePoll()
    // growing waits with jitter, so a server restart is not met by every page at once
    const wait = Math.min(MAX_WAIT_MS, FIRST_WAIT_MS * 2 ** failures) * (0.5 + Math.random() / 2)
    failures += 1
    window.setTimeout(connect, wait)
  })
}

if (section && bar && text && live && section.dataset.finished !== 'true') {
  if ('WebSocket' in window) {
    connect()
  } else {
    setLive('polling')
  }
  schedulePoll()
}
