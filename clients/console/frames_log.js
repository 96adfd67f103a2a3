// The frames log: every frame in and out of the WebSocket and every Client HTTP API call,
// with its time and pretty JSON, newest first, filtered by direction, text and noise.

import { $, $$, clock, el, pretty } from "./dom.js";

const NOISE = new Set(["hotsock.ping", "hotsock.pong", "hotsock.keepAlive", "hotsock.heartbeat"]);
const ARROWS = { in: "⇐ in", out: "⇒ out", http: "⇄ HTTP" };
const KEEP = 1000;

function label(direction, payload) {
  if (direction === "http") return payload.request ?? payload.response ?? "";
  return payload?.event ?? "(no event)";
}

function visible(entry) {
  if (!$(`#show-${entry.dataset.direction}`).checked) return false;
  if ($("#hide-noise").checked && NOISE.has(entry.dataset.event)) return false;
  const wanted = $("#frame-filter").value.trim().toLowerCase();
  return !wanted || entry.textContent.toLowerCase().includes(wanted);
}

function refilter() {
  for (const entry of $$("#frames > li")) entry.hidden = !visible(entry);
}

export function framesLog() {
  const list = $("#frames");
  let count = 0;
  for (const id of ["#frame-filter", "#show-in", "#show-out", "#show-http", "#hide-noise"]) {
    $(id).addEventListener("input", refilter);
  }
  $("#frames-clear").addEventListener("click", () => {
    list.replaceChildren();
    count = 0;
    $("#frame-count").textContent = "0";
  });
  return (direction, payload) => {
    const name = label(direction, payload);
    const entry = el(
      "li",
      {
        class: "frame",
        "data-direction": direction,
        "data-event": direction === "http" ? "" : name,
        "data-channel": payload?.channel ?? payload?.body?.channel ?? "",
      },
      el("time", {}, clock()),
      el("span", { class: "direction" }, ARROWS[direction]),
      el("strong", { class: "event" }, name),
      el("span", { class: "frame-channel" }, payload?.channel ?? payload?.body?.channel ?? ""),
      el("pre", { class: "json" }, pretty(payload)),
    );
    entry.hidden = !visible(entry);
    list.prepend(entry);
    while (list.children.length > KEEP) list.lastElementChild.remove();
    count += 1;
    $("#frame-count").textContent = String(count);
  };
}
