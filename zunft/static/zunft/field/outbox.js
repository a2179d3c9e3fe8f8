// The outbox: every write of the field app is stored in IndexedDB with the UUID made up for it,
// then sent. Offline, it waits; online again, it is replayed in order. The server stores each
// client id once, so a replay of something that did arrive (the answer got lost) changes nothing.
(function () {
  "use strict";

  const DB = "zunft-field";
  const STORE = "outbox";

  function open() {
    return new Promise((resolve, reject) => {
      const request = indexedDB.open(DB, 1);
      request.onupgradeneeded = () => request.result.createObjectStore(STORE, { keyPath: "client_id" });
      request.onsuccess = () => resolve(request.result);
      request.onerror = () => reject(request.error);
    });
  }

  async function tx(mode, work) {
    const db = await open();
    return new Promise((resolve, reject) => {
      const t = db.transaction(STORE, mode);
      const result = work(t.objectStore(STORE));
      t.oncomplete = () => { db.close(); resolve(result && result.result); };
      t.onerror = () => { db.close(); reject(t.error); };
    });
  }

  function uuid() {
    if (crypto.randomUUID) return crypto.randomUUID();
    const b = crypto.getRandomValues(new Uint8Array(16));
    b[6] = (b[6] & 0x0f) | 0x40; b[8] = (b[8] & 0x3f) | 0x80;
    const h = [...b].map((x) => x.toString(16).padStart(2, "0")).join("");
    return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
  }

  function csrf() {
    const match = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
    return match ? decodeURIComponent(match[1]) : "";
  }

  let seq = Date.now();

  class Outbox {
    constructor({ onChange, onApplied, onRejected, onAuth }) {
      this.onChange = onChange || (() => {});
      this.onApplied = onApplied || (() => {});
      this.onRejected = onRejected || (() => {});
      this.onAuth = onAuth || (() => {});
      this.flushing = null;
      window.addEventListener("online", () => this.flush());
      setInterval(() => this.flush(), 5000);
    }

    // entry: {url, body} (JSON) or {url, fields, file, fileName} (multipart); plus label, appointment.
    async add(entry) {
      const item = { client_id: uuid(), seq: seq++, created: new Date().toISOString(), ...entry };
      if (item.body) item.body = { client_id: item.client_id, ...item.body };
      if (item.fields) item.fields = { client_id: item.client_id, ...item.fields };
      await tx("readwrite", (store) => store.put(item));
      this.onChange();
      this.flush();
      return item;
    }

    async list() {
      const items = (await tx("readonly", (store) => store.getAll())) || [];
      return items.sort((a, b) => a.seq - b.seq);
    }

    async remove(clientId) {
      await tx("readwrite", (store) => store.delete(clientId));
    }

    async clear() {
      await tx("readwrite", (store) => store.clear());
    }

    flush() {
      // One flush at a time (per tab); across tabs the server's client ids keep it exact. An
      // action added during a flush is not in its list: another round follows at once instead
      // of the next tick (the worker would wait seconds for the word that it is saved).
      if (this.flushing) {
        this.again = true;
        return this.flushing;
      }
      this.again = false;
      this.flushing = this._flush().finally(() => {
        this.flushing = null;
        if (this.again && navigator.onLine) this.flush();
      });
      return this.flushing;
    }

    async _flush() {
      for (const item of await this.list()) {
        let response;
        try {
          response = await fetch(item.url, this._request(item));
        } catch (error) {
          return; // offline: try again later, in the same order
        }
        if (response.status === 401 || response.status === 403) {
          this.onAuth();
          return;
        }
        if (response.status >= 500) return;
        let data = null;
        try { data = await response.json(); } catch (error) { data = null; }
        await this.remove(item.client_id);
        if (response.ok) this.onApplied(item, data);
        else this.onRejected(item, response.status, data);
        this.onChange();
      }
    }

    _request(item) {
      const headers = { "X-CSRFToken": csrf() };
      if (item.body) {
        headers["Content-Type"] = "application/json";
        return { method: "POST", headers, body: JSON.stringify(item.body), credentials: "same-origin" };
      }
      const form = new FormData();
      Object.entries(item.fields || {}).forEach(([k, v]) => { if (v !== null && v !== undefined) form.append(k, v); });
      if (item.file) form.append("file", item.file, item.fileName || "foto.jpg");
      return { method: "POST", headers, body: form, credentials: "same-origin" };
    }
  }

  window.ZunftOutbox = { Outbox, uuid, csrf };
})();
