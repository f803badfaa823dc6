/* 全录·现场 service worker (scope /field/).
   Workbox 7.4.1, vendored from npm under static/field/vendor/workbox (MIT): workbox-sw
   loads its modules from modulePathPrefix, our own static folder, never a CDN.
   The shell page and its files are precached (revisioned, so a new release replaces
   them); the JSON API is never cached: it is the server's answer or nothing, and the
   page then works from IndexedDB. */
importScripts("{{ workbox }}");
workbox.setConfig({ modulePathPrefix: "{{ prefix }}", debug: false });
workbox.core.setCacheNameDetails({ prefix: "quanlu-field" });
workbox.core.clientsClaim();
self.skipWaiting();
// Django varies every page on Cookie and Accept-Language; the shell is the same for
// whoever is signed in, and an offline navigation must match it whatever its headers.
workbox.precaching.addPlugins([{
  cacheWillUpdate: async ({ response }) => {
    const headers = new Headers(response.headers);
    headers.delete("Vary");
    return new Response(await response.blob(), { status: response.status, statusText: response.statusText, headers: headers });
  }
}]);
// The page is /field/ whatever the hash (#case=...): match it without query or hash.
workbox.precaching.precacheAndRoute({{ precache|safe }}, { ignoreURLParametersMatching: [/.*/] });
workbox.precaching.cleanupOutdatedCaches();
