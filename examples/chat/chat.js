// The Opensock chat demo: one room, on top of opensock.js. What each feature uses:
// - who is here, and their status: the presence channel's members, kept live by the client;
//   "away" and "typing" are umd updates with tokens from the backend;
// - room settings: the channel storage key "settings", received by everyone who joins;
// - messages: client publishes of "chat" (stored, echoed), the history from
//   connection/listMessages on join and reload, and reactions with their counts;
// - the poll: storage key "poll", one vote per user under "vote.<uid>", closed by a storage
//   write scheduled for its closing time (the server makes it, even if nobody is online).

import { OpensockClient } from "/clients/js/opensock.js";

const REACTIONS = ["❤️", "👍", "😂", "🎉"];
const TYPING_IDLE_MS = 2500;
const $ = (selector) => document.querySelector(selector);

function el(tag, attributes = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value === undefined || value === null || value === false) continue;
    if (name.startsWith("on")) node.addEventListener(name.slice(2), value);
    else node.setAttribute(name, value === true ? "" : String(value));
  }
  node.append(...children.filter((child) => child !== null && child !== undefined));
  return node;
}

async function api(action, body) {
  const response = await fetch(`/examples/chat/api/${action}`, {
    method: "POST",
    body: JSON.stringify(body),
  });
  if (!response.ok) throw new Error(await response.text());
  return response.json();
}

const chat = {
  name: "",
  room: "",
  uid: "",
  client: null,
  channel: null,
  status: "online", // what the user picked
  shown: "online", // what the room sees (typing while typing)
  typingTimer: null,
  messages: new Map(), // id -> message
  mine: new Map(), // message id -> Set of my reactions
};

// --- presence -------------------------------------------------------------------------------

function renderMembers() {
  const members = [...chat.channel.members].sort((a, b) =>
    a.uid === chat.uid ? -1 : b.uid === chat.uid ? 1 : a.uid.localeCompare(b.uid));
  $("#members").replaceChildren(...members.map(({ uid, umd }) => {
    const status = umd?.status ?? "online";
    return el("li", { "data-uid": uid, "data-status": status },
      el("span", { class: "dot" }),
      el("span", { class: "name" }, `${umd?.name ?? uid}${uid === chat.uid ? " (you)" : ""}`),
      el("span", { class: "status" }, status === "typing" ? "typing…" : status));
  }));
}

async function showStatus(status) {
  if (status === chat.shown) return;
  chat.shown = status;
  try {
    const { token } = await api("status", { name: chat.name, room: chat.room, status });
    chat.channel.umdUpdate(token);
  } catch {
    chat.shown = null; // not connected: try again on the next change
  }
}

function typing() {
  showStatus("typing");
  clearTimeout(chat.typingTimer);
  chat.typingTimer = setTimeout(() => showStatus(chat.status), TYPING_IDLE_MS);
}

// --- room settings and the poll (channel storage) ------------------------------------------

function renderSettings() {
  const settings = chat.channel.storage.settings?.data ?? {};
  $("#room-topic").textContent = settings.topic ? `#${chat.room} · ${settings.topic}` : `#${chat.room}`;
  document.body.dataset.color = settings.color ?? "indigo";
  if (document.activeElement !== $("#settings-topic")) $("#settings-topic").value = settings.topic ?? "";
  $("#settings-color").value = settings.color ?? "indigo";
}

function votes(poll) {
  const counts = poll.options.map(() => 0);
  let mine = null;
  for (const [key, entry] of Object.entries(chat.channel.storage)) {
    if (!key.startsWith("vote.") || entry.data?.poll !== poll.id) continue;
    const option = entry.data.option;
    if (option >= 0 && option < counts.length) counts[option] += 1;
    if (key === `vote.${chat.uid}`) mine = option;
  }
  return { counts, mine };
}

function renderPoll() {
  const poll = chat.channel.storage.poll?.data;
  const node = $("#poll");
  if (!poll) {
    node.dataset.state = "none";
    node.replaceChildren(el("p", { class: "note" }, "No poll yet."));
    return;
  }
  const { counts, mine } = votes(poll);
  const total = counts.reduce((a, b) => a + b, 0) || 1;
  const left = Math.max(0, Math.ceil((Date.parse(poll.closesAt) - Date.now()) / 1000));
  node.dataset.state = poll.closed ? "closed" : "open";
  node.replaceChildren(
    el("p", { class: "question" }, poll.question),
    el("ol", {}, ...poll.options.map((option, index) => el("li", { "data-option": index },
      el("button", {
        disabled: poll.closed || mine === index,
        onclick: () => chat.channel.setStorage(`vote.${chat.uid}`, { poll: poll.id, option: index }),
      }, option),
      el("span", { class: "bar" }, el("span", { style: `width:${(100 * counts[index]) / total}%` })),
      el("span", { class: "count" }, String(counts[index]))))),
    el("p", { class: "closes" }, poll.closed ? "Poll closed"
      : left > 0 ? `closes in ${minutes(left)} (by ${poll.by})` : "closing…"),
  );
}

function minutes(seconds) {
  const m = Math.floor(seconds / 60);
  return m ? `${m} min ${String(seconds % 60).padStart(2, "0")} s` : `${seconds} s`;
}

function startPoll(question, options, seconds) {
  const closesAt = new Date(Math.ceil(Date.now() / 1000 + seconds) * 1000);
  const iso = closesAt.toISOString(); // UTC, e.g. 2026-12-06T12:00:00.000Z
  const poll = { id: iso + chat.uid, question, options, closesAt: iso, closed: false, by: chat.name };
  chat.channel.setStorage("poll", poll);
  // The close is the server's job: a storage write scheduled for the closing time.
  chat.channel.setStorage("poll", { ...poll, closed: true }, {
    scheduleExpression: `at(${iso.slice(0, 19)})`,
    scheduleExpressionTimezone: "UTC",
  });
}

