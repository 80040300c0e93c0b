// Runs first in <body>: marks the page as able to run GOV.UK Frontend before it is drawn, so the
// quick-exit keyboard hint and component styles do not jump in later. An external file, because
// the CSP allows no inline scripts.
document.body.classList.add('js-enabled');
if ('noModule' in HTMLScriptElement.prototype) {
  document.body.classList.add('govuk-frontend-supported');
}
