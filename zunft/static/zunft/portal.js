// The request wizard's map: after the postal code is known, show its centre on a Leaflet map
// where the homeowner drags (or taps, or moves with the arrow keys) a pin onto the house. The
// pin's position goes into the hidden latitude/longitude fields; without JavaScript, or when the
// pin is never moved, they stay empty and the server uses the postal code's centre.
// Without map tiles (none configured, offline, blocked) the pin still works on a grey area and a
// note says so. No inline script: configuration comes from the json_script "pin-config".
(function () {
  "use strict";
  const box = document.getElementById("pin");
  const configNode = document.getElementById("pin-config");
  if (!box || !configNode || typeof L === "undefined") return;
  const config = JSON.parse(configNode.textContent);
  const form = box.closest("form");
  const field = (name) => form.elements.namedItem(name);
  const postal = field("postal_code");
  const city = field("city");
  const lat = field("latitude");
  const lon = field("longitude");
  const status = document.getElementById("pin-status");
  const note = document.getElementById("pin-note");
  const canvas = document.getElementById("pin-map");
  const fmt = new Intl.NumberFormat(document.documentElement.lang || "de", {
    minimumFractionDigits: 5, maximumFractionDigits: 5,
  });
  const STEP_PX = 6; // one arrow key press moves the pin this far on screen

  let map = null;
  let marker = null;
  let centre = null; // {code, place, lat, lon} of the looked-up postal code
  let looked = ""; // the postal code (and place) last looked up
  let tileLoaded = false;

  function say(text) { status.textContent = text; }
  function fill(text, values) {
    return text.replace(/%\((\w+)\)s/g, (_m, key) => values[key]);
  }

  function noTiles() {
    canvas.classList.add("no-tiles");
    note.hidden = false;
  }

  function buildMap(where) {
    // The view first: Leaflet draws the marker (and its element) only on a map with a view.
    map = L.map(canvas, { zoomSnap: 0.5, scrollWheelZoom: false }).setView(where, 16);
    if (config.tiles) {
      const layer = L.tileLayer(config.tiles, { attribution: config.attribution, maxZoom: 19 });
      layer.on("tileload", () => {
        tileLoaded = true;
        canvas.classList.remove("no-tiles");
        note.hidden = true;
      });
      layer.on("tileerror", () => { if (!tileLoaded) noTiles(); });
      layer.addTo(map);
      // A blocked request may never answer: after a while without a single tile, say so.
      window.setTimeout(() => { if (!tileLoaded) noTiles(); }, 8000);
    } else {
      noTiles();
    }
    const icon = L.divIcon({ className: "pin-marker", iconSize: [34, 46], iconAnchor: [17, 44] });
    marker = L.marker(where, {
      icon, draggable: true, keyboard: true, title: config.labels.pin, alt: config.labels.pin,
      autoPan: true,
    }).addTo(map);
    marker.on("dragend", () => chosen(marker.getLatLng()));
    map.on("click", (event) => { marker.setLatLng(event.latlng); chosen(event.latlng); });
    marker.getElement().setAttribute("aria-label", config.labels.pin);
    marker.getElement().addEventListener("keydown", (event) => {
      const moves = { ArrowUp: [0, -1], ArrowDown: [0, 1], ArrowLeft: [-1, 0], ArrowRight: [1, 0] };
      const move = moves[event.key];
      if (!move) return;
      event.preventDefault();
      event.stopPropagation();
      const at = map.latLngToContainerPoint(marker.getLatLng());
      const next = map.containerPointToLatLng(at.add(L.point(move[0] * STEP_PX, move[1] * STEP_PX)));
      marker.setLatLng(next);
      chosen(next);
    });
  }

  // The homeowner put the pin somewhere: remember it in the form.
  function chosen(latlng) {
    lat.value = latlng.lat.toFixed(6);
    lon.value = latlng.lng.toFixed(6);
    box.dataset.moved = "true";
    const away = centre ? L.latLng(centre.lat, centre.lon).distanceTo(latlng) / 1000 : 0;
    if (away > config.max_km) {
      say(fill(config.labels.far, { km: config.max_km }));
    } else {
      say(fill(config.labels.moved, { lat: fmt.format(latlng.lat), lon: fmt.format(latlng.lng) }));
    }
  }

  function forget() {
    lat.value = "";
    lon.value = "";
    delete box.dataset.moved;
  }

  function show(found, keepPin) {
    centre = found;
    box.hidden = false;
    const pinned = keepPin && lat.value && lon.value;
    const where = pinned ? L.latLng(Number(lat.value), Number(lon.value)) : L.latLng(found.lat, found.lon);
    if (!map) buildMap(where);
    map.invalidateSize();
    map.setView(where, 16);
    marker.setLatLng(where);
    if (pinned) {
      chosen(where);
    } else {
      forget();
      say(fill(config.labels.centre, { code: found.postal_code, place: found.place }));
    }
  }

  async function lookup(keepPin) {
    const code = (postal.value || "").trim();
    if (!/^\d{5}$/.test(code)) return;
    const place = (city.value || "").trim();
    const key = `${code}|${place}`;
    if (key === looked) return;
    const sameCode = looked.split("|")[0] === code;
    looked = key;
    let response;
    try {
      const query = place ? `?${new URLSearchParams({ ort: place })}` : "";
      response = await fetch(config.lookup.replace("00000", code) + query, {
        headers: { Accept: "application/json" }, credentials: "same-origin",
      });
    } catch (_error) {
      return; // offline: the form still works with the postal code alone
    }
    // An unknown postal code, or a known one where no member works (yet): say which.
    const found = response.ok ? await response.json() : null;
    if (!found || found.served === false) {
      box.hidden = true;
      forget();
      say("");
      const hint = document.getElementById("pin-unknown") || document.createElement("p");
      hint.id = "pin-unknown";
      hint.className = "muted";
      hint.setAttribute("role", "status");
      hint.textContent = found
        ? fill(config.labels.outside, { code: found.postal_code, place: found.place })
        : config.labels.unknown;
      box.before(hint);
      return;
    }
    document.getElementById("pin-unknown")?.remove();
    // The place is known from the code: filled in, never over what the homeowner typed.
    if (!city.value.trim() && found.place) city.value = found.place;
    // A pin the homeowner placed stays when only the town's spelling changed.
    show(found, keepPin || (sameCode && box.dataset.moved === "true"));
  }

  let timer = null;
  function later() {
    window.clearTimeout(timer);
    timer = window.setTimeout(() => lookup(false), 250);
  }
  postal.addEventListener("input", later);
  postal.addEventListener("change", later);
  city.addEventListener("change", later);

  document.getElementById("pin-here").addEventListener("click", () => {
    if (!map) return;
    const here = map.getCenter();
    marker.setLatLng(here);
    chosen(here);
  });
  document.getElementById("pin-reset").addEventListener("click", () => {
    if (!centre) return;
    const back = L.latLng(centre.lat, centre.lon);
    map.setView(back, 16);
    marker.setLatLng(back);
    forget();
    say(fill(config.labels.centre, { code: centre.postal_code, place: centre.place }));
  });

  // Shown again after the server refused the form: keep the pin the homeowner had placed.
  lookup(true);
})();
