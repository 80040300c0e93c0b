// The operator's state switch in the header and the team view's states (UX.md 6, 7, 8).
//
// The wrap-up timer counts down from the server's timestamps (data-until-ms against the page's
// data-server-now-ms), never the browser's clock. When it runs out the switch is read again from
// the server, which then says Available (live.presence.effective): both always agree.
//
// On pages that hold the helpline socket (the queue, the team view), "operator.state" messages
// are taken here and nowhere else (cancelled before the ws extension's after-message handlers, so
// the queue does not re-read its rows for a change of state): one's own re-reads the switch and
// is announced; anyone's updates their row on the team view, silently (too noisy otherwise).
// Other scripts may listen for the `lantern:operator-state` event on document.
const URL_ATTR = 'data-url'
const announcer = document.getElementById('state-announcer')
let offset = 0 // server clock minus this browser's clock, from the switch's data-server-now-ms
let lastState = null
let refreshing = false

function switchEl () {
  return document.getElementById('state-switch')
}

function say (text) {
  if (!announcer || !text) return
  announcer.textContent = '' // cleared first, so the same words twice are announced twice
  window.setTimeout(() => { announcer.textContent = text }, 50)
}

function clock (seconds) {
  const s = Math.max(0, seconds)
  const h = Math.floor(s / 3600)
  const mm = String(Math.floor((s % 3600) / 60)).padStart(2, '0')
  const ss = String(s % 60).padStart(2, '0')
  return h ? `${h}:${mm}:${ss}` : `${mm}:${ss}`
}

const SAID = {
  available: 'You are available.',
  busy: 'You are busy.',
  wrap_up: 'You are in wrap-up.',
  away: 'You are away.'
}

// After every swap of the switch: take the server's clock again, and announce a change of state
// (the words the server sent with a change the operator made, or the state Lantern set).
function adopt () {
  const el = switchEl()
  if (!el) return
  offset = Number(el.dataset.serverNowMs) - Date.now()
  const state = el.dataset.state
  if (el.dataset.said) {
    say(el.dataset.said)
    delete el.dataset.said // said once, whatever settles next
  } else if (lastState !== null && state !== lastState) {
    say(SAID[state] || '')
  }
  lastState = state
}

function reread () {
  const el = switchEl()
  if (!el || refreshing || !window.htmx) return
  refreshing = true
  window.htmx.ajax('GET', el.getAttribute(URL_ATTR), { target: '#state-switch', swap: 'outerHTML' })
    .finally(() => { refreshing = false })
}

function tick () {
  const now = Date.now() + offset
  const el = switchEl()
  if (el && el.dataset.untilMs) {
    const left = Math.ceil((Number(el.dataset.untilMs) - now) / 1000)
    const timer = document.getElementById('state-timer')
    if (timer) timer.textContent = `${clock(left)} left`
    if (left <= 0) reread()
  }
  // The team view: wrap-up counts down; every other state counts up from its start.
  const team = document.getElementById('operator-states')
  if (!team) return
  const teamNow = Date.now() + Number(team.dataset.offsetMs || 0)
  for (const row of team.querySelectorAll('tr[data-operator]')) {
    const cell = row.querySelector('.operator-clock')
    if (!cell) continue
    if (row.dataset.untilMs) {
      const left = Math.ceil((Number(row.dataset.untilMs) - teamNow) / 1000)
      if (left <= 0) {
        show(row, { state: 'available', since: new Date(Number(row.dataset.untilMs)).toISOString(), until: null, activity: '' })
        continue
      }
      cell.textContent = `${clock(left)} left`
    } else if (row.dataset.sinceMs) {
      cell.textContent = `for ${clock(Math.floor((teamNow - Number(row.dataset.sinceMs)) / 1000))}`
    }
  }
}

// One operator's row on the team view, from an operator.state message (or a run-out wrap-up).
const LABELS = { available: 'Available', busy: 'Busy', wrap_up: 'Wrap-up', away: 'Away' }
const ICONS = { available: 'check-circle-fill', busy: 'headset', wrap_up: 'hourglass-split', away: 'moon' }
const ACTIVITY = { call: 'on a call', chat: 'in a chat' }
function show (row, operator) {
  row.dataset.state = operator.state
  if (operator.until) row.dataset.untilMs = String(Date.parse(operator.until))
  else delete row.dataset.untilMs
  if (operator.since) row.dataset.sinceMs = String(Date.parse(operator.since))
  else delete row.dataset.sinceMs
  const label = row.querySelector('.operator-state-label')
  if (label) label.textContent = LABELS[operator.state] || operator.state
  const activity = row.querySelector('.operator-activity')
  if (activity) activity.textContent = operator.state === 'busy' ? (ACTIVITY[operator.activity] || '') : ''
  const use = row.querySelector('.operator-state use')
  const icon = operator.state === 'busy' && operator.activity === 'chat' ? 'chat-dots' : ICONS[operator.state]
  if (use && icon) use.setAttribute('href', use.getAttribute('href').replace(/#.*$/, '#' + icon))
  const cell = row.querySelector('.operator-clock')
  if (cell && !row.dataset.sinceMs && !row.dataset.untilMs) cell.textContent = ''
}

function onOperatorState (operator) {
  const el = switchEl()
  if (el && Number(el.dataset.userId) === operator.id) reread()
  const row = document.querySelector(`#operator-states tr[data-operator="${operator.id}"]`)
  if (row) show(row, operator)
  else if (document.getElementById('operator-states')) window.htmx.trigger(document.body, 'team-refresh')
  document.dispatchEvent(new window.CustomEvent('lantern:operator-state', { detail: operator }))
}

document.body.addEventListener('htmx:wsBeforeMessage', (event) => {
  let message = null
  try {
    message = JSON.parse(event.detail.message)
  } catch {
    return
  }
  if (!message || message.type !== 'operator.state' || !message.operator) return
  event.preventDefault() // the queue and the team view's re-read need not hear of it
  onOperatorState(message.operator)
})

// The wrap-up's own timer and the team view's clocks take the server's clock when drawn.
document.body.addEventListener('htmx:afterSettle', () => {
  adopt()
  const team = document.getElementById('operator-states')
  if (team && team.dataset.serverNowMs && !team.dataset.offsetMs) {
    team.dataset.offsetMs = String(Number(team.dataset.serverNowMs) - Date.now())
  }
})

adopt()
{
  const team = document.getElementById('operator-states')
  if (team) team.dataset.offsetMs = String(Number(team.dataset.serverNowMs) - Date.now())
}
tick()
window.setInterval(tick, 1000)
