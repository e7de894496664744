// The first page after `teichaku app` starts is sent before the records are read
// (teichaku_nb/app/opening.py): it says they are being read, and the server lets it connect to
// its kernel once the kernel has built the page.  Meanwhile the widgets' place would say
// "Loading widget..." (Voila's, in English): this script leaves it empty.  When the page is
// drawn (its hidden button is there), it hides the line and presses the button: the kernel
// then builds what the page hides until a case is opened.
(function () {
  var LOADING = 'Loading widget...';
  function check() {
    document.querySelectorAll('.jp-OutputArea-output').forEach(function (output) {
      if (output.childElementCount === 0 && output.textContent === LOADING) { output.textContent = ''; }
    });
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
