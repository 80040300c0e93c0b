// The supervisor's team view: every message on the helpline socket (a case created, claimed,
// released, updated) asks the server for the page's sections again; no case data is kept here.
document.body.addEventListener('htmx:wsAfterMessage', () => {
  window.htmx.trigger(document.body, 'team-refresh')
})
