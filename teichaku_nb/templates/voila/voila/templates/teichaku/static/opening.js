// The first page after `teichaku app` starts is shown before the records are read
// (teichaku_nb/app/opening.py): it says they are being read and holds a hidden button.  Once the
// browser has drawn that button, it has every widget the kernel made so far, and this script
// presses it: the kernel then builds the page, and the browser receives the new widgets as it
// does after any click.
(function () {
  function check() {
    document.querySelectorAll('.teichaku-open-page:not([data-teichaku-pressed])').forEach(function (button) {
      button.setAttribute('data-teichaku-pressed', '1');
      button.click();
    });
  }
  new MutationObserver(check).observe(document.documentElement, {subtree: true, childList: true});
})();
