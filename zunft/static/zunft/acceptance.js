// The Abnahme form: a signature pad, defects per part, sent as JSON to the API.
(function () {
  "use strict";
  const form = document.getElementById("acceptance-form");
  if (!form) return;
  const canvas = document.getElementById("signature-pad");
  const error = document.getElementById("acceptance-error");
  const ctx = canvas.getContext("2d");
  const ratio = window.devicePixelRatio || 1;
  canvas.width = canvas.clientWidth * ratio;
  canvas.height = canvas.clientHeight * ratio;
  ctx.scale(ratio, ratio);
  ctx.lineWidth = 2.5;
  ctx.lineCap = "round";
  let last = null;
  const point = (e) => { const r = canvas.getBoundingClientRect(); return [e.clientX - r.left, e.clientY - r.top]; };
  canvas.addEventListener("pointerdown", (e) => {
    canvas.setPointerCapture(e.pointerId);
    last = point(e);
    error.hidden = true; // "the signature is empty" no longer holds once she signs
  });
  canvas.addEventListener("pointermove", (e) => {
    if (!last) return;
    const p = point(e);
    ctx.beginPath(); ctx.moveTo(...last); ctx.lineTo(...p); ctx.stroke();
    last = p;
  });
  ["pointerup", "pointercancel", "pointerleave"].forEach((t) => canvas.addEventListener(t, () => { last = null; }));
  document.getElementById("signature-clear").addEventListener("click", () => ctx.clearRect(0, 0, canvas.width, canvas.height));
  // Without a pointer (keyboard, screen reader) the typed name, written into the field, is the
  // signature: an Abnahme needs no handwriting, only a clear declaration by its signer.
  const typed = document.getElementById("signature-typed");
  typed.addEventListener("click", () => {
    const name = document.getElementById("signer").value.trim();
    if (!name) {
      error.hidden = false;
      error.textContent = typed.dataset.empty;
      document.getElementById("signer").focus();
      return;
    }
    ctx.clearRect(0, 0, canvas.width, canvas.height);
    const height = canvas.clientHeight;
    ctx.font = `italic ${Math.round(height / 3)}px serif`;
    ctx.textBaseline = "middle";
    ctx.fillText(name, 12, height / 2, canvas.clientWidth - 24);
    error.hidden = true;
  });

  const csrf = () => (document.cookie.match(/csrftoken=([^;]+)/) || [])[1] || "";
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const defects = [...form.querySelectorAll("textarea[data-task]")]
      .filter((t) => t.value.trim())
      .map((t) => ({ task: Number(t.dataset.task), description: t.value.trim() }));
    const response = await fetch(form.dataset.url, {
      method: "POST",
      credentials: "same-origin",
      headers: {
        "Content-Type": "application/json",
        "X-CSRFToken": csrf(),
        "X-Language": document.documentElement.lang, // its refusals in the page's language
      },
      body: JSON.stringify({
        approved: defects.length === 0,
        signer_name: document.getElementById("signer").value,
        signature_png: canvas.toDataURL("image/png"),
        defects,
      }),
    });
    if (response.ok) { location.reload(); return; }
    const body = await response.json().catch(() => ({}));
    error.hidden = false;
    error.textContent = Array.isArray(body.detail) ? body.detail.map((d) => d.msg).join(" ") : body.detail;
  });
})();
