// Messages panel: publish over the WebSocket or over the Client HTTP API (optionally
// scheduled), and the channel's history (`connection/listMessages`) a page at a time, with
// reaction counts and reaction buttons, where the server provides them.

import { $, compact, el, parseLoose, say } from "./dom.js";

const REACTIONS = ["❤️", "👍", "😂"];

function publishRequest() {
  const request = {
    channel: $("#publish-channel").value.trim(),
    event: $("#publish-event").value.trim(),
  };
  const data = parseLoose($("#publish-data").value);
  if (data !== undefined) request.data = data;
  const schedule = $("#publish-schedule").value.trim();
  if (schedule) request.scheduleExpression = schedule;
  return request;
}

function reactionButtons(session, channel, message) {
  const counts = channel.reactions(message.id);
  return REACTIONS.map((reaction) =>
    el("button", {
      class: "reaction quiet",
      "data-reaction": reaction,
      onclick: () => {
        try {
          channel.react(message.id, reaction);
        } catch (error) {
          say($("#history-result"), `${error.code}: ${error.message}`, "error");
        }
      },
    }, `${reaction} ${counts[reaction] ?? ""}`.trim()));
}

export function messagesPanel(session) {
  let page = null; // {channel, lastId, messages}

  $("#publish-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const client = session.client;
    const result = $("#publish-result");
    const request = publishRequest();
    try {
      if (!client) throw new Error("connect first");
      if (event.submitter?.value === "http") {
        const answer = await client.http.publishMessage(request);
        say(result, `202 ${compact(answer)}`);
      } else {
        const { channel, event: name, data, ...schedule } = request;
        client.publish(channel, name, data, schedule);
        say(result, "sent (the WebSocket path has no acknowledgement)");
      }
    } catch (error) {
      say(result, `${error.status ?? ""} ${error.code ?? "error"}: ${error.message}`.trim(), "error");
    }
  });

  const render = () => {
    if (page === null) return;
    const channel = session.client.channel(page.channel);
    $("#history").replaceChildren(...page.messages.map((message) =>
      el("li", { "data-id": message.id, "data-event": message.event },
        el("code", { class: "id" }, message.id),
        el("strong", {}, message.event),
        el("span", { class: "sender" }, message.meta?.uid ?? "server"),
        el("code", { class: "data" }, compact(message.data)),
        el("span", { class: "reactions" }, reactionButtons(session, channel, message)))));
  };

  const load = async (more) => {
    const client = session.client;
    const name = $("#history-channel").value.trim();
    if (!client || !name) return;
    const body = { channel: name };
    if (more && page?.lastId) body.after = page.lastId;
    try {
      const { messages } = await client.http.listMessages(body);
      const channel = client.channel(name);
      for (const message of messages) {
        if (message.reactions) channel.setReactions(message.id, message.reactions);
      }
      const previous = more && page?.channel === name ? page.messages : [];
      page = { channel: name, messages: [...previous, ...messages], lastId: messages.at(-1)?.id };
      if (!channel._consoleWatched) {
        channel._consoleWatched = true;
        channel.on("reactions", render);
      }
      $("#history-more").disabled = messages.length < 100;
      say($("#history-result"), `${page.messages.length} message(s)`);
      render();
    } catch (error) {
      const missing = error.code === "NOT_FOUND";
      say($("#history-result"), missing ? "history is not available on this server"
        : `${error.code}: ${error.message}`, "error");
    }
  };
  $("#history-load").addEventListener("click", () => load(false));
  $("#history-more").addEventListener("click", () => load(true));
  session.on("client", () => {
    page = null;
    $("#history").replaceChildren();
  });
}
