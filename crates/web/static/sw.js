// Tidings service worker: pages are fetched from the network first; article and story pages, the stylesheet
// and the home page are kept in a cache as they are read, and served from it when the network is gone.
// Nothing else is cached (nor any page marked no-store, as pages for signed-in readers are), and nothing is ever
// fetched that the reader did not ask for.
const CACHE = "tidings-v1";
// Filled in by the server from its catalogue of the site's text (crates/web/src/strings.rs).
const OFFLINE = "__OFFLINE__";
const KEEP = [/^\/$/, /^\/articles\/\d+$/, /^\/stories\/\d+$/, /^\/static\//];

self.addEventListener("install", function (event) {
  event.waitUntil(caches.open(CACHE).then(function (cache) { return cache.addAll(["/", "/static/site.css"]); }));
  self.skipWaiting();
});

self.addEventListener("activate", function (event) {
  event.waitUntil(
    caches.keys().then(function (names) {
      return Promise.all(names.filter(function (n) { return n !== CACHE; }).map(function (n) { return caches.delete(n); }));
    }).then(function () { return self.clients.claim(); })
  );
});

self.addEventListener("fetch", function (event) {
  const request = event.request;
  const url = new URL(request.url);
  if (request.method !== "GET" || url.origin !== self.location.origin) return;
  if (!KEEP.some(function (pattern) { return pattern.test(url.pathname); })) return;
  event.respondWith(
    fetch(request).then(function (response) {
      // A page made for a signed-in reader (their forms, their held comments) says no-store: never kept.
      const control = response.headers.get("Cache-Control") || "";
      if (response.ok && !/no-store|private/.test(control)) {
        const copy = response.clone();
        caches.open(CACHE).then(function (cache) { cache.put(request, copy); });
      }
      return response;
    }).catch(function () {
      return caches.match(request).then(function (cached) {
        return cached || new Response(OFFLINE, {
          status: 503, headers: { "Content-Type": "text/plain; charset=utf-8" },
        });
      });
    })
  );
});
