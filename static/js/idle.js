// A warning one minute before the idle sign-out (UX.md 47, WCAG 2.2.1). The server decides
// (accounts.middleware.SessionLimitsMiddleware); <body data-idle-*> (accounts.idle.session_clock)
// says how long this session has left. Every request the page makes starts the server's clock
// again, noted up to data-idle-touch-every seconds late, so after one the page counts from that
// much earlier. "Stay signed in" (or Esc: someone is there) posts to the keepalive; at the end the
// page signs out itself, back to this page after signing in (forms keep their drafts,
// static/js/drafts.js). Other tabs of the same session hear of every request and of "Stay signed
// in" through a BroadcastChannel (a message, nothing stored), so a forgotten tab does not sign out
// someone busy in another.
const body = document.body
const WARN_BEFORE_MS = 60 * 1000

if (body.dataset.idleSeconds) {
  const idleMs = Number(body.dataset.idleSeconds) * 1000
  const touchMs = Number(body.dataset.idleTouchEvery) * 1000
  const endsAt = Date.now() + Number(body.dataset.sessionEndsIn) * 1000
  const keepaliveUrl = body.dataset.keepaliveUrl
  const channel = 'BroadcastChannel' in window ? new BroadcastChannel('lantern-idle') : null
  let idleEndsAt = Date.now() + Number(body.dataset.idleLeft) * 1000
  let warnTimer = null
  let endTimer = null
  let countdown = null
  let dialog = null

  const csrf = () => {
    try {
      return JSON.parse(body.getAttribute('hx-headers') || '{}')['X-CSRFToken'] || ''
    } catch {
      return ''
    }
  }

  function signOut () {
    const form = document.querySelector('form[data-sign-out]')
    if (!form) {
      window.location.reload() // the server signs the session out and asks for a sign-in
      return
    }
    const next = document.createElement('input')
    next.type = 'hidden'
    next.name = 'next'
    next.value = window.location.pathname + window.location.search
    form.append(next)
    form.submit()
  }

  function buildDialog () {
    dialog = document.createElement('dialog')
    dialog.className = 'idle-dialog border-0 rounded shadow p-4'
    dialog.setAttribute('role', 'alertdialog')
    dialog.setAttribute('aria-labelledby', 'idle-title')
    dialog.setAttribute('aria-describedby', 'idle-text')
    dialog.innerHTML =
      '<h2 class="h5" id="idle-title">You will be signed out soon</h2>' +
      '<p id="idle-text"></p>' +
      '<p class="small text-body-secondary">What you have typed into forms is kept as a draft.</p>' +
      '<div class="d-flex gap-2"><button type="button" class="btn btn-primary" data-idle-stay>Stay signed in</button>' +
      '<button type="button" class="btn btn-outline-secondary" data-idle-leave>Sign out now</button></div>'
    dialog.querySelector('[data-idle-stay]').addEventListener('click', stay)
    dialog.querySelector('[data-idle-leave]').addEventListener('click', signOut)
    dialog.addEventListener('cancel', (event) => { // Esc
      event.preventDefault()
      stay()
    })
    body.append(dialog)
  }

  function warn () {
    const final = endsAt <= idleEndsAt // the absolute limit: no staying signed in past it
    if (!dialog) buildDialog()
    const stayButton = dialog.querySelector('[data-idle-stay]')
    stayButton.hidden = final
    const text = dialog.querySelector('#idle-text')
    const tick = () => {
      const seconds = Math.max(0, Math.round((Math.min(idleEndsAt, endsAt) - Date.now()) / 1000))
      text.textContent = final
        ? `Your session ends in ${seconds} seconds, as every session does after some hours. Sign in again to carry on.`
        : `You have not used Lantern for a while. You will be signed out in ${seconds} seconds.`
    }
    tick()
    clearInterval(countdown)
    countdown = setInterval(tick, 1000)
    if (!dialog.open) dialog.showModal()
    ;(final ? dialog.querySelector('[data-idle-leave]') : stayButton).focus()
  }

  function hideWarning () {
    clearInterval(countdown)
    if (dialog && dialog.open) dialog.close()
  }

  function schedule () {
    clearTimeout(warnTimer)
    clearTimeout(endTimer)
    const end = Math.min(idleEndsAt, endsAt)
    warnTimer = setTimeout(warn, Math.max(0, end - WARN_BEFORE_MS - Date.now()))
    endTimer = setTimeout(signOut, Math.max(0, end - Date.now()))
  }

  // The server saw a request: its idle clock starts again (noted up to touchMs late).
  function seen (at = Date.now(), tell = true) {
    idleEndsAt = Math.max(idleEndsAt, at + idleMs - touchMs)
    if (tell && channel) channel.postMessage({ seenAt: at })
    hideWarning()
    schedule()
  }

  async function stay () {
    try {
      const answer = await fetch(keepaliveUrl, {
        method: 'POST',
        credentials: 'same-origin',
        headers: { 'X-CSRFToken': csrf() }
      })
      if (!answer.ok || answer.redirected) {
        window.location.reload() // already signed out: the server asks for a sign-in
        return
      }
      const times = await answer.json()
      idleEndsAt = Date.now() + times.idle_left * 1000
      seen()
    } catch {
      dialog.querySelector('#idle-text').textContent =
        'Lantern cannot be reached just now. Check the connection and try again.'
    }
  }

  document.addEventListener('htmx:afterRequest', () => seen())
  document.addEventListener('lantern:server-seen', () => seen())
  if (channel) channel.addEventListener('message', (event) => seen(event.data.seenAt, false))
  schedule()
}
