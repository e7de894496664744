// The first page after `teichaku app` starts is sent before the records are read
// (teichaku_nb/app/opening.py): it says they are being read, and the server lets it connect to
// its kernel once the kernel has built the page.  When the page is drawn (its hidden button is
// there), this script hides the line and presses the button: the kernel then builds what the
// page hides until a case is opened.
(function () {
  function check() {
    var buttons = document.querySelectorAll('.teichaku-open-page:not([data-teichaku-pressed])');
    if (!buttons.length) { return; }
    document.querySelectorAll('.teichaku-reading').forEach(function (line) {
      (line.closest('.jp-OutputArea-output') || line).style.display = 'none';
    });
    buttons.forEach(function (button) {
      button.setAttribute('data-teichaku-pressed', '1');
      button.click();
    });
  }
  new MutationObserver(check).observe(document.documentElement, {subtree: true, childList: true});
})();
