// The package page's messages: send without reloading, show new ones as they arrive (package.js
// raises "zunft:messages" when the socket announces one or after a reconnect).
(function () {
  "use strict";
  const log = document.getElementById("message-log");
  if (!log) return;
  const form = document.getElementById("message-form");
  const error = document.getElementById("message-error");
  const labels = JSON.parse(document.getElementById("timeline-labels").textContent);
  const url = `/api/v1/packages/${log.dataset.package}/messages`;
  const csrf = () => (document.cookie.match(/csrftoken=([^;]+)/) || [])[1] || "";
  const mine = document.getElementById("timeline").dataset.owner ? "homeowner" : "workshop";
  const fmt = new Intl.DateTimeFormat(document.documentElement.lang === "en" ? "en-GB" : document.documentElement.lang, {
    day: "2-digit", month: "2-digit", year: "numeric", hour: "2-digit", minute: "2-digit",
    timeZone: "Europe/Berlin",
  });

  function item(message) {
    const li = document.createElement("li");
    li.className = `message from-${message.sender}${message.sender === mine ? " mine" : ""}`;
    li.dataset.id = message.id;
    const meta = document.createElement("span");
    meta.className = "meta";
    const who = message.workshop ? `${message.author} · ${message.workshop}` : message.author;
    const time = document.createElement("time");
    time.dateTime = message.created_at;
    const when = new Date(message.created_at);
    time.textContent = document.documentElement.lang === "en"
      ? window.ZunftDates.english(when, { time: true })
      : fmt.format(when);
    meta.append(`${who} · `, time);
    const body = document.createElement("p");
    body.textContent = message.body; // text, never HTML: messages are user input
    li.append(meta, body);
    return li;
  }

  async function refresh() {
    const response = await fetch(url, {
      credentials: "same-origin", headers: { "X-Language": document.documentElement.lang },
    });
    if (!response.ok) return;
    const messages = await response.json();
    if (messages.length) {
      log.replaceChildren(...messages.map(item));
    } else {
      const empty = document.createElement("li");
      empty.className = "muted empty";
      empty.textContent = labels.message_empty;
      log.replaceChildren(empty);
    }
    fetch(`${url}/read`, {
      method: "POST", credentials: "same-origin", headers: { "X-CSRFToken": csrf() },
    });
  }

  document.addEventListener("zunft:messages", refresh);

  if (form) {
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      const text = form.elements.body.value.trim();
      if (!text) return;
      const button = form.querySelector("button[type=submit]");
      button.disabled = true;
      error.hidden = true;
      try {
        const response = await fetch(url, {
          method: "POST",
          credentials: "same-origin",
          headers: {
            "Content-Type": "application/json",
            "X-CSRFToken": csrf(),
            "X-Language": document.documentElement.lang,
          },
          body: JSON.stringify({ body: text }),
        });
        if (response.status === 201) {
          form.reset();
          await refresh();
        } else {
          const data = await response.json().catch(() => ({}));
          const detail = Array.isArray(data.detail) ? data.detail.map((d) => d.msg).join(" ") : data.detail;
          error.textContent = detail || labels.message_failed;
          error.hidden = false;
        }
      } catch (e) {
        error.textContent = labels.message_failed;
        error.hidden = false;
      } finally {
        button.disabled = false;
      }
    });
  }
})();
