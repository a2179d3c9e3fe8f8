// The month-end run page: start the run without leaving the page and follow its Operation live.
// Progress comes over the websocket (operation.progress events of the office group); after every
// (re)connect, and when the run ends, the panel is fetched again as the server renders it from the
// database, so nothing is lost across a dead socket. Without JavaScript the form posts normally
// and a reload shows the current state.
(function () {
  "use strict";
  const root = document.getElementById("month-end");
  if (!root) return;
  const L10N = JSON.parse(document.getElementById("month-end-labels").textContent);
  const form = document.getElementById("month-end-form");
  const liveState = document.getElementById("live-state");
  const KIND = "invoicing.month_end";
  const TERMINAL = ["done", "failed"];
  const fill = (s, values) => s.replace(/%\((\w+)\)s/g, (_m, k) => values[k]).replace("%%", "%");

  const latest = new Map(); // operation id → the furthest progress event seen for it
  let shown = 0; // the progress the panel shows
  let starting = false;

  const panel = () => document.getElementById("operation");
  const currentId = () => Number(panel().dataset.operation || 0);
  const finished = () => TERMINAL.includes(panel().dataset.state);

  function adopt(next) {
    panel().replaceWith(next);
    const bar = next.querySelector("progress");
    shown = bar && bar.hasAttribute("value") ? Number(bar.getAttribute("value")) : 0;
    const ahead = latest.get(currentId());
    if (ahead) show(ahead);
  }

  function swap(html) {
    const holder = document.createElement("template");
    holder.innerHTML = html.trim();
    if (holder.content.firstElementChild) adopt(holder.content.firstElementChild);
  }

  // The page as the server renders it from the database (?vorgang=<id>): its run panel and
  // its list of runs replace ours.
  let refreshing = false;
  let again = false; // asked while a refresh was under way: its answer may be older
  async function refresh(id) {
    const target = id || currentId();
    if (!target) return;
    if (refreshing) {
      again = true;
      return;
    }
    refreshing = true;
    try {
      const response = await fetch(`${location.pathname}?vorgang=${target}`, {
        credentials: "same-origin",
      });
      if (!response.ok || (!id && target !== currentId())) return;
      const fresh = new DOMParser().parseFromString(await response.text(), "text/html");
      const next = fresh.getElementById("operation");
      const history = fresh.getElementById("history");
      if (history) document.getElementById("history").replaceWith(document.adoptNode(history));
      if (next) adopt(document.adoptNode(next));
    } finally {
      refreshing = false;
      if (again) {
        again = false;
        refresh();
      }
    }
  }

  // One progress event of the operation the panel follows: move the bar, or fetch the result.
  function show(data) {
    const node = panel();
    if (TERMINAL.includes(data.state)) {
      if (node.dataset.state !== data.state) refresh();
      return;
    }
    if (finished() || data.progress < shown) return; // stale: each event comes once per group
    shown = data.progress;
    node.dataset.state = data.state;
    const bar = node.querySelector("progress");
    if (data.total) {
      bar.max = data.total;
      bar.value = data.progress;
    }
    const badge = node.querySelector("#op-state");
    badge.textContent = L10N.state[data.state] || data.state;
    badge.className = `badge op-${data.state}`;
    const percent = data.total ? Math.floor((100 * data.progress) / data.total) : 0;
    node.querySelector("#op-text").textContent = data.total
      ? fill(L10N.progress, { done: data.progress, total: data.total, percent })
      : L10N.waiting;
  }

  function onEvent(event) {
    if (event.type !== "operation.progress" || !event.data || event.data.kind !== KIND) return;
    const data = event.data;
    const before = latest.get(data.operation);
    const newer =
      !before ||
      (!TERMINAL.includes(before.state) &&
        (TERMINAL.includes(data.state) || data.progress >= before.progress));
    if (newer) latest.set(data.operation, data);
    if (data.operation === currentId()) show(data);
    else if (!starting && data.operation > currentId() && (finished() || !currentId())) {
      refresh(data.operation); // a run another clerk started: follow it
    }
  }

  // --- starting a run ----------------------------------------------------------------------------
  function clearErrors() {
    form.querySelectorAll(".js-error").forEach((node) => node.remove());
    form.querySelectorAll(".has-error").forEach((node) => node.classList.remove("has-error"));
  }

  function showErrors(errors) {
    Object.entries(errors).forEach(([name, list]) => {
      const input = form.querySelector(`[name="${name}"]`);
      const box = input ? input.closest(".field") : form;
      if (input) box.classList.add("has-error");
      list.forEach((error) => {
        const p = document.createElement("p");
        p.className = "field-error js-error";
        p.setAttribute("role", "alert");
        p.textContent = error.message;
        if (input) box.append(p);
        else form.prepend(p);
      });
    });
  }

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const button = form.querySelector("button[type=submit]");
    button.disabled = true;
    starting = true;
    clearErrors();
    let response;
    try {
      response = await fetch(location.pathname, {
        method: "POST",
        body: new FormData(form),
        credentials: "same-origin",
        headers: { Accept: "application/json" },
      });
    } catch (_error) {
      starting = false;
      form.submit(); // the network hiccuped: the plain post still works
      return;
    }
    let body = {};
    try {
      body = await response.json();
    } catch (_error) {
      body = {};
    }
    if (response.status === 202) {
      window.history.replaceState(null, "", body.url);
      swap(body.panel);
      refresh(); // the list of runs shows the new one
    } else {
      showErrors(body.errors || { __all__: [{ message: L10N.failed_start }] });
    }
    starting = false;
    button.disabled = false;
  });

  new window.ZunftLive.LiveSocket({
    groups: ["office"],
    onEvent,
    onResync: () => {
      if (currentId() && !finished()) refresh();
    },
    onState: (state) => {
      liveState.textContent = L10N.live[state];
      liveState.dataset.state = state;
    },
  });
})();
