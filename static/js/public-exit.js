// "Leave this site" with JavaScript: GOV.UK Frontend's Exit this page (Shift pressed 3 times, an
// overlay that hides the page at once, reset when the page is shown again from the back/forward
// cache). Without JavaScript the button is still an ordinary link to the same neutral site.
(function () {
  'use strict';

  var GOVUK = window.GOVUKFrontend;
  if (!GOVUK || !GOVUK.ExitThisPage || !document.body.classList.contains('govuk-frontend-supported')) {
    return;
  }

  // The upstream component leaves with location.href, which keeps this page in the history:
  // replace() swaps it out, so the Back button does not bring it back on screen.
  class QuickExit extends GOVUK.ExitThisPage {
    exitPage() {
      if (!this.$updateSpan) {
        return;
      }
      this.$updateSpan.textContent = '';
      document.body.classList.add('govuk-exit-this-page-hide-content');
      this.$overlay = document.createElement('div');
      this.$overlay.className = 'govuk-exit-this-page-overlay';
      this.$overlay.setAttribute('role', 'alert');
      this.$overlay.textContent = this.i18n.t('activated');
      document.body.appendChild(this.$overlay);
      window.location.replace(this.$button.href);
    }
  }

  var messages = {
    activated: 'Loading.',
    timedOut: 'Leave this site: the Shift key count has been reset.',
    pressTwoMoreTimes: 'Shift, press 2 more times to leave this site.',
    pressOneMoreTime: 'Shift, press 1 more time to leave this site.'
  };

  // It is announced as a button, so Space must press it as it would a button (a link scrolls).
  function pressOnSpace(event) {
    if (event.key === ' ') {
      event.preventDefault();
      event.currentTarget.click();
    }
  }

  document.querySelectorAll('[data-module="govuk-exit-this-page"]').forEach(function ($root) {
    try {
      new QuickExit($root, { i18n: messages });
      $root.querySelector('.govuk-exit-this-page__button').addEventListener('keydown', pressOnSpace);
    } catch (error) {
      // The link itself still leaves the site; never let a script error block that.
      if (window.console) {
        window.console.warn(error);
      }
    }
  });
})();
