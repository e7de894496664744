// Where the page scrolls to, which widgets cannot say (index.html.j2 loads this file).
//
// 1. When another case opens (the case title's data-user-id changes), the case column's top is
//    brought into view: a case low in the agenda opens at its beginning, not in its middle.
// 2. When the question before leaving unsaved edits appears (.teichaku-leave shown), the case
//    column's top, where that question sits, is brought into view too.
// The case column's head is sticky (app.css), so both stay in view while the form is edited.
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
