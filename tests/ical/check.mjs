// Reads an .ics file with two independent iCalendar parsers and prints what each understood:
//   node tests/ical/check.mjs feed.ics
//   -> {"node-ical": [{uid, start_utc, end_utc, status, sequence}, ...], "ical.js": [...]}
// ical.js is Thunderbird's parser: it knows no time zones except the feed's own VTIMEZONEs, so it
// shows whether those are right. Used by tests/test_feeds.py.
import { readFileSync } from "node:fs";

import ICAL from "ical.js";
import nodeIcal from "node-ical";

const utc = (date) => date.toISOString().replace(/\.000Z$/, "Z");
const byUid = (a, b) => a.uid.localeCompare(b.uid);

function withNodeIcal(text) {
  return Object.values(nodeIcal.sync.parseICS(text))
    .filter((item) => item.type === "VEVENT")
    .map((event) => ({
      uid: event.uid,
      start_utc: utc(event.start),
      end_utc: utc(event.end),
      status: event.status ?? null,
      sequence: event.sequence === undefined ? null : Number(event.sequence),
    }))
    .sort(byUid);
}

function withIcalJs(text) {
  const calendar = new ICAL.Component(ICAL.parse(text));
  for (const vtimezone of calendar.getAllSubcomponents("vtimezone")) {
    ICAL.TimezoneService.register(new ICAL.Timezone(vtimezone));
  }
  return calendar
    .getAllSubcomponents("vevent")
    .map((vevent) => {
      const event = new ICAL.Event(vevent);
      return {
        uid: event.uid,
        start_utc: utc(event.startDate.toJSDate()),
        end_utc: utc(event.endDate.toJSDate()),
        status: vevent.getFirstPropertyValue("status"),
        sequence: event.sequence,
      };
    })
    .sort(byUid);
}

const text = readFileSync(process.argv[2], "utf8");
console.log(JSON.stringify({ "node-ical": withNodeIcal(text), "ical.js": withIcalJs(text) }));
