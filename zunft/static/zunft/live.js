// Live updates over one websocket per tab. Websockets are lossy: after every (re)connect the
// page asks the API for what it missed, so nothing is lost across a dead zone in a cellar.
(function () {
  "use strict";

  class LiveSocket {
    constructor({ groups, onEvent, onResync, onState }) {
      this.groups = groups;
      this.onEvent = onEvent;
      this.onResync = onResync || (() => {});
      this.onState = onState || (() => {});
      this.delay = 1000;
      this.connect();
    }

    connect() {
      const scheme = location.protocol === "https:" ? "wss" : "ws";
      const ws = new WebSocket(`${scheme}://${location.host}/ws/events/`);
      this.ws = ws;
      this.onState("connecting");
      ws.onopen = () => {
        this.delay = 1000;
        this.groups.forEach((group) => ws.send(JSON.stringify({ subscribe: group })));
      };
      ws.onmessage = (message) => {
        const data = JSON.parse(message.data);
        if (data.type === "subscribed") {
          this.onState("live");
          this.onResync();
        } else if (data.id) {
          this.onEvent(data);
        }
      };
      ws.onclose = () => {
        this.onState("offline");
        // Exponential back-off with jitter, at most 30 s between tries.
        const wait = Math.min(this.delay, 30000) * (0.75 + Math.random() / 2);
        this.delay *= 2;
        setTimeout(() => this.connect(), wait);
      };
    }
  }

  window.ZunftLive = { LiveSocket };
})();
