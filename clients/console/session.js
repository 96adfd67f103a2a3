// The console's shared state: the mode, the current client, the token, and the known channels.
// Panels listen to `session.on(name, fn)`: `client` (a new OpensockClient), `token`
// (the token field changed), `channels` (the set of known channel names changed).

import { OpensockClient, decodeTokenPayload } from "/clients/js/opensock.js";
import { el } from "./dom.js";

export class Session extends EventTarget {
  constructor(mode, log) {
    super();
    this.mode = mode;
    this.log = log; // (direction, payload) => void, the frames log
    this.client = null;
    this.token = "";
    this.claims = null;
    this.channelNames = new Set();
  }

  on(name, fn) {
    const listener = (event) => fn(event.detail);
    this.addEventListener(name, listener);
    return () => this.removeEventListener(name, listener);
  }

  emit(name, detail) {
    this.dispatchEvent(new CustomEvent(name, { detail }));
  }

  setToken(token) {
    this.token = token.trim();
    this.claims = decodeTokenPayload(this.token);
    this.emit("token", { token: this.token, claims: this.claims });
  }

  /** A new client for the current token (the previous one is closed for good). */
  connect({ heartbeatIntervalSeconds } = {}) {
    this.client?.terminate();
    const options = {
      connectToken: this.token,
      httpApiUrl: this.mode.httpApiUrl ?? undefined,
      fetch: (url, init) => this.#loggedFetch(url, init),
    };
    if (heartbeatIntervalSeconds) options.heartbeatIntervalSeconds = heartbeatIntervalSeconds;
    const client = new OpensockClient(this.mode.wsUrl, options);
    this.client = client;
    client.on("frame", (frame) => this.log("in", frame));
    client.on("sent", (frame) => this.log("out", frame));
    client.on("state", () => this.knowChannels(client.channels.map((c) => c.name)));
    client.on("channel", (channel) => this.knowChannels([channel.name]));
    this.emit("client", client);
    return client;
  }

  knowChannels(names) {
    const before = this.channelNames.size;
    for (const name of names) this.channelNames.add(name);
    if (this.channelNames.size === before) return;
    document.getElementById("known-channels").replaceChildren(
      ...[...this.channelNames].map((name) => el("option", { value: name })),
    );
    this.emit("channels", [...this.channelNames]);
  }

  async #loggedFetch(url, init) {
    const action = new URL(url).pathname;
    let body;
    try {
      body = JSON.parse(init?.body ?? "null");
    } catch {
      body = init?.body;
    }
    this.log("http", { request: `${init?.method ?? "GET"} ${action}`, body });
    const response = await fetch(url, init);
    const text = await response.clone().text();
    let answer;
    try {
      answer = JSON.parse(text);
    } catch {
      answer = text;
    }
    this.log("http", { response: `${response.status} ${action}`, body: answer });
    return response;
  }
}
