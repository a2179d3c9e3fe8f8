// Zunft Monteur: offers, agenda and the task page, drawn from the field API. Reads are cached
// (localStorage here, Cache Storage in the service worker) so the agenda stays readable offline;
// writes go through the outbox (outbox.js) and are replayed exactly once when back online.
(function () {
  "use strict";

  const config = JSON.parse(document.getElementById("field-config").textContent);
  const L = config.labels;
  const view = document.getElementById("view");
  const banner = document.getElementById("banner");
  const toastBox = document.getElementById("toast");
  // A notice lies over the buttons under it: a tap on it puts it away at once.
  toastBox.addEventListener("click", (e) => { if (!e.target.closest("a")) toastBox.hidden = true; });
  const store = {
    get(key) { try { return JSON.parse(localStorage.getItem(`field.${config.user}.${key}`)); } catch (e) { return null; } },
    set(key, value) { try { localStorage.setItem(`field.${config.user}.${key}`, JSON.stringify(value)); } catch (e) { /* full */ } },
  };
  let agenda = store.get("agenda");
  let offers = store.get("offers");
  let unstaffed = store.get("unstaffed"); // the workshop's jobs without a worker (management)
  let details = {};
  const gone = new Set(); // jobs the server no longer shows this user (handed on, cancelled)
  const weeks = {}; // later weeks, by their first day (the "Woche" tab pages through them)
  let pending = [];
  let offline = false;

  // --- small DOM helpers (text only: nothing from the server is parsed as HTML) -------------------
  function h(tag, attrs, ...children) {
    const el = document.createElement(tag);
    Object.entries(attrs || {}).forEach(([k, v]) => {
      if (v === null || v === undefined || v === false) return;
      if (k.startsWith("on")) el.addEventListener(k.slice(2), v);
      else if (k === "class") el.className = v;
      else el.setAttribute(k, v === true ? "" : v);
    });
    children.flat().forEach((c) => {
      if (c === null || c === undefined || c === false) return;
      el.append(c instanceof Node ? c : document.createTextNode(String(c)));
    });
    return el;
  }
  // Line icons drawn here: phones in vans rarely have an emoji font worth relying on.
  const ICONS = {
    route: '<path d="M12 2 20 21 12 17 4 21z"/>',
    pin: '<path d="M12 22s7-7.6 7-13a7 7 0 0 0-14 0c0 5.4 7 13 7 13z"/><circle cx="12" cy="9" r="2.5"/>',
    phone: '<rect x="7" y="2" width="10" height="20" rx="2"/><path d="M11 18h2"/>',
    camera: '<path d="M4 7h4l2-3h4l2 3h4v13H4z"/><circle cx="12" cy="13.5" r="3.5"/>',
    clock: '<circle cx="12" cy="12" r="9"/><path d="M12 7v5l3 2"/>',
  };
  function icon(name) {
    const span = document.createElement("span");
    span.className = "icon";
    span.setAttribute("aria-hidden", "true");
    span.innerHTML = `<svg viewBox="0 0 24 24" width="22" height="22" fill="none" stroke="currentColor" stroke-width="2" stroke-linejoin="round" stroke-linecap="round">${ICONS[name]}</svg>`;
    return span;
  }
  const pad = (n) => String(n).padStart(2, "0");
  // A label with {name} slots filled in ("Tag {n} von {total}").
  const words = (text, values) => text.replace(/\{(\w+)\}/g, (_, key) => String(values[key]));
  // Dates and times as the cooperative keeps them (its time zone), whatever zone the phone is
  // set to: an offer, the week and the office's board show the same hour.
  const zoned = new Intl.DateTimeFormat("en-CA", {
    timeZone: config.tz, year: "numeric", month: "2-digit", day: "2-digit",
    hour: "2-digit", minute: "2-digit", hourCycle: "h23",
  });
  function wall(d) {
    const p = Object.fromEntries(zoned.formatToParts(d).map((part) => [part.type, part.value]));
    return { date: `${p.year}-${p.month}-${p.day}`, time: `${p.hour}:${p.minute}` };
  }
  const isoDate = (d) => wall(d).date;
  // The instant a wall time ("2026-11-23T07:30") of the cooperative's zone stands for.
  function fromWall(value) {
    const guess = Date.parse(`${value}:00Z`);
    const offset = (t) => {
      const shown = wall(new Date(t));
      return Date.parse(`${shown.date}T${shown.time}:00Z`) - t;
    };
    // The zone's offset at the instant meant, not at the guess (they differ near a DST change).
    const first = guess - offset(guess);
    return new Date(guess - offset(first));
  }
  function dayLabel(iso) {
    const d = new Date(`${iso}T12:00:00`);
    return `${L.weekdays[d.getDay()]} ${pad(d.getDate())}.${pad(d.getMonth() + 1)}.`;
  }
  const fullDate = (iso) => `${iso.slice(8, 10)}.${iso.slice(5, 7)}.${iso.slice(0, 4)}`;
  // A span of days, one day once; the year when it is not this year's.
  function daySpan(first, last) {
    const label = (iso) => (iso.slice(0, 4) === todayIso().slice(0, 4) ? dayLabel(iso) : `${dayLabel(iso)}${iso.slice(0, 4)}`);
    return first === last ? label(first) : `${label(first)} – ${label(last)}`;
  }
  function when(isoDateTime) {
    const d = wall(new Date(isoDateTime));
    return `${dayLabel(d.date)} ${d.time}`;
  }
  function span(start, end) {
    const a = wall(new Date(start));
    const b = wall(new Date(end));
    if (a.date === b.date) return `${when(start)}–${b.time}`;
    return `${when(start)} – ${when(end)}`;
  }
  // Calendar arithmetic on plain dates (noon UTC, so summer time never shifts a day).
  function addDays(iso, n) {
    const d = new Date(`${iso}T12:00:00Z`);
    d.setUTCDate(d.getUTCDate() + n);
    return d.toISOString().slice(0, 10);
  }
  const daysBetween = (a, b) => Math.round((Date.parse(`${b}T12:00:00Z`) - Date.parse(`${a}T12:00:00Z`)) / 86400000);
  const todayIso = () => isoDate(new Date());
  // Weeks are seven days from today on (this week, next week, …), so the first page is what
  // lies ahead, as before; every day belongs to exactly one page.
  const weekFor = (iso) => addDays(todayIso(), Math.floor(daysBetween(todayIso(), iso) / 7) * 7);
  const weekHref = (start) => (start === todayIso() ? "#/woche" : `#/woche/${start}`);
  const money = (v) => Number(v).toLocaleString(config.lang, { style: "currency", currency: "EUR" });
  const num = (v) => Number(v).toLocaleString(config.lang, { maximumFractionDigits: 2 });

  // ``about`` names the form a message is about ("time-12"): its next success clears its error.
  function toast(text, kind, link, about) {
    toastBox.dataset.about = about || "";
    toastBox.replaceChildren(text);
    if (link) {
      toastBox.append(" ", h("a", { class: "toast-link", href: link.href, "data-testid": "toast-link", onclick: () => { toastBox.hidden = true; } }, link.text));
    }
    toastBox.className = `toast ${kind || ""}`;
    toastBox.hidden = false;
    clearTimeout(toast.timer);
    toast.timer = setTimeout(() => { toastBox.hidden = true; }, link ? 10000 : 6000);
  }
  // A save that went through: said briefly, in place of this form's error (the worker corrected
  // it). Another form's error stays up: it has not been dealt with.
  function confirmSaved(text, about) {
    const otherError = !toastBox.hidden && toastBox.classList.contains("error") && toastBox.dataset.about !== about;
    if (!otherError) toast(text, "ok", null, about);
  }
  function errorText(data) {
    if (!data) return "";
    if (typeof data.detail === "string") return data.detail;
    if (Array.isArray(data.detail)) {
      // Name the field: "String should have at least 1 character" alone says nothing.
      return data.detail.map((d) => {
        const field = Array.isArray(d.loc) ? d.loc[d.loc.length - 1] : "";
        return L[field] && typeof L[field] === "string" ? `${L[field]}: ${d.msg}` : d.msg;
      }).join(" · ");
    }
    return "";
  }

  // --- reading ----------------------------------------------------------------------------------
  async function getJSON(url) {
    const response = await fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } });
    if (response.status === 401 || response.status === 403) { location.reload(); throw new Error("auth"); }
    if (!response.ok) throw new Error(String(response.status));
    offline = !navigator.onLine || response.headers.get("X-Zunft-Offline") === "1";
    return response.json();
  }

  // Reads of one thing overtake each other (a live event's re-read, the outbox's after each
  // replayed action): an older answer arriving last would show the job as it was before the
  // last change, and stay so. Only the answer to the latest read of a thing is taken.
  const asked = {};
  const STALE = Symbol("stale");
  async function latest(key, read) {
    const ask = (asked[key] || 0) + 1;
    asked[key] = ask;
    try {
      const data = await read();
      return asked[key] === ask ? data : STALE;
    } catch (error) {
      if (asked[key] !== ask) return STALE;
      throw error;
    }
  }

  // A re-read that brings nothing new leaves the page as it is: redrawing it anyway swaps the
  // nodes under the worker's finger, and a tap whose press and release land on different nodes
  // is lost.
  const same = (a, b) => b != null && JSON.stringify(a) === JSON.stringify(b);

  async function loadAgenda() {
    try {
      const fresh = await latest("agenda", () => getJSON(`${config.api}agenda?days=7`));
      if (fresh === STALE) return;
      agenda = fresh;
      store.set("agenda", agenda);
    } catch (error) {
      offline = true;
    }
    render();
  }

  async function loadWeek(start) {
    if (start === todayIso()) return loadAgenda();
    try {
      const fresh = await latest(`week.${start}`, () => getJSON(`${config.api}agenda?start=${start}&days=7`));
      if (fresh === STALE) return undefined;
      weeks[start] = fresh;
      store.set(`week.${start}`, weeks[start]);
    } catch (error) {
      offline = true;
    }
    return render();
  }

  function weekData(start) {
    if (agenda && (agenda.start === start || start === todayIso())) return agenda;
    return weeks[start] || store.get(`week.${start}`);
  }

  async function loadOffers() {
    try {
      const fresh = await latest("offers", () => getJSON(`${config.dispatches}?status=offered`));
      if (fresh === STALE) return;
      offers = fresh;
      store.set("offers", offers);
    } catch (error) {
      offline = true;
    }
    render();
  }

  async function loadDetail(id) {
    try {
      const fresh = await latest(`detail.${id}`, () => getJSON(`${config.api}appointments/${id}`));
      if (fresh === STALE) return;
      details[id] = fresh;
      store.set(`detail.${id}`, details[id]);
      gone.delete(id);
    } catch (error) {
      if (error.message === "404") {
        // not the network: the job went to a colleague or was cancelled
        gone.add(id);
        delete details[id];
        store.set(`detail.${id}`, null);
      } else {
        details[id] = details[id] || store.get(`detail.${id}`);
        offline = true;
      }
    }
    render();
  }

  const outbox = new window.ZunftOutbox.Outbox({
    onChange: async () => { pending = await outbox.list(); renderBanner(); if (route().name === "task") render(); },
    onApplied: (item) => {
      const id = item.appointment;
      // A read begun before this step reached the server brings the job back as it was: until
      // the re-read below answers, the step stands (else "Noch nicht begonnen" flashes up again
      // after "Unterwegs", with its buttons under the worker's thumb).
      const step = id && statusStep(item);
      const card = step && cardFor(id);
      if (card) {
        card.field_status = step;
        details[id] = card;
      }
      const saved = savedText(item);
      if (saved) confirmSaved(saved, formOf(item));
      if (id) loadDetail(id);
      loadAgenda();
    },
    onRejected: (item, status, data) => {
      toast(`${L.rejected}: ${item.label} – ${errorText(data) || status}`, "error", null, formOf(item));
      if (item.appointment) loadDetail(item.appointment);
    },
    onAuth: () => toast(L.login_again, "error"),
  });

  // Which of a job's forms an outbox entry came from ("time-12"), and what its success says. Hours,
  // material and the status look the same before and after their save: without a word the
  // worker takes it for lost. (Ticks and photos show themselves.)
  const kindOf = (item) => item.url.split("/").pop();
  const formOf = (item) => `${kindOf(item)}-${item.appointment}`;
  function savedText(item) {
    const kind = kindOf(item);
    if (kind === "time") return L.saved_time;
    if (kind === "material") return words(L.saved_material, { text: item.body.text });
    if (kind === "status") return words(L.saved_status, { status: L.status[AFTER[item.body.action]] });
    return null;
  }

  // --- routes -----------------------------------------------------------------------------------
  function route() {
    const hash = location.hash || "#/heute";
    const m = hash.match(/^#\/termin\/(\d+)(?:\/(\d{4}-\d{2}-\d{2}))?/);
    if (m) return { name: "task", id: Number(m[1]), day: m[2] || null };
    if (hash.startsWith("#/angebote")) return { name: "offers" };
    if (hash.startsWith("#/team") && config.admin_of.length) return { name: "team" };
    const w = hash.match(/^#\/woche(?:\/(\d{4}-\d{2}-\d{2}))?/);
    if (w) return { name: "week", start: w[1] ? weekFor(w[1]) : todayIso() };
    return { name: "today" };
  }

  function render() {
    const r = route();
    document.querySelectorAll(".tabs a").forEach((a) => {
      a.classList.toggle("active", a.dataset.tab === r.name);
      if (a.dataset.tab === r.name) a.setAttribute("aria-current", "page"); else a.removeAttribute("aria-current");
    });
    renderCounts();
    let content;
    if (r.name === "offers") content = renderOffers();
    else if (r.name === "task") content = renderTask(r.id, r.day);
    else if (r.name === "week") content = renderWeek(r.start);
    else if (r.name === "team") content = renderTeam();
    else content = renderAgenda(agenda, todayIso(), todayIso());
    view.replaceChildren(content);
    renderBanner();
  }

  function renderCounts() {
    const count = offers ? offers.items.length : 0;
    const badge = document.getElementById("offer-count");
    badge.textContent = count;
    badge.hidden = count === 0;
    const teamBadge = document.getElementById("team-count");
    if (teamBadge) {
      teamBadge.textContent = unstaffed ? unstaffed.length : 0;
      teamBadge.hidden = !unstaffed || !unstaffed.length;
    }
  }

  function renderBanner() {
    const parts = [];
    if (pending.length) parts.push(`${pending.length} ${L.queued}`);
    if (offline && agenda) parts.push(`${L.offline} (${L.stale} ${when(agenda.generated_at)})`);
    banner.textContent = parts.join(" · ");
    banner.hidden = parts.length === 0;
    banner.dataset.pending = pending.length;
  }

  // --- offers -----------------------------------------------------------------------------------
  function renderOffers() {
    if (!offers) return h("p", { class: "muted" }, "…");
    if (!offers.items.length) return h("p", { class: "empty", "data-testid": "no-offers" }, L.no_offers);
    return h("ul", { class: "cards", "data-testid": "offers" }, offers.items.map(offerCard));
  }

  function offerCard(offer) {
    const card = h("li", { class: `card offer${offer.urgent ? " urgent" : ""}`, "data-testid": "offer", "data-dispatch": offer.id },
      h("div", { class: "card-head" },
        h("strong", { class: "task-name" }, offer.task),
        offer.urgent ? h("span", { class: "pill urgent", "data-testid": "urgent" }, L.urgent) : null,
        h("span", { class: "pill" }, offer.trade)),
      h("p", { class: "when" }, span(offer.start, offer.end)),
      h("p", { class: "meta" }, `${offer.city} · ${num(offer.hours)} ${L.hours} · ${offer.travel_km} ${L.km}`),
      offer.deadline ? h("p", { class: "deadline" }, `${L.answer_by} ${when(offer.deadline)}`) : null,
      // Said before the tap, not refused after it: the management may accept it for a colleague.
      offer.you_cannot ? h("p", { class: "note", "data-testid": "cannot-take" }, words(L.cannot_take, { reason: offer.you_cannot })) : null);
    const actions = h("div", { class: "actions two" },
      h("button", { class: "big ok", "data-testid": "accept", disabled: Boolean(offer.you_cannot), onclick: () => acceptOffer(offer) }, L.accept),
      h("button", { class: "big secondary", "data-testid": "decline", onclick: () => showDecline(offer) }, L.decline));
    card.append(answering.get(offer.id) || actions);
    return card;
  }

  // An answer being given (reason, who does it) is kept while the list redraws around it.
  const answering = new Map();
  function openAnswer(offer, form, focus) {
    answering.set(offer.id, form);
    render();
    focus.focus();
  }
  function closeAnswer(offer) {
    answering.delete(offer.id);
    render();
  }

  function showDecline(offer) {
    const input = h("input", { id: `reason-${offer.id}`, maxlength: 300, required: true });
    const form = h("form", { class: "decline", onsubmit: (e) => { e.preventDefault(); answer(offer, "decline", input.value); } },
      h("label", { for: `reason-${offer.id}` }, L.decline_reason),
      h("div", { class: "chips" }, L.reasons.map((r) => h("button", { type: "button", class: "chip", onclick: () => { input.value = r; } }, r))),
      input,
      h("div", { class: "actions two" },
        h("button", { type: "submit", class: "big danger" }, L.send),
        h("button", { type: "button", class: "big secondary", onclick: () => closeAnswer(offer) }, L.cancel)));
    openAnswer(offer, form, input);
  }

  // The workshop's management says who does it while accepting (or decides later, under Team);
  // a worker accepts for themselves.
  async function acceptOffer(offer) {
    if (!config.admin_of.includes(offer.workshop_id)) return answer(offer, "accept");
    let list;
    try {
      list = await getJSON(`${config.api}appointments/${offer.appointment_id}/candidates`);
    } catch (error) {
      toast(navigator.onLine ? `${L.rejected}: ${error.message}` : L.offline, "error");
      return null;
    }
    const who = h("select", { id: `who-${offer.id}`, "data-testid": "accept-worker" },
      list.filter((x) => x.free).map((x) => h("option", { value: x.id }, `${x.name}${x.has_login ? "" : ` (${L.without_login})`}`)),
      h("option", { value: "" }, L.decide_later));
    const form = h("form", { class: "decline", onsubmit: (e) => { e.preventDefault(); answer(offer, "accept", null, who.value); } },
      h("label", { for: `who-${offer.id}` }, L.who_does_it),
      who,
      h("div", { class: "actions two" },
        h("button", { type: "submit", class: "big ok", "data-testid": "accept-confirm" }, L.accept),
        h("button", { type: "button", class: "big secondary", onclick: () => closeAnswer(offer) }, L.cancel)));
    openAnswer(offer, form, who);
    return null;
  }

  async function answer(offer, verb, reason, workerId) {
    const body = verb === "accept" ? (workerId ? { worker_id: Number(workerId) } : {}) : { reason };
    let response;
    try {
      response = await fetch(`${config.dispatches}/${offer.id}/${verb}`, {
        method: "POST", credentials: "same-origin",
        headers: { "Content-Type": "application/json", "X-CSRFToken": window.ZunftOutbox.csrf() },
        body: JSON.stringify(body),
      });
    } catch (error) {
      toast(L.offline, "error"); // an offer is a race: answered only online
      return;
    }
    const data = await response.json().catch(() => null);
    if (!response.ok) {
      toast(errorText(data) || String(response.status), "error");
      if (response.status !== 422) answering.delete(offer.id); // gone or taken: the list says
      await loadOffers();
      return;
    }
    answering.delete(offer.id);
    if (verb === "accept" && config.admin_of.includes(offer.workshop_id) && !data.worker_id) {
      toast(L.accepted_later, "ok", { href: "#/team", text: L.team });
    } else if (verb === "accept") {
      // The job may be weeks away: say where it is.
      toast(L.accepted, "ok", { href: weekHref(weekFor(isoDate(new Date(offer.start)))), text: L.show_in_week });
    } else toast(L.declined, "ok");
    await Promise.all([loadOffers(), loadAgenda(), loadUnstaffed()]);
  }

  // --- agenda -----------------------------------------------------------------------------------
  function renderWeek(start) {
    const last = addDays(start, 6);
    const step = (to, label, testid, text) => h("a", { class: "button secondary week-step", href: weekHref(to), "aria-label": label, title: label, "data-testid": testid }, text);
    return h("div", { class: "week" },
      // The same element across redraws (fresh data, live events): a tap on an arrow that a
      // redraw replaced halfway was lost.
      stable(`week-nav-${start}`, () => h("div", { class: "week-nav" },
        step(addDays(start, -7), L.week_prev, "week-prev", "‹"),
        h("h1", { class: "week-title", "data-testid": "week-title", "data-start": start },
          h("span", {}, `${dayLabel(start)} –`), " ", h("span", {}, `${dayLabel(last)}${last.slice(0, 4)}`)),
        step(addDays(start, 7), L.week_next, "week-next", "›"))),
      start !== todayIso() ? h("p", { class: "week-now" }, h("a", { href: "#/woche", "data-testid": "week-now" }, `« ${L.week_now}`)) : null,
      renderAgenda(weekData(start), start, last),
      config.worker ? stable("calendar", calendarCard) : null);
  }

  // --- team (workshop owners): who is away, certificates, jobs without a worker ---------------
  const manages = (c) => config.admin_of.includes(c.workshop_id);
  let team = null;
  async function loadUnstaffed() {
    if (!config.admin_of.length) return;
    try {
      const fresh = await latest("unstaffed", () => getJSON(`${config.api}unstaffed`));
      if (fresh === STALE) return;
      if (same(fresh, unstaffed)) return renderBanner();  // the network may be back
      unstaffed = fresh;
      store.set("unstaffed", unstaffed);
    } catch (error) {
      offline = true;
    }
    if (route().name === "team") render();
    else renderCounts();
  }

  async function loadTeam() {
    try {
      // Per workshop: a page (50) holds any workshop's team and its coming absences.
      const fresh = await latest("team", () => Promise.all([
        Promise.all(config.admin_of.map((id) => getJSON(`/api/v1/workers?workshop=${id}`))),
        Promise.all(config.admin_of.map((id) => getJSON(`/api/v1/absences?workshop=${id}&after=${todayIso()}`))),
        Promise.all(config.admin_of.map((id) => getJSON(`/api/v1/workshops/${id}`))),
        getJSON("/api/v1/certifications"),
      ]));
      if (fresh === STALE) return;
      const [pages, absences, workshops, catalogue] = fresh;
      const read = {
        workers: pages.flatMap((p) => p.items),
        absences: absences.flatMap((p) => p.items),
        workshops,
        certifications: catalogue.items || catalogue,
      };
      if (same(read, team)) return renderBanner();
      team = read;
    } catch (error) {
      team = team || { workers: [], absences: [], workshops: [], certifications: [], failed: true };
    }
    if (route().name === "team") render();
  }

  // A refusal's messages at the fields they name (the element with data-field="<name>" in
  // ``form``), the input marked invalid and described by it; none when ``data`` is null.
  let errorIds = 0;
  function showFieldErrors(form, data) {
    form.querySelectorAll(".field-error").forEach((p) => p.remove());
    form.querySelectorAll("[aria-invalid]").forEach((el) => {
      el.removeAttribute("aria-invalid");
      el.removeAttribute("aria-describedby");
    });
    const detail = data && Array.isArray(data.detail) ? data.detail : [];
    detail.forEach((d) => {
      const name = Array.isArray(d.loc) ? d.loc[d.loc.length - 1] : "";
      const place = name && form.querySelector(`[data-field="${name}"]`);
      if (!place) return;
      const id = `field-error-${++errorIds}`;
      place.append(h("p", { class: "field-error", id, role: "alert", "data-testid": `error-${name}` }, d.msg));
      const control = place.matches("fieldset") ? place : place.querySelector("input, select");
      if (control) {
        control.setAttribute("aria-invalid", "true");
        control.setAttribute("aria-describedby", id);
      }
    });
  }

  // A write that needs the server's answer now (not the outbox): online only; a refusal or no
  // network is told in a toast and answers null. With ``form``, a refusal is also shown at its
  // fields, and a success clears them and that form's error toast.
  async function send(method, url, body, form) {
    let response;
    try {
      response = await fetch(url, {
        method, credentials: "same-origin",
        headers: { "Content-Type": "application/json", "X-CSRFToken": window.ZunftOutbox.csrf() },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
    } catch (error) {
      toast(L.offline, "error");
      return null;
    }
    const data = response.status === 204 ? {} : await response.json().catch(() => null);
    const about = form ? form.dataset.about : undefined;
    if (form) showFieldErrors(form, response.ok ? null : data);
    if (!response.ok) {
      toast(errorText(data) || String(response.status), "error", null, about);
      return null;
    }
    if (about && toastBox.dataset.about === about) toastBox.hidden = true;
    return data;
  }

  // After a write the forms are made afresh from the new data.
  async function teamChanged(message, about) {
    confirmSaved(message, about);
    [...kept.keys()].filter((k) => k.startsWith("team-")).forEach((k) => kept.delete(k));
    await loadTeam();
    // The forms were let go: drawn afresh even when the re-read brought nothing new.
    if (route().name === "team") render();
  }

  function renderTeam() {
    if (!team) return h("p", { class: "muted" }, "…");
    const active = team.workers.filter((w) => w.active);
    const gone = team.workers.filter((w) => !w.active);
    return h("div", { class: "team" },
      h("h1", {}, L.team),
      h("p", { class: "meta" }, L.team_hint),
      h("p", {}, h("a", { href: config.settlements, "data-testid": "settlements-link" }, `${L.settlements} ›`)),
      h("p", {}, h("a", { href: config.codes, "data-testid": "codes-link" }, `${L.codes} ›`)),
      team.failed ? h("p", { class: "empty" }, L.offline) : null,
      unstaffed && unstaffed.length ? h("section", { class: "unstaffed", "data-testid": "unstaffed" },
        h("h2", {}, L.unstaffed_title),
        h("p", { class: "meta" }, L.unstaffed_hint),
        h("ul", { class: "cards" }, unstaffed.map((c) => agendaCard(c, true)))) : null,
      active.length || team.failed ? null : h("p", { class: "empty", "data-testid": "no-team" }, L.no_team),
      h("ul", { class: "cards" }, active.map(workerCard)),
      team.failed ? null : stable("team-new", () => workerForm(null)),
      gone.length ? h("details", { class: "card gone", "data-testid": "inactive" },
        h("summary", {}, `${L.inactive} (${gone.length})`),
        h("ul", { class: "plain" }, gone.map((w) => h("li", {},
          `${w.first_name} ${w.last_name} `,
          h("button", { class: "small secondary", "data-testid": "reactivate", onclick: async () => {
            if (await send("PATCH", `/api/v1/workers/${w.id}`, { active: true })) teamChanged(L.saved);
          } }, L.reactivate))))) : null);
  }

  function workerCard(w) {
    const today = todayIso();
    const away = team.absences.filter((a) => a.worker_id === w.id);
    return h("li", { class: "card", "data-testid": "team-worker", "data-worker": w.id },
      h("strong", { class: "task-name" }, `${w.first_name} ${w.last_name}`, w.is_master ? ` · ${L.master}` : ""),
      h("p", { class: "meta" }, [w.trade_names.join(", "), w.phone].filter(Boolean).join(" · ")),
      w.certifications.length ? h("ul", { class: "certs" }, w.certifications.map((c) => {
        const expired = c.valid_until && c.valid_until < today;
        return h("li", { class: `pill${expired ? " expired" : ""}`, "data-testid": expired ? "cert-expired" : "cert", title: c.name },
          c.valid_until ? `${c.name} · ${expired ? L.cert_expired : L.cert_until} ${fullDate(c.valid_until)}` : c.name,
          h("button", {
            class: "pill-remove", "aria-label": `${c.name}: ${L.remove}`, title: L.remove, "data-testid": "cert-remove",
            onclick: async () => {
              if (!window.confirm(`${c.name}: ${L.remove}?`)) return;
              if (await send("DELETE", `/api/v1/workers/${w.id}/certifications/${c.code}`)) teamChanged(L.saved);
            },
          }, "×"));
      })) : null,
      away.length ? h("ul", { class: "absences", "data-testid": "absences" }, away.map((a) => {
        const what = `${L.absence_kinds[a.kind] || (a.kind === "closure" ? L.closure : a.kind)}: ${daySpan(a.start, a.end)}`;
        return h("li", {}, `${L.absent} (${what}) `,
          h("button", { class: "small secondary", "data-testid": "absence-lift", onclick: async () => {
            // It re-plans and may hand jobs over: asked first, like removing a certificate.
            if (!window.confirm(words(L.lift_confirm, { who: `${w.first_name} ${w.last_name}`, what }))) return;
            // In place of the absence form's error: the form is made afresh, and an overlap it
            // refused may be the very absence now taken back.
            if (await send("DELETE", `/api/v1/absences/${a.id}`)) teamChanged(L.lifted, `absence-${w.id}`);
          } }, L.lift));
      })) : null,
      // Kept while typing, made afresh when the worker's record changed (here or elsewhere).
      stable(`team-absence-${w.id}`, () => absenceForm(w)),
      stable(`team-cert-${w.id}-${JSON.stringify(w.certifications)}`, () => certificationForm(w)),
      stable(`team-edit-${w.id}-${JSON.stringify([w.first_name, w.last_name, w.phone, w.is_master, w.active, w.trades, w.is_me])}`, () => workerForm(w)));
  }

  function absenceForm(w) {
    const id = (name) => `${name}-${w.id}`;
    const kind = h("select", { id: id("kind") }, Object.entries(L.absence_kinds).map(([k, label]) => h("option", { value: k }, label)));
    // From today on: the tab lists what lies ahead, and the planner needs nothing past.
    const from = h("input", { type: "date", id: id("from"), value: todayIso(), min: todayIso(), required: true });
    const to = h("input", { type: "date", id: id("to"), value: todayIso(), min: todayIso(), required: true });
    return h("details", { class: "absence-add" }, h("summary", {}, L.absence_add),
      h("form", {
        class: "grid", "data-testid": "absence-form", "data-about": id("absence"),
        onsubmit: async (e) => {
          e.preventDefault();
          const body = { worker_id: w.id, kind: kind.value, start: from.value, end: to.value };
          if (await send("POST", `/api/v1/workshops/${w.workshop_id}/absences`, body, e.target)) teamChanged(L.absence_saved, id("absence"));
        },
      },
      h("div", { class: "field wide", "data-field": "kind" }, h("label", { for: id("kind") }, L.absence_kind), kind),
      h("div", { class: "field", "data-field": "start" }, h("label", { for: id("from") }, L.from), from),
      h("div", { class: "field", "data-field": "end" }, h("label", { for: id("to") }, L.to), to),
      h("button", { type: "submit", class: "wide" }, L.absence_add)));
  }

  function certificationForm(w) {
    const id = (name) => `${name}-${w.id}`;
    const held = new Set(w.certifications.map((c) => c.code));
    const which = h("select", { id: id("cert"), required: true }, team.certifications.map((c) =>
      h("option", { value: c.code }, `${config.lang.startsWith("en") ? c.name_en : c.name_de}${held.has(c.code) ? ` (${L.renew})` : ""}`)));
    const until = h("input", { type: "date", id: id("until") });
    const reference = h("input", { id: id("reference"), maxlength: 60 });
    if (!team.certifications.length) return null;
    // Renewing: what is on record stays unless changed (a new date keeps the number).
    const fill = () => {
      const current = w.certifications.find((c) => c.code === which.value);
      until.value = current && current.valid_until ? current.valid_until : "";
      reference.value = current ? current.reference : "";
    };
    which.addEventListener("change", fill);
    fill();
    return h("details", {}, h("summary", {}, L.cert_add),
      h("form", {
        class: "grid", "data-testid": "cert-form", "data-about": id("cert"),
        onsubmit: async (e) => {
          e.preventDefault();
          const body = { valid_until: until.value || null, reference: reference.value };
          if (await send("PUT", `/api/v1/workers/${w.id}/certifications/${which.value}`, body, e.target)) teamChanged(L.saved, id("cert"));
        },
      },
      h("div", { class: "field wide" }, h("label", { for: id("cert") }, L.certification), which),
      h("div", { class: "field", "data-field": "valid_until" }, h("label", { for: id("until") }, L.valid_until), until),
      h("div", { class: "field", "data-field": "reference" }, h("label", { for: id("reference") }, L.reference), reference),
      h("button", { type: "submit", class: "wide" }, L.cert_add)));
  }

  // A new worker (w = null) or one to change: names, phone, Meister, the trades the workshop
  // offers; "active" off takes them out of the team (and the planner's crews).
  function workerForm(w) {
    const key = w ? w.id : "new";
    const id = (name) => `${name}-${key}`;
    const input = (name, value, attrs) => h("input", { id: id(name), value: value || "", ...attrs });
    const first = input("first", w && w.first_name, { required: true, maxlength: 100, autocomplete: "off" });
    const last = input("last", w && w.last_name, { required: true, maxlength: 100, autocomplete: "off" });
    const phone = input("phone", w && w.phone, { type: "tel", maxlength: 40 });
    const master = h("input", { type: "checkbox", id: id("master"), checked: Boolean(w && w.is_master) });
    const left = h("input", { type: "checkbox", id: id("left"), checked: Boolean(w && !w.active) });
    const mine = h("input", { type: "checkbox", id: id("mine"), checked: Boolean(w && w.is_me) });
    // "This is me": on one's own record, or on one without a login while one has none.
    const linkable = Boolean(w && (w.is_me || (!config.worker && !w.has_login)));
    const workshopOf = (wid) => team.workshops.find((x) => x.id === wid);
    const shop = w ? null : h("select", { id: id("workshop") }, team.workshops.map((x) => h("option", { value: x.id }, x.name)));
    const trades = h("fieldset", { class: "wide trades", "data-field": "trades" }, h("legend", {}, L.trades));
    const drawTrades = () => {
      const offers = (workshopOf(w ? w.workshop_id : Number(shop.value)) || { offers: [] }).offers;
      trades.replaceChildren(trades.querySelector("legend"), ...offers.map((o) => h("label", { class: "check-line" },
        h("input", { type: "checkbox", name: "trade", value: o.trade, checked: Boolean(w && w.trades.includes(o.trade)) }), ` ${o.trade_name}`)));
    };
    if (shop) shop.addEventListener("change", drawTrades);
    drawTrades();
    const form = h("form", {
      class: "grid", "data-testid": w ? "worker-form" : "worker-new", "data-about": id("worker"),
      onsubmit: async (e) => {
        e.preventDefault();
        const body = {
          ...(linkable ? { my_login: mine.checked } : {}),
          first_name: first.value.trim(), last_name: last.value.trim(), phone: phone.value.trim(),
          is_master: master.checked, active: !left.checked,
          trades: [...trades.querySelectorAll("input:checked")].map((i) => i.value),
        };
        const url = w ? `/api/v1/workers/${w.id}` : `/api/v1/workshops/${shop.value}/workers`;
        if (!(await send(w ? "PATCH" : "POST", url, body, e.target))) return;
        // Linked or unlinked the owner's own login: the app's offers and groups follow it.
        if (w && "my_login" in body && body.my_login !== Boolean(w.is_me)) location.reload();
        else teamChanged(L.saved, id("worker"));
      },
    },
    shop && team.workshops.length > 1 ? h("div", { class: "field wide" }, h("label", { for: id("workshop") }, L.workshop), shop) : null,
    h("div", { class: "field", "data-field": "first_name" }, h("label", { for: id("first") }, L.first_name), first),
    h("div", { class: "field", "data-field": "last_name" }, h("label", { for: id("last") }, L.last_name), last),
    h("div", { class: "field wide", "data-field": "phone" }, h("label", { for: id("phone") }, L.phone), phone),
    trades,
    h("label", { class: "check-line wide" }, master, ` ${L.master}`),
    linkable ? h("label", { class: "check-line wide", "data-field": "my_login" }, mine, ` ${L.my_login}`) : null,
    w ? h("label", { class: "check-line wide" }, left, ` ${L.left}`) : null,
    h("button", { type: "submit", class: "wide", "data-testid": "worker-save" }, w ? L.save : L.worker_add));
    return h("details", { class: w ? "" : "card" }, h("summary", {}, w ? L.worker_edit : L.worker_add), form);
  }

  // The worker's own jobs in the phone's calendar app: a feed that follows every re-plan.
  function calendarCard() {
    const box = h("div", { class: "feed" });
    const show = (feed) => {
      const link = new URL(feed.url, location.origin);
      const webcal = `webcal://${link.host}${link.pathname}`;
      box.replaceChildren(
        h("a", { class: "button secondary big", href: webcal, "data-testid": "feed-open" }, L.calendar_open),
        h("label", { for: "feed-url" }, L.calendar_url),
        h("input", { id: "feed-url", readonly: true, value: link.href, "data-testid": "feed-url", onfocus: (e) => e.target.select() }));
    };
    const subscribe = async () => {
      const data = await send("POST", "/api/v1/feeds", { scope: "worker", key: config.worker });
      if (data) show(data);
    };
    box.append(h("button", { class: "secondary big", "data-testid": "feed-subscribe", onclick: subscribe }, L.calendar_subscribe));
    // One already made on this or another phone: show it rather than make another.
    fetch("/api/v1/feeds", { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then((r) => (r.ok ? r.json() : []))
      .then((feeds) => {
        const mine = feeds.find((f) => f.scope === "worker" && f.key === config.worker && !f.revoked_at);
        if (mine) show(mine);
      })
      .catch(() => {});
    return h("section", { class: "card calendar", "data-testid": "calendar" }, h("h2", {}, L.calendar), h("p", { class: "meta" }, L.calendar_hint), box);
  }

  function renderAgenda(data, first, last) {
    if (!data) return h("p", { class: "muted" }, "…");
    const today = todayIso();
    const items = data.items.filter((c) => c.date >= first && c.date <= last);
    // Where the next work is, when it lies beyond what is shown (a job accepted for next month);
    // a job done already (called in early) is no work ahead.
    const later = data.items.find((c) => c.date > last && effectiveStatus(c) !== "done");
    const nextDate = later ? later.date : data.next_date;
    const next = nextDate ? h("p", { class: "next-hint" },
      h("a", { class: "button secondary", href: weekHref(weekFor(nextDate)), "data-testid": "next-appointment" },
        `${L.next_appointment}: ${dayLabel(nextDate)} ›`)) : null;
    if (!items.length) {
      // The Heute tab names its day even when it is free: the worker sees at a glance that the
      // list is today's and not a stale one.
      const onlyToday = first === today && last === today;
      return h("div", {},
        onlyToday ? h("h2", { class: "day-title", "data-testid": "today-title" }, `${L.today}, ${dayLabel(today)}`) : null,
        h("p", { class: "empty", "data-testid": "no-agenda" }, onlyToday ? L.no_agenda_today : L.no_agenda), next);
    }
    const byDay = {};
    items.forEach((c) => { (byDay[c.date] = byDay[c.date] || []).push(c); });
    return h("div", { class: "agenda", "data-testid": "agenda" },
      Object.entries(byDay).map(([date, cards]) => h("section", { class: "day" },
        h("h2", {}, date === today ? `${L.today}, ${dayLabel(date)}` : dayLabel(date)),
        h("ul", { class: "cards" }, cards.map((c) => agendaCard(c))))),
      next);
  }

  function statusPill(status, pendingLabel) {
    return h("span", { class: `pill status-${status || "new"}`, "data-testid": "field-status", "data-status": status },
      L.status[status || ""], pendingLabel ? ` · ${L.pending}` : "");
  }

  const needsWorker = (c) => !c.worker && c.status === "accepted" && c.field_status !== "done";

  function agendaCard(c, withDate) {
    return h("li", { class: `card agenda-item${c.field_status === "done" ? " is-done" : ""}`, "data-testid": "agenda-item", "data-appointment": c.appointment },
      h("a", { class: "card-link", href: (c.days || []).length > 1 ? `#/termin/${c.appointment}/${c.date}` : `#/termin/${c.appointment}` },
        h("div", { class: "card-head" },
          h("span", { class: "time" }, `${withDate ? `${dayLabel(c.date)} ` : ""}${c.time_from}–${c.time_to}`),
          needsWorker(c) && manages(c) ? h("span", { class: "pill warn", "data-testid": "no-worker" }, L.unstaffed) : null,
          statusPill(c.field_status)),
        h("strong", { class: "task-name" }, c.task_name),
        c.supplement ? h("span", { class: "pill", "data-testid": "supplement" }, words(L.supplement, c.supplement)) : null,
        h("p", { class: "meta" }, `${c.trade} · ${c.address.street}, ${c.address.city}`),
        h("p", { class: "meta" }, `${L.customer}: ${c.customer.name}`),
        manages(c) && c.worker ? h("p", { class: "meta", "data-testid": "card-worker" }, `${L.staff}: ${c.worker}`) : null,
        c.status === "tentative" ? h("p", { class: "note" }, L.tentative) : null,
        c.waiting_for.length
          ? h("p", { class: "waiting", "data-testid": "waiting" }, `${L.waiting_for}: ${c.waiting_for.join(", ")}`)
          : h("p", { class: "released", "data-testid": "released" }, `✓ ${L.released}`)));
  }

  // --- the task page ----------------------------------------------------------------------------
  // Forms and the signature pad are made once per task and kept across re-renders (live events,
  // the outbox), so nothing typed or drawn is lost while the page updates around it.
  const kept = new Map();
  function stable(key, make) {
    if (!kept.has(key)) kept.set(key, make());
    return kept.get(key);
  }

  function cardFor(id) {
    const fromAgenda = [agenda, ...Object.values(weeks)].map((a) => a && a.items.find((c) => c.appointment === id)).find(Boolean);
    return details[id] || store.get(`detail.${id}`) || fromAgenda || null;
  }

  function queue(c, label, url, body) {
    return outbox.add({ label, appointment: c.appointment, url: `${config.api}appointments/${c.appointment}/${url}`, body });
  }

  const AFTER = { travel: "travelling", arrive: "on_site", pause: "paused", resume: "on_site", finish: "done" };
  // The status once the outbox has sent what waits in it: after a reload without network the
  // stored detail knows nothing of those steps, and offering them again would queue them twice.
  function effectiveStatus(c) {
    return pending
      .filter((p) => p.appointment === c.appointment)
      .reduce((status, p) => statusStep(p) || status, c.field_status || "");
  }

  // The status an outbox entry leads to, if it is a step of the job's status.
  function statusStep(item) {
    return item.body && item.url.endsWith("/status") ? AFTER[item.body.action] : undefined;
  }

  // Back goes where the job was opened from: the Team list, else its day or week.
  let openedFrom = null;
  function backHref(day) {
    if (openedFrom === "team") return "#/team";
    return day.date === todayIso() ? "#/heute" : weekHref(weekFor(day.date));
  }

  // The working days of a job (a detail stored by an older app has only its first).
  const daysOf = (c) => (c.days && c.days.length ? c.days : [{ date: c.date, time_from: c.time_from, time_to: c.time_to }]);
  // The day a task page is about: the one its card was opened on, else today, else the next
  // one ahead, else the last.
  function dayShown(days, wanted) {
    const today = todayIso();
    return days.find((d) => d.date === wanted) || days.find((d) => d.date >= today) || days[days.length - 1];
  }

  function dayList(days, shownDay) {
    if (days.length < 2) return null;
    return h("details", { class: "card days", "data-testid": "task-days", open: true },
      h("summary", {}, words(L.working_days, { n: days.length })),
      h("ol", {}, days.map((d) => h("li", { class: d.date === shownDay.date ? "shown" : "", "aria-current": d.date === shownDay.date ? "date" : null },
        `${dayLabel(d.date)} ${d.time_from}–${d.time_to}`))));
  }

  function renderTask(id, wanted) {
    if (gone.has(id)) {
      return h("article", { class: "task", "data-testid": "task-gone" },
        h("p", { class: "card" }, L.task_gone),
        h("a", { class: "button", href: "#/heute" }, L.to_today));
    }
    const c = cardFor(id);
    if (!c) return h("p", { class: "muted" }, "…");
    const days = daysOf(c);
    const day = dayShown(days, wanted);
    const status = effectiveStatus(c);
    const mine = pending.filter((p) => p.appointment === id);
    const pendingStatus = mine.filter((p) => p.url.endsWith("/status")).map((p) => p.label).pop();
    return h("article", { class: "task", "data-testid": "task", "data-task": c.task },
      h("a", { class: "back", href: backHref(day), "data-testid": "back" }, `‹ ${L.back}`),
      h("h1", {}, c.task_name),
      h("p", { class: "meta" }, `${c.trade} · ${c.package_title}`),
      c.supplement ? h("p", { class: "note", "data-testid": "supplement-note" }, words(L.supplement_note, c.supplement)) : null,
      h("p", { class: "when", "data-testid": "task-when" }, days.length > 1 ? `${words(L.day_of, { n: days.indexOf(day) + 1, total: days.length })}: ` : "",
        `${dayLabel(day.date)} ${day.time_from}–${day.time_to}`, " ", statusPill(status, pendingStatus)),
      dayList(days, day),
      addressCard(c),
      staffCard(c),
      statusActions(c, status),
      c.waiting_for.length ? h("p", { class: "waiting" }, `${L.waiting_for}: ${c.waiting_for.join(", ")}`) : null,
      c.successors && c.successors.length ? h("p", { class: "meta" }, `${L.next}: ${c.successors.join(", ")}`) : null,
      mine.length ? h("ul", { class: "pending", "data-testid": "pending" }, mine.map((p) => h("li", {}, icon("clock"), p.label))) : null,
      checklist(c),
      photos(c),
      timeSection(c),
      materialSection(c),
      signatureSection(c),
      c.log && c.log.length ? h("details", { class: "card" }, h("summary", {}, L.log),
        h("ul", { class: "log" }, c.log.map((l) => h("li", {}, `${when(l.at)} ${L.status[l.status]}`)))) : null);
  }

  function addressCard(c) {
    const a = c.address;
    return h("section", { class: "card address" },
      h("p", {}, h("strong", {}, a.street), h("br"), `${a.postal_code} ${a.city}`),
      a.access_notes ? h("p", { class: "note" }, `${L.access}: ${a.access_notes}`) : null,
      h("p", { class: "meta" }, `${L.customer}: ${c.customer.name}`),
      h("div", { class: "actions three" },
        h("a", { class: "button big", href: a.navigation, target: "_blank", rel: "noopener", "data-testid": "route" }, icon("route"), L.route),
        h("a", { class: "button big secondary", href: a.geo }, icon("pin"), L.maps_app),
        c.customer.phone ? h("a", { class: "button big secondary", href: `tel:${c.customer.phone}` }, icon("phone"), L.call) : null),
      // The workshop's thread with the office lives on the order page (needs a connection).
      h("p", {}, h("a", { href: `/auftrag/${c.package}/#nachrichten`, "data-testid": "order-messages" }, L.messages)));
  }

  // Who does it: the workshop's management sees the worker and may hand the job to a colleague
  // who is free then (after an illness the planner found nobody). Online only, like an offer.
  const candidates = {};
  const chosen = {};
  async function loadCandidates(id) {
    try {
      candidates[id] = await getJSON(`${config.api}appointments/${id}/candidates`);
    } catch (error) {
      toast(navigator.onLine ? `${L.rejected}: ${error.message}` : L.offline, "error");
    }
    render();
  }

  async function assign(c, workerId) {
    const data = await send("POST", `${config.api}appointments/${c.appointment}/worker`, { worker: Number(workerId) });
    if (!data) {
      if (navigator.onLine) loadCandidates(c.appointment); // someone may have taken the colleague
      return;
    }
    details[c.appointment] = data;
    store.set(`detail.${c.appointment}`, data);
    delete candidates[c.appointment];
    delete chosen[c.appointment];
    toast(L.assigned, "ok");
    loadAgenda();
    loadUnstaffed();
  }

  function staffCard(c) {
    if (!manages(c) || c.status !== "accepted" || c.field_status === "done") return null;
    const head = c.worker
      ? h("p", { "data-testid": "staff-current" }, c.worker)
      : h("p", { class: "note warn", "data-testid": "staff-current" }, L.no_worker);
    const list = candidates[c.appointment];
    let body;
    if (!list) {
      body = h("button", { class: "big secondary", "data-testid": "choose-worker", onclick: () => loadCandidates(c.appointment) }, L.choose_worker);
    } else if (!list.some((x) => x.free && !x.current)) {
      body = c.worker
        ? h("p", { class: "meta", "data-testid": "no-candidate" }, L.no_other)
        : h("p", { class: "meta", "data-testid": "no-candidate" }, L.no_candidate, " ",
          h("a", { href: `/auftrag/${c.package}/#nachrichten` }, L.messages));
    } else {
      const others = list.filter((x) => !x.current);
      const pick = chosen[c.appointment] || String(others.find((x) => x.free).id);
      const select = h("select", { id: `staff-${c.appointment}`, "data-testid": "worker-select", onchange: (e) => { chosen[c.appointment] = e.target.value; } },
        others.map((x) => h("option", { value: x.id, disabled: !x.free, selected: String(x.id) === pick },
          x.free ? `${x.name}${x.has_login ? "" : ` (${L.without_login})`}` : `${x.name} – ${x.reason}`)));
      body = h("form", { class: "grid", onsubmit: (e) => { e.preventDefault(); assign(c, select.value); } },
        h("div", { class: "field wide" }, h("label", { for: `staff-${c.appointment}` }, L.choose_worker), select),
        h("button", { type: "submit", class: "big wide", "data-testid": "assign" }, L.assign));
    }
    return h("section", { class: "card staff", "data-testid": "staff" }, h("h2", {}, L.staff), head, body);
  }

  const NEXT = {
    "": ["travel", "arrive"],
    travelling: ["arrive"],
    on_site: ["pause", "finish"],
    paused: ["resume", "travel", "finish"],
    done: [],
  };

  function statusActions(c, status) {
    const actions = NEXT[status] || [];
    if (!actions.length) return null;
    return h("div", { class: `actions status-actions ${actions.length > 1 ? "two" : ""}` }, actions.map((action) =>
      h("button", {
        class: `big ${action === "finish" ? "ok" : action === "pause" ? "secondary" : ""}`,
        "data-testid": `action-${action}`,
        onclick: () => {
          if (status === "" && !startConfirmed(c)) return;
          queue(c, L.actions[action], "status", { action, at: new Date().toISOString() });
          c.field_status = AFTER[action];
          render();
        },
      }, L.actions[action])));
  }

  // Setting out on another day than planned, or before the work it waits for is done, is asked
  // once more (a slip of the thumb on the wrong card is easy), not refused: customers do call
  // people in early, and an outbox replaying the step later must not be turned away.
  function startConfirmed(c) {
    const days = daysOf(c);
    const reasons = [];
    if (!days.some((d) => d.date === todayIso())) {
      reasons.push(words(L.start_not_today, { day: daySpan(days[0].date, days[days.length - 1].date) }));
    }
    if (c.waiting_for.length) reasons.push(words(L.start_waiting, { tasks: c.waiting_for.join(", ") }));
    return !reasons.length || window.confirm(`${reasons.join(" ")}\n\n${L.start_anyway}`);
  }

  // Hours on a job not begun, for a day it is not planned on, are asked once more too: the form
  // comes filled in with the last hour, and a job weeks away is easily the wrong card.
  function timeConfirmed(c, date) {
    // The form is kept across redraws with the card it was made for; the job may have begun since.
    c = cardFor(c.appointment) || c;
    const days = daysOf(c);
    if (effectiveStatus(c) || days.some((d) => d.date === date)) return true;
    const planned = daySpan(days[0].date, days[days.length - 1].date);
    return window.confirm(`${words(L.time_not_planned, { day: planned, date: dayLabel(date) })}\n\n${L.time_anyway}`);
  }

  function photoInput(c, itemId, text) {
    const input = h("input", {
      type: "file", accept: "image/*", capture: "environment", class: "visually-hidden",
      "data-testid": itemId ? `photo-input-${itemId}` : "photo-input",
      onchange: () => {
        [...input.files].forEach((file) => outbox.add({
          label: `${L.take_photo}: ${file.name}`, appointment: c.appointment,
          url: `${config.api}appointments/${c.appointment}/photos`,
          // When it was taken (the camera's file time): a job handed on meanwhile takes only
          // photos from before.
          fields: { checklist_item: itemId || null, caption: "", taken_at: new Date(file.lastModified || Date.now()).toISOString() },
          file, fileName: file.name,
        }));
      },
    });
    return h("label", { class: `button ${itemId ? "small" : "big"} secondary camera` }, icon("camera"), text, input);
  }

  function checklist(c) {
    return h("section", { class: "card" },
      h("h2", {}, L.checklist),
      h("ul", { class: "checklist", "data-testid": "checklist" }, (c.checklist || []).map((stored) => {
        // A tick still in the outbox holds over a fresher read that does not know of it yet.
        const waiting = pending.filter((p) => p.url.endsWith(`/checklist/${stored.id}`) && p.body).pop();
        const item = waiting ? { ...stored, done: waiting.body.done } : stored;
        const hint = item.evidence === "photo" ? L.photo_needed : item.evidence === "signature" ? L.signature_needed : "";
        const toggle = () => {
          outbox.add({ label: item.name, appointment: c.appointment, url: `${config.api}appointments/${c.appointment}/checklist/${item.id}`, body: { done: !item.done } });
          stored.done = !item.done;
          render();
        };
        const name = `check-name-${item.id}`;
        const hinted = hint && !item.done ? `check-hint-${item.id}` : null;
        // The whole row is the target (a thumb aims at the words, not at the box); the box is
        // what a screen reader and the keyboard reach, named by the item's text.
        return h("li", {
            class: `check-row${item.done ? " done" : ""}`,
            onclick: (e) => { if (!e.target.closest(".camera")) toggle(); },
          },
          h("button", {
            type: "button", class: "check", role: "checkbox", "aria-checked": item.done ? "true" : "false",
            "aria-labelledby": name, "aria-describedby": hinted, "data-testid": `check-${item.code}`,
          }, h("span", { "aria-hidden": "true" }, item.done ? "✓" : "")),
          h("span", { class: "item-text", "data-testid": `check-text-${item.code}` },
            h("span", { id: name }, item.name), hinted ? h("small", { id: hinted }, hint) : null),
          item.evidence === "photo" && !item.done ? photoInput(c, item.id, L.take_photo) : null);
      })));
  }

  function photos(c) {
    return h("section", { class: "card" },
      h("h2", {}, L.photos),
      h("div", { class: "photos", "data-testid": "photos" }, (c.photos || []).map((p) => h("img", { src: p.url, alt: p.caption || L.take_photo, loading: "lazy" }))),
      photoInput(c, null, L.add_photo));
  }

  function localInput(date) {
    const d = wall(date);
    return `${d.date}T${d.time}`;
  }

  const timeText = (t) => `${when(t.start)} · ${num(t.hours)} ${L.hours}${t.note ? ` · ${t.note}` : ""}`;
  const materialText = (m) => `${num(m.quantity)} ${m.unit_label || m.unit} ${m.text} · ${money(m.unit_price)}`;

  function timeSection(c) {
    return h("section", { class: "card" },
      h("h2", {}, L.time),
      c.worked_hours !== undefined ? h("p", { class: "meta" }, `${L.worked}: ${num(c.worked_hours)} ${L.hours}`) : null,
      h("ul", { class: "entries", "data-testid": "time-entries" }, (c.time_entries || []).map((t) => entryRow(c, "time", t, timeText(t)))),
      stable(`time-${c.appointment}`, () => timeForm(c)));
  }

  // A new entry goes through the outbox; a correction (``entry``) is sent at once (see saveEntry).
  function timeForm(c, entry) {
    const now = new Date();
    const id = entry ? `-${entry.id}` : "";
    const start = entry ? new Date(entry.start) : new Date(now - 3600000);
    const end = entry ? new Date(entry.end || start.getTime() + Number(entry.hours) * 3600000) : now;
    const from = h("input", { type: "datetime-local", id: `time-from${id}`, value: localInput(start), required: true });
    const to = h("input", { type: "datetime-local", id: `time-to${id}`, value: localInput(end), required: true });
    const note = h("input", { id: `time-note${id}`, maxlength: 300, value: entry ? entry.note : null });
    return h("form", {
        class: "grid", "data-testid": entry ? "time-edit" : "time-form", "data-about": `time-${c.appointment}`,
        onsubmit: (e) => {
          e.preventDefault();
          const body = { start: fromWall(from.value).toISOString(), end: fromWall(to.value).toISOString(), note: note.value };
          if (entry) {
            saveEntry(c, "time", entry, body, e.target, L.changed_time);
            return;
          }
          if (!timeConfirmed(c, from.value.slice(0, 10))) return;
          queue(c, L.time, "time", body);
          note.value = "";
        },
      },
      entry ? h("h3", { class: "wide" }, L.change_time) : null,
      // Date and time need the whole width of a phone to be readable.
      h("div", { class: "field wide", "data-field": "start" }, h("label", { for: `time-from${id}` }, L.from), from),
      h("div", { class: "field wide", "data-field": "end" }, h("label", { for: `time-to${id}` }, L.to), to),
      h("div", { class: "field wide", "data-field": "note" }, h("label", { for: `time-note${id}` }, L.note), note),
      entry ? editButtons(c, "time", entry) : h("button", { type: "submit", class: "big wide" }, L.save_time));
  }

  function materialSection(c) {
    return h("section", { class: "card" },
      h("h2", {}, L.material),
      h("ul", { class: "entries", "data-testid": "material-entries" }, (c.materials || []).map((m) => entryRow(c, "material", m, materialText(m)))),
      stable(`material-${c.appointment}`, () => materialForm(c)));
  }

  function materialForm(c, entry) {
    const id = entry ? `-${entry.id}` : "";
    const text = h("input", { id: `mat-text${id}`, required: true, maxlength: 200, value: entry ? entry.text : null });
    const quantity = h("input", { id: `mat-qty${id}`, type: "number", step: "0.01", min: "0.01", inputmode: "decimal", required: true, value: entry ? Number(entry.quantity) : "1" });
    const unit = h("select", { id: `mat-unit${id}` }, config.units.map(([code, label]) => h("option", { value: code, selected: entry && entry.unit === code }, label)));
    const price = h("input", { id: `mat-price${id}`, type: "number", step: "0.01", min: "0", inputmode: "decimal", required: true, value: entry ? Number(entry.unit_price) : null });
    return h("form", {
        class: "grid", "data-testid": entry ? "material-edit" : "material-form", "data-about": `material-${c.appointment}`,
        onsubmit: (e) => {
          e.preventDefault();
          const body = { text: text.value, quantity: quantity.value, unit: unit.value, unit_price: price.value };
          if (entry) {
            saveEntry(c, "material", entry, body, e.target, words(L.changed_material, { text: text.value }));
            return;
          }
          queue(c, `${L.material}: ${text.value}`, "material", { ...body, noted_at: new Date().toISOString() });
          e.target.reset();
        },
      },
      entry ? h("h3", { class: "wide" }, L.change_material) : null,
      h("div", { class: "field wide", "data-field": "text" }, h("label", { for: `mat-text${id}` }, L.text), text),
      h("div", { class: "field", "data-field": "quantity" }, h("label", { for: `mat-qty${id}` }, L.quantity), quantity),
      h("div", { class: "field", "data-field": "unit" }, h("label", { for: `mat-unit${id}` }, L.unit), unit),
      h("div", { class: "field wide", "data-field": "unit_price" }, h("label", { for: `mat-price${id}` }, L.unit_price), price),
      entry ? editButtons(c, "material", entry) : h("button", { type: "submit", class: "big wide" }, L.save_material));
  }

  // --- correcting one's own hours and material ---------------------------------------------------
  // Online only: a correction names the stored entry and the worker should see at once whether it
  // was taken (the task may have been finished meanwhile); entries still in the outbox have no
  // stored entry yet. Offline, the buttons say so instead of queueing.
  let editing = null; // the entry whose form is open ("time-12"), one at a time
  const noNetwork = () => !navigator.onLine || offline;
  const entryUrl = (c, kind, entry) => `${config.api}appointments/${c.appointment}/${kind}/${entry.id}`;

  function entryRow(c, kind, entry, text) {
    const key = `${kind}-${entry.id}`;
    const attrs = { class: "entry", "data-testid": `${kind}-entry`, "data-entry": entry.id };
    if (editing === key && entry.changeable) {
      return h("li", attrs, stable(`edit-${key}`, () => (kind === "time" ? timeForm(c, entry) : materialForm(c, entry))));
    }
    return h("li", attrs,
      h("span", { class: "entry-text" }, text),
      entry.changeable ? h("div", { class: "actions two entry-actions" },
        h("button", { type: "button", class: "secondary", "data-testid": `change-${kind}`, "aria-label": `${L.change}: ${text}`, onclick: () => startEditing(key) }, L.change),
        h("button", { type: "button", class: "secondary delete", "data-testid": `delete-${kind}`, "aria-label": `${L.delete}: ${text}`, onclick: () => deleteEntry(c, kind, entry, text) }, L.delete)) : null);
  }

  function editButtons(c, kind, entry) {
    return h("div", { class: "actions two wide" },
      h("button", { type: "submit", class: "big ok", "data-testid": `save-${kind}-change` }, L.save),
      h("button", { type: "button", class: "big secondary", onclick: () => stopEditing(`${kind}-${entry.id}`) }, L.cancel));
  }

  function startEditing(key) {
    if (noNetwork()) { toast(L.online_only, "error"); return; }
    if (editing) kept.delete(`edit-${editing}`);
    editing = key;
    render();
    const input = kept.get(`edit-${key}`).querySelector("input");
    if (input) input.focus();
  }

  function stopEditing(key) {
    kept.delete(`edit-${key}`);
    if (editing === key) editing = null;
    render();
  }

  async function saveEntry(c, kind, entry, body, form, message) {
    if (noNetwork()) { toast(L.online_only, "error", null, form.dataset.about); return; }
    const data = await send("PUT", entryUrl(c, kind, entry), body, form);
    if (!data) return;
    confirmSaved(message, form.dataset.about);
    stopEditing(`${kind}-${entry.id}`);
    loadDetail(c.appointment);
  }

  async function deleteEntry(c, kind, entry, text) {
    if (noNetwork()) { toast(L.online_only, "error"); return; }
    const question = kind === "time" ? words(L.delete_time, { what: text }) : words(L.delete_material, { text: entry.text });
    if (!window.confirm(question)) return;
    const data = await send("DELETE", entryUrl(c, kind, entry));
    if (!data) return;
    confirmSaved(kind === "time" ? L.deleted_time : words(L.deleted_material, { text: entry.text }), `${kind}-${c.appointment}`);
    if (editing === `${kind}-${entry.id}`) stopEditing(editing);
    loadDetail(c.appointment);
  }

  function signatureSection(c) {
    if (c.signature) {
      return h("section", { class: "card", "data-testid": "signed" },
        h("h2", {}, L.signature),
        h("img", { class: "signature-image", src: c.signature.url, alt: L.signature }),
        h("p", { class: "meta" }, `${L.signed_by} ${c.signature.signer_name}, ${when(c.signature.signed_at)}`));
    }
    return stable(`signature-${c.appointment}`, () => signaturePad(c));
  }

  function signaturePad(c) {
    const canvas = h("canvas", { class: "signature-pad", "data-testid": "signature-pad", "aria-label": L.signature });
    const name = h("input", { id: "signer", autocomplete: "name", required: true, value: c.customer.name, "aria-describedby": "signature-error" });
    const error = h("p", { class: "field-error", id: "signature-error", role: "alert", "data-testid": "signature-error", hidden: true });
    let drawn = false;
    function complain(text) {
      error.textContent = text || "";
      error.hidden = !text;
      canvas.classList.toggle("invalid", Boolean(text) && !drawn);
      if (text && !name.value.trim()) name.setAttribute("aria-invalid", "true"); else name.removeAttribute("aria-invalid");
      // Message and buttons together in sight, above the tab bar.
      if (text) error.scrollIntoView({ block: "center" });
    }
    name.addEventListener("input", () => { if (!error.hidden) complain(""); });
    requestAnimationFrame(() => {
      const ratio = window.devicePixelRatio || 1;
      canvas.width = canvas.clientWidth * ratio;
      canvas.height = canvas.clientHeight * ratio;
      const ctx = canvas.getContext("2d");
      ctx.scale(ratio, ratio);
      ctx.lineWidth = 2.5; ctx.lineCap = "round"; ctx.lineJoin = "round"; ctx.strokeStyle = "#102a43";
      let last = null;
      const point = (e) => { const r = canvas.getBoundingClientRect(); return [e.clientX - r.left, e.clientY - r.top]; };
      canvas.addEventListener("pointerdown", (e) => { canvas.setPointerCapture(e.pointerId); last = point(e); if (!error.hidden) complain(""); });
      canvas.addEventListener("pointermove", (e) => {
        if (!last) return;
        const p = point(e);
        ctx.beginPath(); ctx.moveTo(...last); ctx.lineTo(...p); ctx.stroke();
        last = p; drawn = true;
      });
      ["pointerup", "pointercancel", "pointerleave"].forEach((t) => canvas.addEventListener(t, () => { last = null; }));
    });
    return h("section", { class: "card" },
      h("h2", {}, L.signature),
      canvas,
      h("div", { class: "field" }, h("label", { for: "signer" }, L.signer), name),
      error,
      h("div", { class: "actions two" },
        h("button", {
          class: "big ok", "data-testid": "save-signature",
          onclick: () => {
            const noName = !name.value.trim();
            if (!drawn || noName) {
              complain(!drawn && noName ? L.sign_and_signer_missing : noName ? L.signer_missing : L.sign_missing);
              return;
            }
            complain("");
            queue(c, L.signature, "signature", { signer_name: name.value, image: canvas.toDataURL("image/png"), signed_at: new Date().toISOString() });
          },
        }, L.save_signature),
        h("button", { class: "big secondary", onclick: () => { canvas.getContext("2d").clearRect(0, 0, canvas.width, canvas.height); drawn = false; } }, L.clear)));
  }

  // --- live -------------------------------------------------------------------------------------
  let reloadTimer = null;
  function reloadSoon() {
    clearTimeout(reloadTimer);
    reloadTimer = setTimeout(() => {
      loadAgenda();
      const r = route();
      if (r.name === "task") loadDetail(r.id);
      if (r.name === "week" && r.start !== todayIso()) loadWeek(r.start);
    }, 150);
  }

  function onEvent(event) {
    if (event.type.startsWith("dispatch.")) {
      if (event.type === "dispatch.offered") toast(L.new_offer, "ok");
      loadOffers();
      if (event.type === "dispatch.accepted") loadAgenda();
    } else if (event.type === "task.released") {
      toast(`${L.released_toast} ${event.data.name}`, "ok");
      reloadSoon();
    } else if (event.type === "task.overran") {
      toast(L.overran);
      reloadSoon();
    } else if (event.type === "appointment.worker_changed") {
      delete candidates[event.data.appointment];
      delete chosen[event.data.appointment];
      if (event.data.to === null && config.admin_of.length) {
        toast(L.worker_cleared, "error", { href: `#/termin/${event.data.appointment}`, text: L.choose_worker });
      }
      loadUnstaffed();
      reloadSoon();
    } else if (event.type.startsWith("field.") || event.type.startsWith("task.")
      || event.type.startsWith("appointment.") || event.type.endsWith(".schedule_changed")) {
      reloadSoon(); // a job handed over (illness) or moved by a re-plan: the agenda follows
      if (event.type.startsWith("appointment.")) loadUnstaffed();
    }
  }

  const state = document.getElementById("live-state");
  new window.ZunftLive.LiveSocket({
    groups: config.groups,
    onEvent,
    onResync: () => { loadOffers(); loadUnstaffed(); reloadSoon(); },
    onState: (s) => { state.dataset.state = s; state.title = L.live[s] || s; },
  });

  // --- start ------------------------------------------------------------------------------------
  document.getElementById("logout").addEventListener("submit", () => {
    localStorage.clear();
    outbox.clear();
    if (navigator.serviceWorker && navigator.serviceWorker.controller) navigator.serviceWorker.controller.postMessage("forget");
  });
  // The language switch reloads the page: not without a network (the phone would show its own
  // error page), and back to the view on screen (the server never sees the #route).
  const language = document.querySelector(".lang-switch");
  language.addEventListener("submit", (event) => {
    if (!navigator.onLine) {
      event.preventDefault();
      toast(L.offline, "error");
      return;
    }
    language.elements.next.value = location.pathname + location.search + location.hash;
  });
  let shown = route().name;
  window.addEventListener("hashchange", () => {
    const r = route();
    if (r.name === "task" && shown !== "task") openedFrom = shown;
    shown = r.name;
    if (r.name === "team") loadTeam();
    if (r.name === "task") loadDetail(r.id);
    if (r.name === "week" && r.start !== todayIso()) loadWeek(r.start);
    render();
    view.focus();
  });
  window.addEventListener("online", () => { offline = false; loadAgenda(); loadOffers(); loadUnstaffed(); });
  window.addEventListener("offline", () => { offline = true; renderBanner(); });
  if ("serviceWorker" in navigator) {
    navigator.serviceWorker.register(config.sw, { scope: config.scope }).catch(() => {});
  }
  outbox.list().then((items) => { pending = items; render(); });
  const first = route();
  if (first.name === "team") loadTeam();
  if (first.name === "task") loadDetail(first.id);
  if (first.name === "week" && first.start !== todayIso()) loadWeek(first.start);
  loadAgenda();
  loadOffers();
  loadUnstaffed();
  window.ZunftField = { outbox, reload: reloadSoon };
})();