// --- messages, history and reactions --------------------------------------------------------

function reactionButtons(id) {
  const counts = chat.channel.reactions(id);
  const mine = chat.mine.get(id) ?? new Set();
  return REACTIONS.map((reaction) => el("button", {
    class: "reaction",
    "data-reaction": reaction,
    "data-count": counts[reaction] ?? 0,
    "data-mine": mine.has(reaction),
    title: mine.has(reaction) ? "remove your reaction" : "react",
    onclick: () => chat.channel.react(id, reaction, mine.has(reaction) ? "remove" : "add"),
  }, counts[reaction] ? `${reaction} ${counts[reaction]}` : reaction));
}

function messageItem(message) {
  const sender = message.meta?.uid ?? "";
  const time = new Date(parseUlidTime(message.id)).toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });
  return el("li", { class: "message", "data-id": message.id, "data-sender": sender,
    "data-mine": sender === chat.uid },
    el("span", { class: "who" }, message.meta?.umd?.name ?? sender ?? "server",
      el("span", { class: "when" }, time)),
    el("span", { class: "text" }, String(message.data?.text ?? "")),
    el("span", { class: "reactions" }, ...reactionButtons(message.id)));
}

function parseUlidTime(id) {
  const alphabet = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
  return [...id.slice(0, 10)].reduce((time, char) => time * 32 + alphabet.indexOf(char), 0);
}

function renderMessages() {
  const list = $("#messages");
  const ordered = [...chat.messages.values()].sort((a, b) => (a.id < b.id ? -1 : 1));
  list.replaceChildren(...ordered.map(messageItem));
  list.scrollTop = list.scrollHeight;
}

function addMessage(message) {
  if (message.event !== "chat" || typeof message.id !== "string") return;
  chat.messages.set(message.id, message);
  renderMessages();
}

function noteMine(messageId, reaction, uid, added) {
  if (uid !== chat.uid) return;
  const mine = chat.mine.get(messageId) ?? new Set();
  if (added) mine.add(reaction);
  else mine.delete(reaction);
  chat.mine.set(messageId, mine);
}

async function loadHistory() {
  const { messages } = await chat.client.http.listMessages({
    channel: chat.channel.realName,
    reverse: true,
    expandReactions: true,
  });
  for (const message of messages) {
    chat.messages.set(message.id, message);
    chat.channel.setReactions(message.id, message.reactions ?? {});
    chat.mine.set(message.id, new Set());
    for (const [reaction, { items = [] }] of Object.entries(message.reactions ?? {})) {
      for (const item of items) noteMine(message.id, reaction, item.uid, true);
    }
  }
  renderMessages();
}

// --- joining ------------------------------------------------------------------------------

async function join(name, room) {
  const session = await api("session", { name, room });
  Object.assign(chat, { name, room, uid: session.uid });
  history.replaceState(null, "", `?${new URLSearchParams({ name, room })}`);
  $("#me").textContent = `${name} ·`;
  chat.client = new OpensockClient(session.wsUrl, {
    // A fresh token for every connection attempt, as a backend-backed app does.
    connectTokenFn: async () => (await api("session", { name, room })).token,
    httpApiUrl: session.httpApiUrl,
  });
  chat.client.on("state", ({ state }) => {
    $("#connection").textContent = state;
    $("#connection").dataset.state = state;
    if (state === "connected") chat.shown = "online";
  });
  const channel = chat.client.subscribe(session.channel);
  chat.channel = channel;
  channel.on("members", renderMembers);
  channel.on("storage", () => {
    renderSettings();
    renderPoll();
  });
  channel.on("message", addMessage);
  channel.on("reactions", ({ messageId, reaction, action, meta }) => {
    noteMine(messageId, reaction, meta?.uid, action === "add");
    renderMessages();
  });
  channel.on("subscribed", () => {
    loadHistory();
    if (chat.status !== "online") showStatus(chat.status);
  });
  document.body.dataset.view = "chat";
  renderSettings();
  setInterval(renderPoll, 1000);
}

$("#join").addEventListener("submit", async (event) => {
  event.preventDefault();
  try {
    await join($("#join-name").value.trim(), $("#join-room").value.trim());
  } catch (error) {
    $("#join-error").textContent = error.message;
  }
});

$("#composer").addEventListener("submit", (event) => {
  event.preventDefault();
  const text = $("#message").value.trim();
  if (!text) return;
  chat.channel.publish("chat", { text });
  $("#message").value = "";
  clearTimeout(chat.typingTimer);
  showStatus(chat.status);
});
$("#message").addEventListener("input", typing);

$("#my-status").addEventListener("change", () => {
  chat.status = $("#my-status").value;
  showStatus(chat.status);
});

$("#settings").addEventListener("submit", (event) => {
  event.preventDefault();
  chat.channel.setStorage("settings", {
    topic: $("#settings-topic").value.trim(),
    color: $("#settings-color").value,
  });
});

$("#poll-form").addEventListener("submit", (event) => {
  event.preventDefault();
  const options = $("#poll-options").value.split(",").map((o) => o.trim()).filter(Boolean);
  const seconds = Math.max(2, Number($("#poll-seconds").value) || 60);
  startPoll($("#poll-question").value.trim(), options.length ? options : ["yes", "no"], seconds);
});

const query = new URLSearchParams(location.search);
if (query.get("name") && query.get("room")) {
  $("#join-name").value = query.get("name");
  $("#join-room").value = query.get("room");
  join(query.get("name"), query.get("room"));
}
document.body.dataset.ready = "true";
