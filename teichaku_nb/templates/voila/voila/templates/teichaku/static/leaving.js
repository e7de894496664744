// What the app's page does when it is closed or reloaded (widgets cannot hook the browser's
// beforeunload / pagehide).  index.html.j2 loads this file before Voila's own scripts.
//
// 1. While the open case has unsaved edits, the browser asks first, as moving inside the app
//    does.  The view marks the page then with a class (ConferenceView._render_unsaved); the
//    server names that class in the page config (teichaku_nb.server.page), which Voila writes
//    into the page as #jupyter-config-data.
// 2. Voila's own beforeunload listener sends the kernel's shutdown with navigator.sendBeacon and
//    then disconnects the page, even when the person then chooses to stay (the page would look
//    alive but could no longer save).  While there are unsaved edits that sendBeacon call
//    fails, so Voila's listener stops before disconnecting (tests/test_app_browser.py checks
//    that a page kept this way still saves).
// 3. The kernel is shut down on pagehide, when the page really goes.  Voila's own request
//    needs the _xsrf cookie, which a page opened with ?token= lacks (the server answered 403
//    and every closed page left its kernel running): this one carries the page's token.
(function () {
  var beacon = navigator.sendBeacon.bind(navigator);
  function config() {
    var el = document.getElementById('jupyter-config-data');
    return el ? JSON.parse(el.textContent) : {};
  }
  function unsaved() {
    var mark = config().teichakuUnsavedClass;
    return Boolean(mark) && document.querySelector('.' + mark) !== null;
  }
  navigator.sendBeacon = function (url, data) {
    if (String(url).indexOf('voila/api/shutdown/') !== -1 && unsaved()) {
      throw new Error('teichaku: unsaved edits; the kernel is kept until the page goes');
    }
    return beacon(url, data);
  };
  window.addEventListener('beforeunload', function (event) {
    if (unsaved()) {
      event.preventDefault();
      event.returnValue = '';
    }
  });
  window.addEventListener('pagehide', function () {
    var token = new URLSearchParams(window.location.search).get('token');
    var kernelId = config().kernelId;
    if (token && kernelId) {
      beacon(config().baseUrl + 'voila/api/shutdown/' + kernelId + '?token=' + encodeURIComponent(token));
    }
  });
})();
