// The make dev-only panels: pub/sub events as they are emitted (a Server-Sent Events stream of
// what `/_local/events` holds), the pending schedules, and the table's items of one channel.

import { eventStream, schedules, tableItems } from "./backend.js";
import { $, $$, clock, compact, duration, el, every, pretty, say } from "./dom.js";

function eventsPanel() {
  const list = $("#pubsub-events");
  let count = 0;
  const visible = (entry) => {
    const wanted = $("#event-filter").value.trim().toLowerCase();
    return !wanted || entry.textContent.toLowerCase().includes(wanted);
  };
  $("#event-filter").addEventListener("input", () => {
    for (const entry of $$("li", list)) entry.hidden = !visible(entry);
  });
  const stream = eventStream();
  stream.onopen = () => say($("#event-stream-state"), "streaming");
  stream.onerror = () => say($("#event-stream-state"), "reconnecting…", "error");
  stream.onmessage = (message) => {
    const envelope = JSON.parse(message.data);
    const data = envelope?.data ?? {};
    const entry = el("li", { class: "frame", "data-type": envelope?.type ?? "" },
      el("time", {}, clock()),
      el("strong", { class: "event" }, envelope?.type ?? "?"),
      el("span", { class: "frame-channel" }, data.channel ?? data.name ?? ""),
      el("pre", { class: "json" }, pretty(envelope)));
    entry.hidden = !visible(entry);
    list.prepend(entry);
    count += 1;
    $("#event-count").textContent = String(count);
  };
}

function describe(input) {
  const request = input?.request ?? {};
  if (input?.kind === "storageSet") {
    return `${request.channel} storage ${request.key} = ${compact(request.data)}`;
  }
  return `${request.channel} ${request.event ?? ""} ${compact(request.data)}`.trim();
}

function schedulesPanel() {
  let pending = [];
  const render = () => {
    const now = Date.now();
    $("#schedules").replaceChildren(...pending.map((schedule) => {
      const at = schedule.firesAt ? Date.parse(schedule.firesAt) : null;
      const when = at === null ? schedule.expression
        : at > now ? `in ${duration((at - now) / 1000)}` : "due";
      return el("tr", { "data-name": schedule.name },
        el("td", { title: schedule.expression }, when),
        el("td", {}, schedule.input?.kind ?? "?"),
        el("td", {}, el("code", {}, describe(schedule.input))));
    }));
    $("#schedule-count").textContent = String(pending.length);
  };
  every(1000, async () => {
    try {
      pending = await schedules();
    } catch {
      pending = [];
    }
    render();
  });
}

function tablePanel() {
  const load = async () => {
    const channel = $("#table-channel").value.trim();
    if (!channel) return;
    try {
      const { items, table } = await tableItems(channel);
      const now = Date.now() / 1000;
      $("#table-items").replaceChildren(...items.map((item) => {
        const { pk, sk, expiresAt, ...rest } = item;
        const expires = typeof expiresAt === "number"
          ? (expiresAt > now ? `in ${duration(expiresAt - now)}` : "expired") : "never";
        return el("tr", { "data-sk": sk },
          el("td", {}, el("code", {}, sk)),
          el("td", {}, expires),
          el("td", {}, el("pre", { class: "json" }, pretty(rest))));
      }));
      say($("#table-result"), `${items.length} item(s) of chan#${channel} in ${table}`);
    } catch (error) {
      say($("#table-result"), error.message, "error");
    }
  };
  $("#table-load").addEventListener("click", load);
  every(1000, () => {
    if ($("#table-follow").checked) load();
  });
}

export function localPanels() {
  eventsPanel();
  schedulesPanel();
  tablePanel();
}
