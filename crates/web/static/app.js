// Progressive enhancement only: the site works without this file. It registers the service worker that keeps
// the articles a reader opened readable offline.
if ("serviceWorker" in navigator) {
  navigator.serviceWorker.register("/sw.js", { scope: "/" }).catch(function () {
    // Offline reading is a nicety; a browser that refuses it loses nothing else.
  });
}
