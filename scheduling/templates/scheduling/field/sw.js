// Zunft Monteur service worker {{ version }}: keeps the app shell and the last agenda, offers and
// task pages readable without a connection. Writes are not handled here: the page queues them in
// its outbox (IndexedDB) and replays them with their client ids once online.
"use strict";
const VERSION = "{{ version }}";
const SHELL_CACHE = `field-shell-${VERSION}`;
const DATA_CACHE = "field-data";
const SHELL = {{ shell|safe }};
const API = "{{ api }}";
const DATA = [API + "agenda", API + "appointments/", "/api/v1/dispatches"];

self.addEventListener("install", (event) => {
  event.waitUntil(
    caches.open(SHELL_CACHE)
      .then((cache) => cache.addAll(SHELL.map((url) => new Request(url, { credentials: "same-origin" }))))
      .then(() => self.skipWaiting())
  );
});

self.addEventListener("activate", (event) => {
  event.waitUntil(
    caches.keys()
      .then((keys) => Promise.all(
        keys.filter((key) => key.startsWith("field-shell-") && key !== SHELL_CACHE)
          .map((key) => caches.delete(key))
      ))
      .then(() => self.clients.claim())
  );
});

// Network first, the last good answer when the network fails.
async function networkFirst(request, cacheName, fallbackUrl) {
  const cache = await caches.open(cacheName);
  try {
    const response = await fetch(request);
    // A redirect (to the login page) is no answer worth keeping.
    if (response.ok && !response.redirected) cache.put(fallbackUrl || request, response.clone());
    return response;
  } catch (error) {
    const cached = await cache.match(fallbackUrl || request, { ignoreVary: true });
    if (!cached) throw error;
    // Tell the page that this is the last saved answer, not a fresh one.
    const headers = new Headers(cached.headers);
    headers.set("X-Zunft-Offline", "1");
    return new Response(await cached.blob(), { status: cached.status, headers });
  }
}

// Cache first for the versioned static files; fetched once when missing.
async function cacheFirst(request) {
  const cached = await caches.match(request, { ignoreVary: true });
  if (cached) return cached;
  const response = await fetch(request);
  if (response.ok) (await caches.open(SHELL_CACHE)).put(request, response.clone());
  return response;
}

self.addEventListener("fetch", (event) => {
  const request = event.request;
  if (request.method !== "GET") return;
  const url = new URL(request.url);
  if (url.origin !== location.origin) return;
  if (request.mode === "navigate" && url.pathname.startsWith("{{ scope|default:'/monteur/' }}")) {
    event.respondWith(networkFirst(request, SHELL_CACHE, "{{ scope|default:'/monteur/' }}"));
  } else if (DATA.some((prefix) => url.pathname.startsWith(prefix))) {
    event.respondWith(networkFirst(request, DATA_CACHE));
  } else if (url.pathname.startsWith("/static/")) {
    event.respondWith(cacheFirst(request));
  }
});

self.addEventListener("message", (event) => {
  // Sent on logout: nothing of this user may stay on a shared phone.
  if (event.data === "forget") {
    event.waitUntil(caches.keys().then((keys) => Promise.all(keys.map((k) => caches.delete(k)))));
  }
});
