// Channels panel: subscribe (optionally with a subscribe token) and unsubscribe; each channel's
// state, its presence members live with their umd, and umdUpdate over the WebSocket or HTTP
// (with make dev, from a umd typed as JSON: the console mints the umd token itself).

import { mintToken } from "./backend.js";
import { $, compact, el, parseStrict, say } from "./dom.js";

function memberItems(channel) {
  return channel.members.map((member) =>
    el("li", { "data-uid": member.uid },
      el("strong", {}, member.uid),
      el("code", { class: "umd" }, compact(member.umd))));
}

async function umdToken(session, section, channel) {
  const pasted = $(".umd-token", section).value.trim();
  if (pasted || !session.mode.local) return pasted;
  const umd = parseStrict($(".umd-json", section).value || "null", "the umd");
  const client = session.client;
  const claims = { uid: client.uid, umd, channels: { [channel.realName]: { umdUpdate: true } } };
  return (await mintToken(claims, "umd", 600)).token;
}

function channelSection(session, channel) {
  const result = el("output", { class: "channel-result" });
  const section = el("section", { class: "channel", "data-channel": channel.name },
    el("header", {},
      el("strong", { class: "name" }, channel.name),
      el("span", { class: "badge channel-state", "data-state": channel.state }, channel.state),
      el("button", { class: "quiet unsubscribe", onclick: () => channel.unsubscribe() },
        "Unsubscribe"),
      el("button", { class: "quiet resubscribe", onclick: () => channel.subscribe() },
        "Subscribe")),
    el("ul", { class: "members" }),
    el("div", { class: "row umd" },
      session.mode.local
        ? el("input", { class: "umd-json", placeholder: 'new umd, e.g. {"status":"away"}' })
        : null,
      el("input", { class: "umd-token", placeholder: "umd token" }),
      el("button", { class: "quiet umd-ws" }, "umdUpdate"),
      el("button", { class: "quiet umd-http" }, "over HTTP")),
    result);
  const send = async (overHttp) => {
    try {
      const token = await umdToken(session, section, channel);
      if (overHttp) {
        await session.client.http.umdUpdate({ token, channel: channel.realName });
      } else {
        channel.umdUpdate(token);
      }
      say(result, `umdUpdate sent${overHttp ? " over HTTP" : ""}`);
    } catch (error) {
      say(result, `${error.code ?? "error"}: ${error.message}`, "error");
    }
  };
  $(".umd-ws", section).addEventListener("click", () => send(false));
  $(".umd-http", section).addEventListener("click", () => send(true));
  return section;
}

function render(section, channel) {
  const state = $(".channel-state", section);
  state.textContent = channel.error && channel.state === "failed"
    ? `failed: ${channel.error.code}` : channel.state;
  state.dataset.state = channel.state;
  section.dataset.state = channel.state;
  $(".unsubscribe", section).hidden = channel.state !== "subscribed";
  $(".resubscribe", section).hidden = channel.state !== "none" && channel.state !== "failed";
  $(".members", section).replaceChildren(...memberItems(channel));
}

export function channelsPanel(session) {
  const list = $("#channel-list");
  const watched = new WeakSet();
  const watch = (channel) => {
    if (watched.has(channel)) return;
    watched.add(channel);
    const section = channelSection(session, channel);
    list.append(section);
    render(section, channel);
    for (const name of ["state", "members", "subscribed", "unsubscribed", "error"]) {
      channel.on(name, () => render(section, channel));
    }
    session.knowChannels([channel.name]);
  };

  session.on("client", (client) => {
    list.replaceChildren();
    client.on("channel", watch);
  });

  $("#subscribe-form").addEventListener("submit", (event) => {
    event.preventDefault();
    const client = session.client;
    if (!client) return;
    const name = $("#subscribe-channel").value.trim();
    const token = $("#subscribe-token").value.trim();
    const channel = client.subscribe(name, token ? { subscribeToken: token } : undefined);
    watch(channel);
    for (const id of ["#publish-channel", "#storage-channel", "#history-channel", "#table-channel"]) {
      if (!$(id).value) $(id).value = name;
    }
    $("#storage-channel").dispatchEvent(new Event("change"));
  });
}
