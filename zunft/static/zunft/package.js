// The package page: re-render the timeline from the API whenever something changes.
(function () {
  "use strict";
  const list = document.getElementById("timeline");
  if (!list) return;
  const packageId = list.dataset.package;
  const state = document.getElementById("live-state");
  const labels = JSON.parse(document.getElementById("timeline-labels").textContent);
  let lastEvent = Number(list.dataset.lastEvent || 0);

  const english = document.documentElement.lang === "en";
  const locale = english ? "en-GB" : document.documentElement.lang;
  const fmtTime = new Intl.DateTimeFormat(locale, { hour: "2-digit", minute: "2-digit", timeZone: "Europe/Berlin" });
  // One day: the hours matter (someone opens the door); several: the days, the year at the end
  // (so work over New Year reads "Do 31.12. – Sa 02.01.2027"), as the server writes them.
  const german = (when, options) => window.ZunftDates.german(when, { weekday: true, ...options });
  const span = (start, end) => (german(start) === german(end)
    ? `${german(start)} ${fmtTime.format(start)}–${fmtTime.format(end)}`
    : `${german(start, { year: false })} – ${german(end)}`);
  // English pages write "Mon 7 Dec 2026" as the server does (zunft.core.language.DAY_FORMATS);
  // Intl's en-GB would say "Mon 07/12".
  const day = (when, year) => window.ZunftDates.english(when, { weekday: true, year });
  const englishSpan = (start, end) => (day(start, true) === day(end, true)
    ? `${day(start, true)}, ${fmtTime.format(start)}–${fmtTime.format(end)}`
    : `${day(start, false)} – ${day(end, true)}`);

  function render(pkg) {
    document.querySelector("[data-testid=package-status]").textContent =
      pkg.withdrawn_at ? labels.withdrawn : labels.package[pkg.status] || pkg.status;
    list.replaceChildren(...pkg.tasks.map((task) => {
      const li = document.createElement("li");
      li.className = `step state-${task.appointment_status || "open"}`;
      li.dataset.task = task.id;
      const name = document.createElement("strong");
      name.textContent = task.name;
      const trade = document.createElement("span");
      trade.className = "muted";
      trade.textContent = ` ${task.trade}`;
      const info = document.createElement("span");
      const stateText = task.status === "cancelled" ? labels.dropped
        : task.status === "done" ? labels.done
        : task.status === "in_progress" ? labels.in_progress
        : task.appointment_status === "accepted" ? labels.confirmed
        : task.start ? labels.planned : labels.planning;
      info.innerHTML = "";
      if (task.start) {
        const when = (english ? englishSpan : span)(new Date(task.start), new Date(task.end));
        const who = task.worker ? `${task.workshop} (${task.worker})` : task.workshop;
        info.append(document.createElement("br"), `${when} · ${who} · `);
      } else {
        info.append(document.createElement("br"));
      }
      const s = document.createElement("span");
      s.className = "state";
      s.dataset.testid = "task-state";
      s.textContent = stateText;
      info.append(s);
      li.append(name, trade, info);
      return li;
    }));
  }

  async function refresh() {
    // The page's language, not the cookie's: an /en/ page reads English names.
    const response = await fetch(`/api/v1/packages/${packageId}`, {
      credentials: "same-origin", headers: { "X-Language": document.documentElement.lang },
    });
    if (response.ok) {
      const pkg = await response.json();
      lastEvent = Math.max(lastEvent, pkg.last_event);
      render(pkg);
    }
  }

  // The homeowner's thread with the office has its own group: workshops follow the package
  // group and must not read it.
  const groups = [`package.${packageId}`];
  if (list.dataset.owner) groups.push(`owner.${packageId}`);

  // A form sent from this page (her own decision) is on its way: its answer is the new page.
  let leaving = false;
  document.addEventListener("submit", (e) => { if (!e.defaultPrevented) leaving = true; });

  new window.ZunftLive.LiveSocket({
    groups,
    onEvent: (event) => {
      if (event.type === "message.created") {
        document.dispatchEvent(new CustomEvent("zunft:messages"));
        return;
      }
      // A supplement proposed, decided or taken back: its card is drawn by the server. Reload
      // unless the page shows it so already (the reader's own decision), or a message is being
      // typed (it would be lost; the next visit shows it). Workshops see no card.
      if (event.type.startsWith("supplement.") && (list.dataset.owner || document.getElementById("nachtraege"))) {
        const kind = event.type.split(".")[1];
        const shown = document.querySelector(`[data-testid="supplement"][data-number="${event.data && event.data.number}"]`);
        const typing = document.getElementById("message-body");
        const current = shown && shown.classList.contains(`state-${kind === "proposed" ? "open" : kind}`);
        if (!current && !leaving && (!typing || !typing.value.trim())) { window.location.reload(); return; }
      }
      if (event.id > lastEvent) {
        lastEvent = event.id;
        refresh();
      }
    },
    onResync: () => { refresh(); document.dispatchEvent(new CustomEvent("zunft:messages")); },
    onState: (s) => { state.textContent = labels.state[s]; state.dataset.state = s; },
  });
})();
