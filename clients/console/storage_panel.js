// Storage panel: the live entries of one channel (kept by the client from the observe
// snapshot and updates) with their meta and a TTL countdown, and set/get/clear.
//
// The wire never carries an entry's expiry, and observers get no frame when it passes
// (PROTOCOL §11.5). With make dev the console reads each entry's `expiresAt` from the table
// and takes the entry off the list when its countdown ends; deployed, the TTL is not shown.

import { tableItems } from "./backend.js";
import { $, compact, duration, el, every, parseLoose, say } from "./dom.js";

const STORAGE_SK = "storage#";

export function storagePanel(session) {
  let expiries = new Map(); // key -> expiresAt (epoch s) of the entry shown
  let listed = null; // entries from channelStorageList when the channel is not observed
  const current = () => {
    const name = $("#storage-channel").value.trim();
    return name && session.client ? session.client.channel(name) : null;
  };

  const refreshExpiries = async () => {
    const channel = current();
    if (!channel || !session.mode.local) return;
    const { items } = await tableItems(channel.realName);
    expiries = new Map(items
      .filter((item) => item.sk.startsWith(STORAGE_SK) && typeof item.expiresAt === "number")
      .map((item) => [item.sk.slice(STORAGE_SK.length), item.expiresAt]));
    render();
  };

  const entries = () => {
    const channel = current();
    if (!channel) return [];
    const live = Object.entries(channel.storage);
    return live.length || !listed ? live : listed;
  };

  const render = () => {
    const now = Date.now() / 1000;
    const rows = entries()
      .filter(([key]) => !(expiries.has(key) && expiries.get(key) <= now))
      .map(([key, entry]) => {
        const expiresAt = expiries.get(key);
        const ttl = !session.mode.local ? "not on the wire"
          : expiresAt === undefined ? "never" : duration(expiresAt - now);
        return el("tr", { "data-key": key },
          el("td", { class: "key" }, key),
          el("td", { class: "data" }, el("code", {}, compact(entry.data))),
          el("td", { class: "meta" }, el("code", {}, compact(entry.meta))),
          el("td", { class: "ttl", "data-expires-at": expiresAt ?? "" }, ttl));
      });
    $("#storage-entries").replaceChildren(...rows);
  };

  const watched = new WeakSet();
  const select = () => {
    listed = null;
    const channel = current();
    if (channel && !watched.has(channel)) {
      watched.add(channel);
      channel.on("storage", () => {
        if (channel === current()) refreshExpiries();
        render();
      });
    }
    refreshExpiries();
    render();
  };
  $("#storage-channel").addEventListener("change", select);
  session.on("client", () => {
    expiries = new Map();
    render();
  });

  $("#storage-list").addEventListener("click", async () => {
    const channel = current();
    if (!channel) return;
    try {
      const { items } = await session.client.http.channelStorageList({ channel: channel.name });
      listed = items.map((item) => [item.key, { data: item.data, meta: item.meta }]);
      say($("#storage-result"), `${items.length} entr${items.length === 1 ? "y" : "ies"} listed`);
      await refreshExpiries();
    } catch (error) {
      say($("#storage-result"), `${error.code}: ${error.message}`, "error");
    }
  });

  $("#storage-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const channel = current();
    const key = $("#storage-key").value.trim();
    const result = $("#storage-result");
    try {
      if (!channel) throw new Error("pick a channel");
      const action = event.submitter?.value;
      if (action === "get") {
        const { data, meta } = await channel.getStorage(key);
        say(result, `${key} = ${compact(data)} (meta ${compact(meta)})`);
      } else {
        const data = action === "clear" ? null : parseLoose($("#storage-data").value) ?? null;
        channel.setStorage(key, data);
        say(result, action === "clear" ? `cleared ${key}` : `set ${key}`);
      }
    } catch (error) {
      say(result, `${error.code ?? "error"}: ${error.message}`, "error");
    }
  });

  every(250, render);
}
