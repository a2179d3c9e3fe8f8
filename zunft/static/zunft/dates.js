// Dates as the server writes them (zunft.core.language.DAY_FORMATS):
// "Mon 7 Dec 2026", "7 Dec 2026, 09:00". Intl's en-GB would write "Mon 07/12", or
// "Mon, 7 Dec 2026" with "Sept" for September, next to the server's "Mon 7 Dec 2026".
(function () {
  "use strict";
  const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
  const parts = new Intl.DateTimeFormat("en-GB", {
    weekday: "short", day: "numeric", month: "numeric", year: "numeric",
    hour: "2-digit", minute: "2-digit", hourCycle: "h23", timeZone: "Europe/Berlin",
  });

  function english(when, { weekday = false, year = true, time = false } = {}) {
    const p = Object.fromEntries(parts.formatToParts(when).map((part) => [part.type, part.value]));
    let text = `${p.day} ${MONTHS[Number(p.month) - 1]}`;
    if (weekday) text = `${p.weekday} ${text}`;
    if (year) text += ` ${p.year}`;
    if (time) text += `, ${p.hour}:${p.minute}`;
    return text;
  }

  // German pages likewise: "Do 31.12.2026", "Do 31.12." (Django's "D d.m.Y"; Intl says "Do., 31.12.").
  const WEEKDAYS_DE = { Mon: "Mo", Tue: "Di", Wed: "Mi", Thu: "Do", Fri: "Fr", Sat: "Sa", Sun: "So" };
  function german(when, { weekday = false, year = true, time = false } = {}) {
    const p = Object.fromEntries(parts.formatToParts(when).map((part) => [part.type, part.value]));
    let text = `${p.day.padStart(2, "0")}.${p.month.padStart(2, "0")}.`;
    if (year) text += p.year;
    if (weekday) text = `${WEEKDAYS_DE[p.weekday]} ${text}`;
    if (time) text += ` ${p.hour}:${p.minute}`;
    return text;
  }

  window.ZunftDates = { english, german };
})();
