// Where the page scrolls to, which widgets cannot say (index.html.j2 loads this file).
//
// 1. When another case opens (the case title's data-user-id changes), the case column's top is
//    brought into view: a case low in the agenda opens at its beginning, not in its middle.
// 2. When the question before leaving unsaved edits appears (.teichaku-leave shown), the case
//    column's top, where that question sits, is brought into view too.
// The case column's head is sticky (app.css), so both stay in view while the form is edited.
// 3. What a pressed button did, said in the status line below it (common.Results), and the
//    question a button asks before an act (.teichaku-confirm), are brought into view when they
//    are off the screen (a button at the window's lower edge): only after a button was pressed,
//    so a poll's news never moves the page.
(function () {
  var pressed = 0;                                   // when a button was last pressed (ms), 0: answered
  document.addEventListener('click', function (event) {
    if (event.target.closest && event.target.closest('.teichaku-app .jupyter-button')) { pressed = Date.now(); }
  }, true);
  function toResult(mutations) {
    if (!pressed || Date.now() - pressed > 120000) { return; }
    for (var i = 0; i < mutations.length; i++) {
      var target = mutations[i].target;
      if (!target.closest) { continue; }
      var shown = target.closest('.teichaku-status, .teichaku-confirm');
      if (!shown || !shown.textContent.trim() || shown.style.display === 'none') { continue; }
      pressed = 0;
      reveal(shown);
      return;
    }
  }
  function reveal(element) {                         // whole, with a little room below or above it
    var box = element.getBoundingClientRect(), room = 8;
    var below = box.bottom + room - window.innerHeight, above = room - box.top;
    if (below <= 0 && above <= 0) { return; }
    var scroller = element.parentElement;
    while (scroller && !(scroller.scrollHeight > scroller.clientHeight
                         && /(auto|scroll)/.test(getComputedStyle(scroller).overflowY))) {
      scroller = scroller.parentElement;
    }
    if (scroller) { scroller.scrollTop += below > 0 ? below : -above; } else { element.scrollIntoView({block: 'nearest'}); }
  }
  new MutationObserver(toResult).observe(document.documentElement,
    {subtree: true, childList: true, characterData: true, attributes: true, attributeFilter: ['style']});
})();
(function () {
  var shownCase = null, asking = false;
  function toCaseTop() {
    var column = document.querySelector('.teichaku-case-column');
    if (column) { column.scrollIntoView({block: 'start'}); }
  }
  function check() {
    var title = document.querySelector('.teichaku-case-title[data-user-id]');
    var current = title ? title.getAttribute('data-user-id') : null;
    var leave = document.querySelector('.teichaku-leave');
    // its inline style, not offsetParent: this runs on every change of the page, and asking
    // for a layout each time made every case switch wait for it
    var nowAsking = Boolean(leave) && leave.style.display !== 'none';
    if ((current && current !== shownCase) || (nowAsking && !asking)) { toCaseTop(); }
    shownCase = current;
    asking = nowAsking;
  }
  new MutationObserver(check).observe(document.documentElement,
    {subtree: true, childList: true, attributes: true, attributeFilter: ['style', 'data-user-id']});
})();
