// The office's dispatch board: one week per workshop and trade on a vis-timeline, side lists,
// capacity heatmap, fairness chart, KPIs, map and request inbox. Everything is drawn from
// GET /api/v1/board and redrawn when an office event arrives (LiveSocket resyncs after a
// reconnect). Moving a task asks the planner first and applies only after the clerk confirms.
(function () {
  "use strict";
  const root = document.getElementById("board");
  if (!root) return;
  const config = JSON.parse(document.getElementById("board-config").textContent);
  const L10N = config.labels;
  const lang = document.documentElement.lang || "de";
  // Dates as written here: 18.01. in German, 18/01 in English (plain "en" would write 01/18).
  const dateLocale = lang === "en" ? "en-GB" : lang;
  const TZ = "Europe/Berlin";
  const fmtDay = new Intl.DateTimeFormat(dateLocale, { weekday: "short", day: "2-digit", month: "2-digit", timeZone: TZ });
  const fmtDate = new Intl.DateTimeFormat(dateLocale, { day: "2-digit", month: "2-digit", year: "numeric", timeZone: TZ });
  const fmtIso = new Intl.DateTimeFormat("en-CA", { year: "numeric", month: "2-digit", day: "2-digit", timeZone: TZ }); // 2026-12-30: a calendar day in the zone
  const fmtTime = new Intl.DateTimeFormat(dateLocale, { weekday: "short", day: "2-digit", month: "2-digit", hour: "2-digit", minute: "2-digit", timeZone: TZ });
  const fmtClock = new Intl.DateTimeFormat(dateLocale, { hour: "2-digit", minute: "2-digit", timeZone: TZ });
  const fmtPct = new Intl.NumberFormat(lang, { style: "percent", maximumFractionDigits: 0 });
  const fmtNum = new Intl.NumberFormat(lang, { maximumFractionDigits: 1 });
  const fmtMoney = new Intl.NumberFormat(lang, { style: "currency", currency: "EUR" });
  const fmtEur = new Intl.NumberFormat(lang, { style: "currency", currency: "EUR", maximumFractionDigits: 0 });

  let week = config.week;
  let data = null;
  let lastEvent = 0;
  let timeline = null;
  let shownStart = null; // first day of the week the timeline shows
  let groups = null;
  let items = null;
  let map = null;
  let mapLayer = null;
  let inboxStatus = "new";
  let pending = null;

  const $ = (id) => document.getElementById(id);
  const csrf = () => (document.cookie.match(/(?:^|; )csrftoken=([^;]+)/) || [])[1] || "";
  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    Object.entries(attrs || {}).forEach(([k, v]) => {
      if (v === null || v === undefined || v === false) return;
      if (k === "class") node.className = v;
      else if (k === "text") node.textContent = v;
      else if (k.startsWith("on")) node.addEventListener(k.slice(2), v);
      else if (k === "dataset") Object.assign(node.dataset, v);
      else node.setAttribute(k, v);
    });
    children.flat().forEach((c) => c !== null && c !== undefined && node.append(c));
    return node;
  }
  const fill = (s, values) => s.replace(/%\((\w+)\)s/g, (_m, k) => values[k]);
  const localDate = (d) => {
    const p = (n) => String(n).padStart(2, "0");
    return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}`;
  };
  const parseDay = (iso) => { const [y, m, d] = iso.split("-").map(Number); return new Date(y, m - 1, d); };

  async function api(path, options = {}) {
    const response = await fetch(path, {
      credentials: "same-origin",
      ...options,
      // The API answers in the language the caller names, else the cookie's: name the page's.
      headers: { "Content-Type": "application/json", "X-CSRFToken": csrf(), "X-Language": lang, ...(options.headers || {}) },
    });
    let body = null;
    try { body = await response.json(); } catch (_e) { body = null; }
    return { ok: response.ok, status: response.status, body };
  }

  // --- loading ---------------------------------------------------------------------------------
  let loading = null;
  let again = false;
  async function load() {
    if (loading) { again = true; return loading; }
    loading = (async () => {
      const asked = week;
      const r = await api(`${config.api}?week=${encodeURIComponent(asked)}`);
      // the clerk moved on meanwhile: the queued load fetches that week instead
      if (week !== asked) { again = true; return; }
      if (r.ok) {
        data = r.body;
        // a day picked in the date field comes back as its ISO week, which the address keeps
        if (data.week !== asked) { week = data.week; history.replaceState(null, "", `?woche=${week}`); }
        lastEvent = Math.max(lastEvent, data.last_event);
        render();
        root.dataset.loaded = String(Date.now());
      } else if (r.status === 422 && data) {
        // a day the board does not show (a year half typed): live updates stay on the week
        // shown, and the field is left to the clerk's typing
        week = data.week;
        history.replaceState(null, "", `?woche=${week}`);
      }
    })();
    try { await loading; } finally {
      loading = null;
      if (again) { again = false; load(); }
    }
  }
  let timer = null;
  const soon = () => { clearTimeout(timer); timer = setTimeout(load, 250); };

  function render() {
    $("week-input").value = data.start;
    $("week-range").textContent = `${fmtDate.format(parseDay(data.start))} – ${fmtDate.format(parseDay(data.end))}`;
    renderKpis(data.kpis);
    renderTimeline();
    renderEmptyWeek();
    renderLists(data.lists);
    renderHeatmap(data.heatmap);
    renderFairness(data.fairness);
    renderMap(data.map);
    loadInbox();
  }

  // --- KPIs ------------------------------------------------------------------------------------
  // An empty week says so and leads to the next planned work instead of an empty grid.
  function renderEmptyWeek() {
    const box = $("week-empty");
    box.hidden = data.items.length > 0;
    if (box.hidden) return;
    const next = data.next_work;
    const children = [el("span", { text: next ? L10N.week_empty : L10N.week_empty_none })];
    if (next) {
      const go = el("button", { type: "button", class: "ghost small", "data-testid": "week-next-work",
        text: fill(L10N.week_next_work, { date: fmtDate.format(parseDay(next.date)) }) });
      go.addEventListener("click", () => goto(next.week));
      children.push(" ", go);
    }
    box.replaceChildren(...children);
  }

  function renderKpis(k) {
    const dash = "–";
    const K = L10N.kpi;
    const per = `${K.last} ${k.days} ${K.days}`;
    const cards = [
      [fmtNum.format(k.appointments), K.appointments, L10N.week + " " + data.week.split("-W")[1]],
      [k.request_to_quote_hours === null ? dash : `${fmtNum.format(k.request_to_quote_hours)} ${L10N.hours}`, K.request_to_quote, `${K.median} · ${k.requests_quoted} · ${per}`],
      [k.quote_acceptance === null ? dash : fmtPct.format(k.quote_acceptance), K.quote_acceptance, `${k.quotes} · ${per}`],
      [k.dispatch_acceptance === null ? dash : fmtPct.format(k.dispatch_acceptance), K.dispatch_acceptance, fill(L10N.offers_answered, { answered: k.offers_answered, open: k.offers_open })],
      [k.on_time === null ? dash : fmtPct.format(k.on_time), K.on_time, `${k.completed} · ${per}`],
      [`${fmtNum.format(k.travel_km)} km`, K.travel, L10N.week + " " + data.week.split("-W")[1]],
    ];
    $("kpis").replaceChildren(...cards.map(([value, title, sub]) => el("div", { class: "kpi" },
      el("span", { class: "kpi-value", text: value }),
      el("span", { class: "kpi-title", text: title }),
      el("span", { class: "kpi-sub muted", text: sub }))));
  }

  // --- timeline --------------------------------------------------------------------------------
  function matches(text) {
    const q = $("filter").value.trim().toLowerCase();
    return !q || text.toLowerCase().includes(q);
  }

  function itemTitle(it) {
    const state = L10N.state[it.state] || it.state;
    const offer = it.offer && it.state === "tentative" ? ` · ${L10N.offer[it.offer] || it.offer}` : "";
    return [
      `${it.task_name} — ${it.package_title} #${it.package}`,
      `${it.customer}, ${it.city}`,
      `${fmtTime.format(new Date(it.start))} – ${fmtTime.format(new Date(it.end))} · ${fmtNum.format(it.hours)} ${L10N.hours}`,
      `${state}${offer}${it.worker ? " · " + it.worker : ""}`,
      it.late ? `${L10N.promised}: ${fmtDate.format(parseDay(it.promised))}` : "",
    ].filter(Boolean).join("\n");
  }

  // The night (NIGHT_FROM–DAY_FROM) is hidden, and the timeline draws what starts in it at the
  // next visible hour: a Notdienst called out at 22:40 would sit on the next morning. It starts
  // in its own day's last (or first) visible hour; its bar and title keep the real times.
  const DAY_FROM = 6, NIGHT_FROM = 19;
  function drawnAt(it) {
    const start = new Date(it.start), end = new Date(it.end);
    const hour = start.getHours();
    if (hour >= DAY_FROM && hour < NIGHT_FROM) return { start, end };
    const at = new Date(start);
    at.setHours(hour >= NIGHT_FROM ? NIGHT_FROM - 1 : DAY_FROM, 0, 0, 0);
    return { start: at, end: new Date(at.getTime() + 36e5) };
  }

  const movable = (it) => !it.urgent && (it.state === "tentative" || it.state === "accepted");

  function toVisItems() {
    const out = data.items.filter((it) => matches(`${it.task_name} ${it.package_title} ${it.customer} ${it.city} ${it.package}`)
      || matches(groupName(it.workshop))).map((it) => ({
      id: it.id,
      group: it.group,
      ...drawnAt(it),
      content: `<span class="it-name"></span><span class="it-sub"></span>`,
      title: itemTitle(it),
      className: `pkg-c${it.colour} state-${it.state}${it.late ? " late" : ""}${it.urgent ? " urgent" : ""}`,
      // A Notdienst is now, with the worker it was offered to: not dragged to another day. An
      // item's "true" would also mean removable: a ✕ that only hid the job from the board.
      editable: { updateTime: movable(it), updateGroup: movable(it), remove: false },
      raw: it,
    }));
    data.days.forEach((d) => {
      if (d.weekend || d.holidays.length) {
        const start = parseDay(d.date);
        out.push({ id: `bg-${d.date}`, start, end: new Date(start.getTime() + 864e5), type: "background", className: d.weekend ? "bg-weekend" : "bg-holiday", title: d.holidays.join(", ") });
      }
    });
    return out;
  }

  function groupName(workshopId) {
    const g = data.groups.find((x) => x.workshop === workshopId);
    return g ? `${g.name} ${g.city}` : "";
  }

  function toVisGroups() {
    const visible = new Set(data.items.map((it) => it.workshop));
    const out = [];
    data.groups.forEach((g, order) => {
      const busy = visible.has(g.workshop);
      const show = ($("all-workshops").checked || busy) && (matches(`${g.name} ${g.city} ${g.rows.map((r) => r.trade_name).join(" ")}`)
        || data.items.some((it) => it.workshop === g.workshop && matches(`${it.task_name} ${it.package_title} ${it.customer} ${it.package}`)));
      out.push({
        id: g.id, order, content: g.name, title: `${g.name}, ${g.city}`,
        nestedGroups: g.rows.map((r) => r.id), showNested: true, visible: show,
        className: busy ? "grp-workshop busy" : "grp-workshop",
        raw: g,
      });
      g.rows.forEach((r, i) => out.push({
        id: r.id, order: order * 100 + i, content: r.trade_name, treeLevel: 2, visible: show,
        className: "grp-trade", raw: r,
        title: `${r.trade_name}: ${r.crews_present}/${r.crews} ${L10N.crews}`,
      }));
    });
    return out;
  }

  function groupTemplate(group) {
    if (!group) return "";
    if (group.raw && group.raw.rows) {
      return el("div", { class: "g-workshop", title: `${group.raw.name}, ${group.raw.city}` }, el("strong", { text: group.raw.name }), el("span", { class: "muted", text: group.raw.city }));
    }
    const r = group.raw || {};
    return el("div", { class: "g-trade" }, el("span", { text: r.trade_name || group.content }),
      el("span", { class: "crews", title: L10N.crews, text: `${r.crews_present}/${r.crews}` }));
  }

  function itemTemplate(item, element) {
    if (!item.raw) return "";
    const it = item.raw;
    const icon = { tentative: "◌", accepted: "✓", in_progress: "▶", done: "✔" }[it.state] || "";
    // Reachable by keyboard: Enter opens the package's log and messages, as a double click does.
    const label = `${it.task_name}, #${it.package} ${it.package_title}, ${fmtTime.format(new Date(it.start))}`;
    const open = (e) => {
      if (e.key !== "Enter" && e.key !== " ") return;
      e.preventDefault();
      openLog(it.package, `${it.package_title} #${it.package}`);
    };
    return el("div", { class: "it", tabindex: "0", role: "button", "aria-label": label, onkeydown: open, dataset: { task: it.task, state: it.state, testid: "board-item", pinned: it.pinned ? "1" : "" } },
      el("span", { class: "it-name", text: it.urgent ? `${L10N.urgent}: ${it.task_name}` : `${it.pinned ? "⚑ " : ""}${icon} ${it.task_name}` }),
      // A Notdienst's time is read on the bar: at night it is drawn at the end of its day.
      el("span", { class: "it-sub", text: `${it.urgent ? fmtClock.format(new Date(it.start)) + " · " : ""}#${it.package} ${it.package_title} · ${it.city}` }));
  }

  function snap(date) {
    // Work starts at the beginning of a working day: snap to 07:00 local of the nearest day.
    const d = new Date(date.getTime() + 5 * 3600e3);
    d.setHours(7, 0, 0, 0);
    return d;
  }

  // The shown week and how far the clerk may scroll around it (a week back, three ahead).
  // vis-timeline clamps every window to min/max, so both move with the week.
  function weekWindow() {
    const start = parseDay(data.start);
    const end = new Date(parseDay(data.end).getTime() + 864e5);
    return { start, end, min: new Date(start.getTime() - 864e5 * 7), max: new Date(end.getTime() + 864e5 * 21) };
  }

  function renderTimeline() {
    const firstDay = shownStart;
    shownStart = data.start;
    if (!timeline) {
      groups = new vis.DataSet(toVisGroups());
      items = new vis.DataSet(toVisItems());
      timeline = new vis.Timeline($("timeline"), items, groups, {
        ...weekWindow(),
        zoomable: false, horizontalScroll: false, moveable: true, stack: true, orientation: { axis: "top", item: "top" },
        editable: { updateTime: true, updateGroup: true, add: false, remove: false, overrideItems: false },
        groupEditable: false, selectable: true, itemsAlwaysDraggable: { item: true, range: true }, multiselect: false, snap, margin: { item: { horizontal: 2, vertical: 4 } },
        hiddenDates: [{ start: `2020-01-01 ${NIGHT_FROM}:00:00`, end: `2020-01-02 0${DAY_FROM}:00:00`, repeat: "daily" }],
        verticalScroll: true, maxHeight: "70vh", groupOrder: "order", showCurrentTime: true, locale: "de",
        tooltip: { followMouse: true, overflowMethod: "cap", delay: 200 },
        tooltipOnItemUpdateTime: { template: (it) => fmtTime.format(it.start) },
        format: {
          minorLabels: (date, scale) => (scale === "day" || scale === "weekday"
            ? fmtDay.format(new Date(date)) : new Intl.DateTimeFormat(dateLocale, { hour: "2-digit", timeZone: TZ }).format(new Date(date))),
          majorLabels: (date) => `${L10N.week} ${data.week.split("-W")[1]} · ${new Intl.DateTimeFormat(dateLocale, { month: "long", year: "numeric", timeZone: TZ }).format(new Date(date))}`,
        },
        timeAxis: { scale: "day", step: 1 },
        groupTemplate, template: itemTemplate,
        onMove: (item, callback) => { callback(null); previewMove(item); },
        onRemove: (_item, callback) => callback(null), // work is cancelled elsewhere, never here
      });
      timeline.on("select", ({ items: chosen }) => showPin(chosen.length ? items.get(chosen[0]) : null));
      // Unassigned (or declined) tasks dragged from the side list onto a workshop's row.
      const area = $("timeline");
      // Capture phase: the timeline's own drop handling (for its JSON items) stops propagation.
      const ours = (e) => e.dataTransfer && e.dataTransfer.types.includes("application/x-zunft-task");
      area.addEventListener("dragover", (e) => { if (ours(e)) { e.preventDefault(); e.stopPropagation(); } }, true);
      area.addEventListener("drop", (e) => {
        if (!ours(e)) return;
        e.preventDefault();
        e.stopPropagation();
        const task = Number(e.dataTransfer.getData("application/x-zunft-task"));
        const where = timeline.getEventProperties(e);
        if (!task || !where.group || !where.time) return;
        previewMove({ raw: { task }, group: String(where.group).replace(/^w(\d+)$/, "$1:"), start: snap(where.time) });
      }, true);
      timeline.on("doubleClick", (props) => {
        const it = props.item && items.get(props.item);
        if (it && it.raw) openLog(it.raw.package, `${it.raw.package_title} #${it.raw.package}`);
      });
    } else {
      groups.clear(); groups.add(toVisGroups());
      items.clear(); items.add(toVisItems());
      const { start, end, min, max } = weekWindow();
      // A live refresh keeps the options; only another week moves the bounds (a full setOptions
      // on every refresh left items hidden), and the bounds go first or the window is clamped.
      if (data.start !== firstDay) timeline.setOptions({ min, max });
      timeline.setWindow(start, end, { animation: false });
    }
  }

  // --- pinned (hand-placed) appointments ---------------------------------------------------------
  let pinned = null;
  function showPin(item) {
    // A Notdienst is pinned to now: given back, the planner would put it into tomorrow's work.
    pinned = item && item.raw && item.raw.pinned && !item.raw.urgent ? item.raw : null;
    $("pin-bar").hidden = !pinned;
    if (pinned) $("pin-text").textContent = fill(L10N.pinned, { task: pinned.task_name });
  }
  $("pin-release").addEventListener("click", async () => {
    if (!pinned) return;
    const r = await api(`${config.api}/appointments/${pinned.id}/release`, { method: "POST" });
    if (r.ok) { showPin(null); load(); }
  });

  // --- moving work -------------------------------------------------------------------------------
  async function previewMove(item) {
    const it = item.raw;
    const [workshop] = String(item.group).split(":");
    const payload = { task: it.task, workshop: Number(workshop), date: localDate(item.start) };
    const dialog = $("move-dialog");
    const body = $("move-body");
    const confirm = $("move-confirm");
    confirm.disabled = true;
    body.replaceChildren(el("p", { class: "muted", text: L10N.checking }));
    if (!dialog.open) dialog.showModal();
    const r = await api(`${config.api}/moves/preview`, { method: "POST", body: JSON.stringify(payload) });
    const p = r.body || {};
    pending = p.ok ? { ...payload, token: p.token } : null;
    dialog.dataset.result = p.ok ? "ok" : "refused";
    if (!r.ok || !p.ok) {
      body.replaceChildren(el("div", { class: "refusal", role: "alert", dataset: { testid: "move-refused", code: p.code || "" } },
        el("strong", { text: L10N.refused }), el("p", { text: p.reason || (p.detail || r.status) })));
      return;
    }
    body.replaceChildren(renderPreview(p));
    confirm.disabled = p.changes.length === 0;
  }

  function renderPreview(p) {
    const rows = p.changes.map((c) => el("tr", { class: c.kind, dataset: { testid: "move-change", task: c.task } },
      el("td", {}, el("strong", { text: c.task_name }), el("br"), el("span", { class: "badge " + c.kind, text: L10N[c.kind] || c.kind }),
        c.accepted ? el("span", { class: "badge accepted", text: L10N.confirmed }) : null,
        c.new_offer ? el("span", { class: "badge offer", text: L10N.new_offer }) : null),
      el("td", {}, c.start_from ? `${fmtTime.format(new Date(c.start_from))} – ${fmtTime.format(new Date(c.end_from))}` : "–", el("br"),
        el("span", { class: "muted", text: c.workshop_from_name || "" })),
      el("td", { class: "arrow", text: "→" }),
      el("td", {}, el("strong", { text: `${fmtTime.format(new Date(c.start_to))} – ${fmtTime.format(new Date(c.end_to))}` }), el("br"),
        el("span", { class: c.new_offer ? "changed" : "muted", text: c.workshop_to_name }))));
    // Before → after, and by how many days, so the office weighs the move at a glance.
    let end = p.end_after ? fmtDate.format(new Date(p.end_after)) : "–";
    if (p.end_before && p.end_after) {
      const day = (iso) => Date.parse(fmtIso.format(new Date(iso)));
      const shift = Math.round((day(p.end_after) - day(p.end_before)) / 864e5);
      const was = fmtDate.format(new Date(p.end_before));
      if (was !== end) end = `${was} → ${end} (${shift > 0 ? "+" : ""}${fill(Math.abs(shift) === 1 ? L10N.days_shift_one : L10N.days_shift, { n: shift })})`;
    }
    return el("div", { class: "preview" },
      el("h3", { text: L10N.consequences }),
      el("table", { class: "changes" }, el("tbody", {}, rows)),
      el("p", { class: "package-end" }, `${L10N.package_end}: `, el("strong", { text: end, dataset: { testid: "move-end" } }),
        p.promised ? ` (${L10N.promised} ${fmtDate.format(parseDay(p.promised))})` : ""),
      p.warnings.length ? el("ul", { class: "warnings" }, p.warnings.map((w) => el("li", { text: w }))) : null);
  }

  $("move-confirm").addEventListener("click", async () => {
    if (!pending) return;
    const confirm = $("move-confirm");
    confirm.disabled = true;
    const r = await api(`${config.api}/moves`, { method: "POST", body: JSON.stringify(pending) });
    const body = $("move-body");
    if (r.ok) {
      body.prepend(el("p", { class: "ok", role: "status", dataset: { testid: "move-applied" }, text: L10N.applied }));
      $("move-dialog").dataset.result = "applied";
      pending = null;
      await load();
      setTimeout(() => $("move-dialog").close(), 1200);
    } else {
      const detail = r.body && (Array.isArray(r.body.detail) ? r.body.detail.map((d) => d.msg).join(" ") : r.body.detail);
      body.prepend(el("p", { class: "refusal", role: "alert", text: detail || L10N.stale }));
    }
  });

  // --- side lists --------------------------------------------------------------------------------
  function renderLists(lists) {
    const render = (key, rows, line) => {
      $(`count-${key}`).textContent = rows.length;
      $(`list-${key}`).replaceChildren(...(rows.length ? rows.map(line) : [el("li", { class: "empty muted", text: L10N.nothing })]));
    };
    const pkgLink = (r) => el("button", { type: "button", class: "linkish", text: `#${r.package} ${r.package_title}`, onclick: () => openLog(r.package, `${r.package_title} #${r.package}`) });
    const draggable = (r) => ({ draggable: "true", title: L10N.drag_hint, dataset: { task: r.task, testid: "side-task" },
      ondragstart: (e) => { e.dataTransfer.setData("application/x-zunft-task", String(r.task)); e.dataTransfer.effectAllowed = "move"; } });
    render("unassigned", lists.unassigned, (r) => el("li", draggable(r), el("strong", { text: r.task_name }), " ", el("span", { class: "muted", text: `${r.trade_name} · ${fmtNum.format(r.hours)} ${L10N.hours}` }), el("br"), pkgLink(r)));
    render("declined", lists.declined, (r) => el("li", { class: "warn", ...draggable(r) }, el("strong", { text: r.task_name }), " ",
      el("span", { class: "badge declined", text: L10N.offer[r.status] || r.status }), el("br"),
      el("span", { class: "muted", text: `${r.workshop || ""}${r.reason ? ": „" + r.reason + "“" : ""}` }), el("br"), pkgLink(r)));
    render("expiring", lists.expiring, (r) => el("li", { class: "warn" }, el("strong", { text: r.task_name }), el("br"),
      el("span", { class: "muted", text: `${r.workshop} · ${L10N.answer_by} ${fmtTime.format(new Date(r.deadline))}` }), el("br"), pkgLink(r)));
    render("messages", lists.messages || [], (r) => el("li", { class: "msg" }, pkgLink(r), el("br"),
      el("span", { class: "muted", text: `${fill(L10N.unread, { n: r.unread })} · ${fmtTime.format(new Date(r.last))}` })));
    render("supplements", lists.supplements || [], (r) => el("li", { class: r.expired ? "warn" : "" }, pkgLink(r), el("br"),
      el("a", { href: config.order_url.replace("/0/", `/${r.package}/`) + "#nachtraege", text: fill(L10N.supplement_number, { number: r.number }) }), " ",
      el("span", { class: "muted", text: `${fmtMoney.format(Number(r.gross))} · ${r.expired ? L10N.supplement_expired : L10N.supplement_until} ${fmtDate.format(parseDay(r.valid_until))}` })));
    render("at_risk", lists.at_risk, (r) => el("li", { class: "risk" }, pkgLink(r), el("br"),
      el("span", { class: "muted", text: [
        r.late_days ? fill(L10N.late_by, { days: r.late_days }) : "",
        r.unplanned ? fill(L10N.unplanned, { n: r.unplanned }) : "",
        r.promised ? `${L10N.promised} ${fmtDate.format(parseDay(r.promised))}` : "",
        r.planned_end ? `${L10N.planned_end} ${fmtDate.format(parseDay(r.planned_end))}` : "",
      ].filter(Boolean).join(" · ") })));
  }

  // Map dots stay out of the tab order: dozens of unnamed stops before the inbox, and the lists
  // name every workshop and site anyway.
  function untabbed(layer) {
    const node = layer.getElement && layer.getElement();
    if (node) { node.setAttribute("tabindex", "-1"); node.setAttribute("aria-hidden", "true"); }
    return layer;
  }

  // --- heatmap -----------------------------------------------------------------------------------
  function heat(load) {
    if (load === null) return "var(--heat-none)";
    if (load > 1) return "var(--heat-over)";
    // From 75 % on the figures are white: dark enough behind them to read (contrast ≥ 4.5).
    const l = load >= 0.75 ? 36 - Math.round((load - 0.75) * 24) : 97 - Math.round(load * 52);
    return `hsl(204 70% ${l}%)`;
  }
  // The CSP forbids style attributes; the CSSOM is allowed.
  const paint = (node, load) => { node.style.background = heat(load); return node; };
  function renderHeatmap(h) {
    const head = el("tr", {}, el("th", { scope: "col", text: L10N.workshop }),
      data.days.map((d) => el("th", { scope: "col", class: d.weekend || d.holidays.length ? "off" : "", title: d.holidays.join(", "), text: fmtDay.format(parseDay(d.date)) })));
    const body = h.rows.filter((r) => matches(r.name)).map((r) => el("tr", {}, el("th", { scope: "row", title: r.name, text: r.name }),
      r.cells.map((c, i) => paint(el("td", {
        class: c.load === null ? "none" : c.load > 1 ? "over" : c.load >= 0.75 ? "high" : "",
        title: `${r.name}, ${fmtDay.format(parseDay(data.days[i].date))}: ${c.used}/${c.crews} ${L10N.crews}, ${fmtNum.format(c.hours_used)}/${fmtNum.format(c.hours)} ${L10N.hours}`,
      }, c.crews || c.used ? `${c.used}/${c.crews}` : ""), c.load))));
    $("heatmap").replaceChildren(el("thead", {}, head), el("tbody", {}, body));
  }

  // --- fairness chart (SVG) -------------------------------------------------------------------
  function renderFairness(rows) {
    const target = document.querySelector("input[name=target]:checked").value;
    const ns = "http://www.w3.org/2000/svg";
    const svg = (tag, attrs, text) => {
      const n = document.createElementNS(ns, tag);
      Object.entries(attrs).forEach(([k, v]) => n.setAttribute(k, v));
      if (text !== undefined) n.textContent = text;
      return n;
    };
    const list = rows.filter((r) => matches(r.name));
    // gap leaves room for the longest count ("8/19") before the share bars start.
    const rowH = 22, top = 62, labelW = 200, countW = 170, gap = 44, shareW = 250;
    const width = labelW + countW + gap + shareW + 60;
    const height = top + list.length * rowH + 8;
    const maxOffered = Math.max(1, ...list.map((r) => r.offered));
    const maxShare = Math.max(0.05, ...list.map((r) => Math.max(r.share, r[target]))) * 1.1;
    const chart = svg("svg", { viewBox: `0 0 ${width} ${height}`, width: "100%", role: "img", "aria-label": L10N.revenue_share, class: "fairness-chart" });
    const x0 = labelW, x1 = labelW + countW + gap;
    chart.append(svg("text", { x: x0, y: 14, class: "axis-title" }, `${L10N.offered} / ${L10N.accepted}`));
    // Two title lines: side by side the German titles run into each other.
    chart.append(svg("text", { x: x1, y: 32, class: "axis-title" }, `${L10N.revenue_share} · ${L10N.target}: ${L10N[target]}`));
    [0, 0.5, 1].forEach((f) => {
      const x = x1 + f * shareW;
      chart.append(svg("line", { x1: x, x2: x, y1: top - 8, y2: height - 4, class: "grid" }));
      chart.append(svg("text", { x, y: top - 12, class: "tick", "text-anchor": "middle" }, fmtPct.format(f * maxShare)));
    });
    list.forEach((r, i) => {
      const y = top + i * rowH;
      const g = svg("g", { class: "row", "data-workshop": r.workshop });
      g.append(svg("title", {}, `${r.name}: ${r.offered} ${L10N.offers_count}, ${r.accepted} ${L10N.accepted}, ${fmtEur.format(r.revenue)} (${fmtPct.format(r.share)} / ${L10N.target} ${fmtPct.format(r[target])})`));
      g.append(svg("text", { x: labelW - 8, y: y + 15, "text-anchor": "end", class: "label" }, r.name.length > 27 ? `${r.name.slice(0, 26)}…` : r.name));
      g.append(svg("rect", { x: x0, y: y + 3, width: Math.max(1, (r.offered / maxOffered) * countW), height: 16, rx: 3, class: "offered" }));
      g.append(svg("rect", { x: x0, y: y + 7, width: (r.accepted / maxOffered) * countW, height: 8, rx: 2, class: "accepted" }));
      g.append(svg("text", { x: x0 + Math.max(1, (r.offered / maxOffered) * countW) + 4, y: y + 15, class: "value" }, `${r.accepted}/${r.offered}`));
      const sw = (r.share / maxShare) * shareW, tw = (r[target] / maxShare) * shareW;
      const cls = r.share + 0.02 < r[target] ? "share under" : r.share > r[target] + 0.02 ? "share over" : "share even";
      g.append(svg("rect", { x: x1, y: y + 4, width: Math.max(0.5, sw), height: 14, rx: 3, class: cls }));
      g.append(svg("line", { x1: x1 + tw, x2: x1 + tw, y1: y + 1, y2: y + 21, class: "target" }));
      g.append(svg("text", { x: x1 + Math.max(sw, tw) + 6, y: y + 15, class: "value" }, fmtPct.format(r.share)));
      chart.append(g);
    });
    $("fairness").replaceChildren(chart);
  }
  document.querySelectorAll("input[name=target]").forEach((r) => r.addEventListener("change", () => data && renderFairness(data.fairness)));

  // --- map (Leaflet; usable without tiles) -------------------------------------------------
  function renderMap(m) {
    if (!map) {
      map = L.map("map", { zoomSnap: 0.25, attributionControl: Boolean(config.tiles), scrollWheelZoom: false });
      if (config.tiles) L.tileLayer(config.tiles, { attribution: config.tiles_attribution, maxZoom: 18 }).addTo(map);
      else $("map").classList.add("no-tiles");
      mapLayer = L.layerGroup().addTo(map);
    }
    mapLayer.clearLayers();
    const shops = Object.fromEntries(m.workshops.map((w) => [w.workshop, w]));
    const points = [];
    m.sites.forEach((s) => s.workshops.forEach((w) => {
      if (shops[w]) L.polyline([[s.lat, s.lon], [shops[w].lat, shops[w].lon]], { className: "route", weight: 1.5 }).addTo(mapLayer);
    }));
    m.workshops.forEach((w) => {
      points.push([w.lat, w.lon]);
      untabbed(L.circleMarker([w.lat, w.lon], { radius: 6, className: "pt-workshop" }).bindTooltip(w.name).addTo(mapLayer));
    });
    m.sites.forEach((s) => {
      points.push([s.lat, s.lon]);
      untabbed(L.circleMarker([s.lat, s.lon], { radius: 5, className: "pt-site" }).bindTooltip(`${s.label} · #${s.packages.join(", #")}`).addTo(mapLayer));
    });
    if (points.length) map.fitBounds(points, { padding: [24, 24] });
    else map.setView([52.85, 8.05], 9);
  }

  // --- request inbox -----------------------------------------------------------------------------
  async function loadInbox() {
    const r = await api(`${config.api}/requests?status=${inboxStatus}`);
    if (!r.ok) return;
    const inbox = r.body;
    $("inbox-tabs").replaceChildren(...Object.entries(inbox.labels).map(([status, label]) => el("button", {
      type: "button", role: "tab", class: status === inboxStatus ? "tab active" : "tab", "aria-selected": String(status === inboxStatus),
      onclick: () => { inboxStatus = status; loadInbox(); },
    }, `${label} `, el("span", { class: "count", text: inbox.counts[status] }))));
    const rel = new Intl.RelativeTimeFormat(lang, { numeric: "auto" });
    const ago = (iso) => {
      const hours = (new Date(iso) - Date.now()) / 3600e3;
      return Math.abs(hours) < 48 ? rel.format(Math.round(hours), "hour") : rel.format(Math.round(hours / 24), "day");
    };
    $("inbox-list").replaceChildren(...(inbox.requests.length ? inbox.requests.map((q) => el("li", { dataset: { request: q.id } },
      el("div", {}, el("strong", { text: `#${q.package || q.id} ${q.what}` }), " ", el("span", { class: `badge req-${q.status}`, text: q.status_label }), el("br"),
        el("span", { class: "muted", text: `${q.customer}, ${q.city} · ${ago(q.created_at)}` })),
      el("div", { class: "actions" },
        q.package ? el("button", { type: "button", class: "ghost small", text: L10N.open_package, onclick: () => openLog(q.package, `#${q.package}`) }) : null,
        q.package && ["draft", "quoted"].includes(q.package_status) ? el("a", { class: "button ghost small", href: config.revise_url.replace("/0/", `/${q.package}/`), text: L10N.revise_quote }) : null,
        q.package && ["accepted", "in_progress"].includes(q.package_status) ? el("a", { class: "button ghost small", href: config.supplement_url.replace("/0/", `/${q.package}/`), text: L10N.supplement }) : null,
        q.status === "new" ? el("button", { type: "button", class: "ghost small", text: L10N.decline, onclick: () => triage(q.id, "declined") }) : null,
        q.status === "declined" ? el("button", { type: "button", class: "ghost small", text: L10N.reopen, onclick: () => triage(q.id, "new") }) : null)))
      : [el("li", { class: "empty muted", text: L10N.nothing })]));
  }
  async function triage(id, status) {
    await api(`${config.api}/requests/${id}/triage`, { method: "POST", body: JSON.stringify({ status }) });
    loadInbox();
  }

  // --- package log: messages with the homeowner and the workshops, then the events --------------
  const eventLabel = (type) => (Object.hasOwn(L10N.event, type) ? L10N.event[type] : fill(L10N.event_other, { type }));
  let logPackage = null;
  async function openLog(packageId, title) {
    const dialog = $("log-dialog");
    logPackage = packageId;
    $("log-title").textContent = title;
    const base = `/api/v1/packages/${packageId}/messages`;
    const [events, messages, recipients, timeline] = await Promise.all([
      api(`${config.api}/packages/${packageId}/log`), api(base), api(`${base}/recipients`),
      api(`/api/v1/packages/${packageId}`),
    ]);
    // Events name tasks by id: the clerk reads their names.
    const taskNames = new Map((timeline.ok ? timeline.body.tasks : []).map((t) => [t.id, t.name]));
    const taskText = (id) => (taskNames.has(id) ? taskNames.get(id) : `${L10N.task} ${id}`);
    const rows = events.ok ? events.body : [];
    const msgs = messages.ok ? messages.body : [];
    const thread = (m) => (m.thread === "homeowner" ? L10N.msg.homeowner : m.workshop);
    $("log-messages").replaceChildren(msgs.length ? el("ol", { class: "message-log", "data-testid": "board-messages" }, msgs.map((m) =>
      el("li", { class: `message from-${m.sender}${m.sender === "office" ? " mine" : ""}` },
        el("span", { class: "meta", text: `${m.author} → ${m.sender === "office" ? thread(m) : L10N.msg.office} · ${fmtTime.format(new Date(m.created_at))}` }),
        el("p", { text: m.body })))) : el("p", { class: "muted", text: L10N.msg.empty }));
    const select = $("log-to");
    select.replaceChildren(...(recipients.ok ? recipients.body : []).map((r) =>
      el("option", { value: r.workshop_id ? `workshop:${r.workshop_id}` : "homeowner", text: r.name })));
    $("log-error").hidden = true;
    $("log-body").replaceChildren(rows.length ? el("ol", { class: "log" }, rows.map((e) => el("li", {},
      el("time", { datetime: e.created_at, text: fmtTime.format(new Date(e.created_at)) }), " ",
      el("strong", { text: eventLabel(e.type) }), " ",
      el("span", { class: "muted", text: e.data.task ? `· ${taskText(e.data.task)}` : "" }),
      e.data.work_started ? el("span", { class: "warn", text: ` · ${L10N.work_started}` }) : null))) : el("p", { class: "muted", text: L10N.log_empty }));
    if (msgs.some((m) => m.sender !== "office" && !m.read_at)) api(`${base}/read`, { method: "POST" }).then(soon);
    if (!dialog.open) dialog.showModal();
  }

  $("log-send").addEventListener("click", async () => {
    const text = $("log-text").value.trim();
    if (!text || !logPackage) return;
    const [thread, workshop] = $("log-to").value.split(":");
    const body = { body: text, thread: thread === "workshop" ? "workshop" : "homeowner" };
    if (workshop) body.workshop_id = Number(workshop);
    const r = await api(`/api/v1/packages/${logPackage}/messages`, { method: "POST", body: JSON.stringify(body) });
    if (r.ok) {
      $("log-text").value = "";
      openLog(logPackage, $("log-title").textContent);
    } else {
      $("log-error").textContent = Array.isArray(r.body.detail) ? r.body.detail.map((d) => d.msg).join(" ") : r.body.detail;
      $("log-error").hidden = false;
    }
  });

  // --- controls and live updates ---------------------------------------------------------------
  const goto = (w) => { week = w; history.replaceState(null, "", `?woche=${w}`); load(); };
  $("week-prev").addEventListener("click", () => data && goto(data.previous));
  $("week-next").addEventListener("click", () => data && goto(data.next));
  $("week-input").addEventListener("change", (e) => e.target.value && goto(e.target.value));
  $("all-workshops").addEventListener("change", () => { if (data) { groups.clear(); groups.add(toVisGroups()); } });
  $("filter").addEventListener("input", () => { if (data) { groups.clear(); groups.add(toVisGroups()); items.clear(); items.add(toVisItems()); renderHeatmap(data.heatmap); renderFairness(data.fairness); } });

  // Re-plan by hand: the request is queued (merged with others), the planner's progress and the
  // outcome come over the office group, so every clerk sees a re-plan whoever started it.
  let lastPlan = null; // the summary of the newest plan.updated event
  const replanButton = $("replan");
  const replanState = $("replan-state");
  function showReplan(data) {
    const running = data.state === "queued" || data.state === "running";
    replanButton.disabled = running;
    replanState.dataset.state = data.state;
    const result = data.result || {};
    // Orders with a problem of their own are set aside, the rest is planned: say which.
    // Each with the tasks its problem is about (the pinned one to move, the circle to break).
    const aside = (result.set_aside || []).map((o) => {
      const tasks = (o.tasks || []).map((t) => (lang === "en" ? t.name_en : t.name_de) || t.name_de);
      return fill(tasks.length ? L10N.replan.order_tasks : L10N.replan.order, {
        package: `#${o.package}`,
        tasks: tasks.join(", "),
        reasons: o.reasons.map((r) => L10N.replan.reasons[r] || r).join(", "),
      });
    }).join("; ");
    const asideText = aside ? fill(L10N.replan.set_aside, { orders: aside }) : "";
    if (data.state === "done" && ["optimal", "feasible"].includes(result.status)) {
      const done = fill(L10N.replan.done, { moved: result.moved ?? (lastPlan ? lastPlan.moved : 0) });
      replanState.textContent = asideText ? `${done} ${asideText}` : done;
    } else if (data.state === "done" && asideText) {
      replanState.dataset.state = "failed";
      replanState.textContent = asideText;
    } else if (data.state === "done") {
      // The run ended without a plan (infeasible, no answer in time): nothing was changed.
      replanState.dataset.state = "failed";
      replanState.textContent = L10N.replan.failed;
    } else if (data.state === "failed") {
      replanState.textContent = L10N.replan.failed;
    } else if (data.state === "running") {
      replanState.textContent = fill(L10N.replan.running, { s: data.progress || 0 });
    } else {
      replanState.textContent = L10N.replan.queued;
    }
  }
  replanButton.addEventListener("click", async () => {
    replanButton.disabled = true;
    const r = await api("/api/v1/plan-runs", { method: "POST", body: "{}" });
    if (r.ok) showReplan({ state: "queued" });
    else {
      replanButton.disabled = false;
      replanState.textContent = fill(L10N.replan.refused, { status: r.status });
    }
  });

  const state = $("live-state");
  new window.ZunftLive.LiveSocket({
    groups: ["office"],
    onEvent: (event) => {
      if (event.type === "plan.updated") lastPlan = event.data;
      if (event.type === "operation.progress" && event.data && event.data.kind === "replan") showReplan(event.data);
      if (event.type === "message.created" && $("log-dialog").open && event.data.package === logPackage) {
        openLog(logPackage, $("log-title").textContent);
      }
      if (event.id > lastEvent) { lastEvent = event.id; soon(); }
    },
    onResync: soon,
    onState: (s) => { state.textContent = L10N.live[s]; state.dataset.state = s; },
  });
  load();
  // ?paket=<id> opens that package's log and messages (links from mails and lists).
  const linked = new URLSearchParams(location.search).get("paket");
  if (linked && /^\d+$/.test(linked)) {
    api(`/api/v1/packages/${linked}`).then((r) => openLog(Number(linked), r.ok ? `${r.body.title} #${linked}` : `#${linked}`));
  }
})();
