// The 記録者 (who records) is remembered in this browser (index.html.j2 loads this file).
//
// Whatever is typed into the header's 記録者 field is kept in localStorage; on the next page
// (a reload, the next day) an empty field is filled in again and the widget is told, as if the
// user had typed it, so the kernel knows who records before anything is saved.
(function () {
  var KEY = 'teichaku.recorder';
  function remember(input) {
    if (input.dataset.teichakuRemembered) { return; }
    input.dataset.teichakuRemembered = '1';
    var saved = null;
    try { saved = window.localStorage.getItem(KEY); } catch (e) { /* storage off: nothing kept */ }
    if (saved && !input.value) {
      input.value = saved;
      input.dispatchEvent(new Event('input', {bubbles: true}));
      input.dispatchEvent(new Event('change', {bubbles: true}));
    }
    input.addEventListener('input', function () {
      try { window.localStorage.setItem(KEY, input.value.trim()); } catch (e) { /* storage off */ }
    });
  }
  function check() {
    var input = document.querySelector('.teichaku-recorder input');
    if (input) { remember(input); }
  }
  new MutationObserver(check).observe(document.documentElement, {subtree: true, childList: true});
})();
