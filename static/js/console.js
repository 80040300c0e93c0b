// The live queue (UX.md 5a.1, 5a.7, 5a.13).
//
// The htmx ws extension holds the socket to /ws/helpline/ (and reconnects with backoff). Its
// messages are JSON that only say something changed; on each one the page asks the server for
// its rows again (GET /console/rows/ through the hidden #queue-sync element), so the list is
// always what the server lets this user see and no case data is kept in the browser. htmx puts
// focus back on the element with the same id after the swap, and the scroll position stays.
const queue = document.getElementById('queue')
const status = document.getElementById('live-status')
const announcer = document.getElementById('queue-announcer')
const feedback = document.getElementById('console-feedback')

// The close codes after which the ws extension reconnects by itself; any other close (4403: the
// session no longer may watch) is final until the page is loaded again.
const RECONNECTING_CODES = [1006, 1011, 1012, 1013]
const STATES = {
  connecting: ['arrow-clockwise', 'Connecting…'],
  live: ['broadcast', 'Live'],
  reconnecting: ['arrow-repeat', 'Reconnecting… the list may be out of date'],
  offline: ['x-octagon', 'Not live: reload the page'],
  'signed-out': ['x-octagon', 'Signed out: reload the page to sign in again']
}

function setStatus (state) {
  if (!status) return
  const [icon, text] = STATES[state]
  status.dataset.state = state
  status.querySelector('.live-text').textContent = text
  const use = status.querySelector('use')
  if (use) use.setAttribute('href', use.getAttribute('href').replace(/#.*$/, '#' + icon))
}

function refresh () {
  window.htmx.trigger(document.body, 'queue-refresh')
}

function say (text) {
  // Cleared first, so the same words said twice are announced twice.
  announcer.textContent = ''
  window.setTimeout(() => { announcer.textContent = text }, 50)
}

// New reports are announced in words (never moving focus), a burst in one sentence.
let labels = {}
try {
  labels = JSON.parse(queue.dataset.channelLabels || '{}')
} catch {
  labels = {}
}
// The teams this page shows (helpline.queue): an event about a case in another team's queue is
// not this page's, unless the case is on the page now (it just moved away, so its row must go).
const scopeAll = queue.dataset.scopeAll === 'true'
const scopeShared = queue.dataset.scopeShared === 'true'
const scopeTeams = (queue.dataset.scopeTeams || '').split(',').filter(Boolean).map(Number)
function concerns (summary) {
  if (scopeAll) return true
  const here = summary.team === null || summary.team === undefined
    ? scopeShared
    : scopeTeams.includes(summary.team)
  return here || document.getElementById('case-' + summary.number) !== null
}

let arrivals = []
let arrivalTimer = null
function announceNew (summary) {
  const label = labels[summary.channel] || 'new'
  const channel = label === label.toUpperCase() ? label : label.toLowerCase()
  const urgent = summary.priority === 'high' ? 'high priority ' : ''
  arrivals.push(`New ${urgent}${channel} report ${summary.number}.`)
  window.clearTimeout(arrivalTimer)
  arrivalTimer = window.setTimeout(() => {
    say(arrivals.join(' '))
    arrivals = []
  }, 400)
}

// Opt-in alerts (UX.md 5a.12): a short tone, and a system notification while the tab is hidden.
// Both say only that a report came in: a notification can show on a screen others see. The
// choice is the one thing kept in the browser, and permission is asked only on the click.
const ALERTS_KEY = 'lantern.console.alerts'
const alertsToggle = document.getElementById('alerts-toggle')
let audio = null

function alertsOn () {
  return window.localStorage.getItem(ALERTS_KEY) === 'on'
}

function showAlertsState () {
  if (!alertsToggle) return
  alertsToggle.hidden = false
  alertsToggle.setAttribute('aria-pressed', String(alertsOn()))
  alertsToggle.querySelector('.alerts-text').textContent = alertsOn() ? 'Alerts on' : 'Alerts off'
}

function tone (times) {
  audio = audio || new window.AudioContext()
  for (let i = 0; i < times; i++) {
    const oscillator = audio.createOscillator()
    const gain = audio.createGain()
    oscillator.frequency.value = 880
    gain.gain.value = 0.08
    oscillator.connect(gain).connect(audio.destination)
    const start = audio.currentTime + i * 0.3
    oscillator.start(start)
    oscillator.stop(start + 0.15)
  }
}

function alertNew (summary) {
  if (!alertsOn()) return
  const urgent = summary.priority === 'high'
  tone(urgent ? 2 : 1)
  if (document.hidden && 'Notification' in window && window.Notification.permission === 'granted') {
    // eslint-disable-next-line no-new
    new window.Notification(urgent ? 'New urgent report' : 'New report', { tag: 'lantern-queue' })
  }
}

if (alertsToggle) {
  showAlertsState()
  alertsToggle.addEventListener('click', () => {
    window.localStorage.setItem(ALERTS_KEY, alertsOn() ? 'off' : 'on')
    if (alertsOn() && 'Notification' in window && window.Notification.permission === 'default') {
      window.Notification.requestPermission()
    }
    if (alertsOn()) tone(1) // a sample, and it unlocks audio after this user gesture
    showAlertsState()
  })
}

function tell (text) {
  if (!feedback) return
  const alert = document.createElement('div')
  alert.className = 'alert alert-danger py-2 mb-2'
  alert.textContent = text
  feedback.replaceChildren(alert)
}

if (queue && status && announcer) {
  setStatus('connecting')
  let opened = false
  document.body.addEventListener('htmx:wsConnecting', () => {
    setStatus(opened ? 'reconnecting' : 'connecting')
  })
  document.body.addEventListener('htmx:wsOpen', () => {
    setStatus('live')
    // After a reconnect, whatever happened while the socket was down is read again; on the
    // first open this also covers the moment between the page and the socket.
    refresh()
    opened = true
  })
  document.body.addEventListener('htmx:wsClose', (event) => {
    const code = event.detail && event.detail.event ? event.detail.event.code : 1006
    setStatus(RECONNECTING_CODES.includes(code) ? 'reconnecting' : 'offline')
  })
  document.body.addEventListener('htmx:wsAfterMessage', (event) => {
    let message = null
    try {
      message = JSON.parse(event.detail.message)
    } catch {
      message = null
    }
    // A web chat offered to this operator, because they are available (chat.services): said
    // in words, once; the chat's row is in the queue already (its case.created came first).
    if (message && message.type === 'chat.offered') {
      say(`Web chat ${message.case} is waiting for you: open the case to take it.`)
      return
    }
    if (message && message.case && !concerns(message.case)) return
    if (message && message.type === 'case.created' && message.case) {
      announceNew(message.case)
      alertNew(message.case)
    }
    refresh()
  })

  // A session that ended answers with the sign-in page: never swap that into the queue.
  document.body.addEventListener('htmx:beforeSwap', (event) => {
    const url = event.detail.xhr && event.detail.xhr.responseURL
    if (url && new URL(url).pathname.startsWith('/accounts/')) {
      event.detail.shouldSwap = false
      setStatus('signed-out')
    }
  })
  document.body.addEventListener('htmx:responseError', (event) => {
    tell(`That did not work (the server said ${event.detail.xhr.status}). Reload the page and try again.`)
  })
  document.body.addEventListener('htmx:sendError', () => {
    tell('The server could not be reached. Check the connection and try again.')
  })

  // "waiting 03:12" and "Overdue 4 min", counted from the server's timestamps: the offset to the
  // server clock is taken from the rows each time new rows arrive, so a wrong PC clock is harmless.
  let clockRows = null
  let offset = 0
  const clock = (seconds) => {
    const h = Math.floor(seconds / 3600)
    const m = Math.floor((seconds % 3600) / 60)
    const s = seconds % 60
    const mm = String(m).padStart(2, '0')
    const ss = String(s).padStart(2, '0')
    return h ? `${h}:${mm}:${ss}` : `${mm}:${ss}`
  }
  const tick = () => {
    const rows = document.getElementById('queue-rows')
    if (!rows) return
    if (rows !== clockRows) {
      clockRows = rows
      offset = Number(rows.dataset.serverNowMs) - Date.now()
    }
    const now = Date.now() + offset
    for (const cell of rows.querySelectorAll('[data-since-ms]')) {
      const waited = Math.max(0, now - Number(cell.dataset.sinceMs))
      cell.querySelector('.waiting').textContent = 'waiting ' + clock(Math.floor(waited / 1000))
      const target = Number(cell.dataset.slaMs || 0)
      const late = waited - target
      if (!target || late <= 0) continue
      const ok = cell.querySelector('.sla-ok')
      const overdue = cell.querySelector('.sla-overdue')
      if (ok) ok.hidden = true
      if (overdue) {
        overdue.hidden = false
        overdue.querySelector('.sla-overdue-text').textContent = `Overdue ${Math.max(1, Math.floor(late / 60000))} min`
      }
      cell.closest('tr').classList.add('is-overdue')
    }
  }
  tick()
  window.setInterval(tick, 1000)
}
