// opensock.js: a small browser client for Opensock (Hotsock client protocol v1.13.5).
// One plain ES module, no build step, no dependencies. API: clients/js/README.md.
//
// On the wire it behaves as PROTOCOL §20 describes hotsock-js v1.4.0: `?token=` connect URL,
// a 5 s `hotsock.connected` watchdog, reconnect (first attempt at once, then 1 s, then
// min(prev × 1.5 + random(0–1 s), 20 s)) with a fresh token and re-subscribe, pong on ping,
// optional heartbeats. Beyond it, each channel keeps its members, storage entries and
// reaction counts in sync.

export const PROTOCOL_VERSION = "1.13.5";
export const CONNECTED_TIMEOUT_MS = 5000;
const TOKEN_PATTERN = /^[A-Za-z0-9-_=]+\.[A-Za-z0-9-_=]+\.[A-Za-z0-9-_.+/=]*$/;
const MAX_RECONNECT_DELAY_MS = 20000;
const STORAGE_GET_TIMEOUT_MS = 10000;
// hotsock-js leaves a channel on these codes (§9.2); the PRESENCE_* ones we add so a refused
// presence subscribe reads as failed instead of pending forever.
const SUBSCRIBE_FAILURES = new Set([
  "SUBSCRIBE_PERMISSION_DENIED",
  "INVALID_SUBSCRIBE_TOKEN",
  "PRESENCE_CHANNEL_USER_ID_REQUIRED",
  "PRESENCE_CHANNEL_CAPACITY_REACHED",
]);
const STORAGE_GET_FAILURES = new Set([
  "STORAGE_GET_PERMISSION_DENIED",
  "INVALID_STORAGE_KEY",
  "INVALID_CHANNEL_NAME",
]);

export class OpensockError extends Error {
  constructor(code, message, details = undefined) {
    super(message);
    this.name = "OpensockError";
    this.code = code;
    this.details = details;
  }
}

export class OpensockHttpError extends OpensockError {
  constructor(status, code, message, body) {
    super(code, message, body);
    this.name = "OpensockHttpError";
    this.status = status;
    this.body = body;
  }
}

// --- pure helpers ----------------------------------------------------------------------------

/** The payload of a JWT, or null when it is not one hotsock-js would accept (§20.1). */
export function decodeTokenPayload(token) {
  if (typeof token !== "string" || !TOKEN_PATTERN.test(token)) return null;
  try {
    const part = token.split(".")[1].replace(/-/g, "+").replace(/_/g, "/");
    const padded = part + "=".repeat((4 - (part.length % 4)) % 4);
    const bytes = Uint8Array.from(atob(padded), (c) => c.charCodeAt(0));
    const payload = JSON.parse(new TextDecoder().decode(bytes));
    return payload !== null && typeof payload === "object" ? payload : null;
  } catch {
    return null;
  }
}

/** Throws unless `token` passes hotsock-js's local checks: shape, JSON payload, `exp` not past. */
export function checkToken(token, nowSeconds = Math.floor(Date.now() / 1000)) {
  const payload = decodeTokenPayload(token);
  if (payload === null) throw new OpensockError("INVALID_TOKEN", "not a JWT with a JSON payload");
  if (typeof payload.exp === "number" && payload.exp < nowSeconds) {
    throw new OpensockError("TOKEN_EXPIRED", "token expired before it was used");
  }
  return payload;
}

/** `new WebSocket(url + "?token=" + token)`, the token appended as is (§20.2). */
export function connectUrl(url, token) {
  return url + (url.includes("?") ? "&token=" : "?token=") + token;
}

/** Wait before reconnect attempt `attempt` (1 = the first retry after an immediate try). */
export function nextReconnectDelay(previousMs, attempt, random = Math.random) {
  if (attempt <= 1) return 1000;
  return Math.min(previousMs * 1.5 + random() * 1000, MAX_RECONNECT_DELAY_MS);
}

function isCleared(data) {
  return (
    data === null ||
    data === undefined ||
    (typeof data === "object" && !Array.isArray(data) && Object.keys(data).length === 0)
  );
}

function report(error) {
  // A listener's exception must not break the client: report it as uncaught, keep going.
  if (typeof globalThis.reportError === "function") globalThis.reportError(error);
  else setTimeout(() => { throw error; });
}

function delay(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

// --- events ----------------------------------------------------------------------------------

class Emitter {
  #names;
  #listeners = new Map();

  constructor(names = null) {
    this.#names = names;
  }

  on(name, fn) {
    if (this.#names !== null && !this.#names.has(name)) {
      throw new TypeError(`unknown event "${name}"; one of: ${[...this.#names].join(", ")}`);
    }
    if (!this.#listeners.has(name)) this.#listeners.set(name, new Set());
    this.#listeners.get(name).add(fn);
    return () => this.off(name, fn);
  }

  off(name, fn) {
    this.#listeners.get(name)?.delete(fn);
  }

  once(name, fn) {
    const off = this.on(name, (detail) => {
      off();
      fn(detail);
    });
    return off;
  }

  emit(name, detail) {
    for (const fn of [...(this.#listeners.get(name) ?? [])]) {
      try {
        fn(detail);
      } catch (error) {
        report(error);
      }
    }
  }
}

const CLIENT_EVENTS = new Set([
  "state", "open", "connected", "disconnected", "reconnecting", "tokenError",
  "error", "frame", "sent", "channel",
]);
const CHANNEL_EVENTS = new Set([
  "state", "subscribed", "unsubscribed", "error", "members", "storage", "message",
  "reactions",
]);

// --- channel ---------------------------------------------------------------------------------

export class Channel {
  #client;
  #events = new Emitter(CHANNEL_EVENTS);
  #frames = new Emitter();
  #members = [];
  #storage = new Map();
  #reactions = new Map();
  #pendingGets = [];
  #waiters = [];

  constructor(client, name, options = {}) {
    this.#client = client;
    this.name = name;
    this.realName = name;
    this.alias = null;
    this.options = { ...options };
    this.state = "none"; // none | subscribePending | subscribed | unsubscribePending | failed
    this.wanted = false;
    this.autoSubscribed = false;
    this.uid = null;
    this.umd = null;
    this.error = null;
    this.lastMessageId = null;
    this.subscribedBefore = false;
  }

  get subscribed() {
    return this.state === "subscribed";
  }

  get members() {
    return this.#members.map((member) => ({ ...member }));
  }

  get storage() {
    return Object.fromEntries([...this.#storage].map(([key, entry]) => [key, { ...entry }]));
  }

  on(name, fn) { return this.#events.on(name, fn); }
  off(name, fn) { this.#events.off(name, fn); }
  once(name, fn) { return this.#events.once(name, fn); }
  /** Every inbound frame of this channel whose `event` is `event` (as hotsock-js `bind`). */
  bind(event, fn) { return this.#frames.on(event, fn); }
  unbind(event, fn) { this.#frames.off(event, fn); }

  subscribe(options = undefined) {
    if (options !== undefined) Object.assign(this.options, options);
    this.wanted = true;
    if (this.state === "failed") this.#setState("none");
    this.#client._wantConnection();
    this.#client._sync(this);
    return this;
  }

  unsubscribe() {
    this.wanted = false;
    this.autoSubscribed = false;
    this.#client._sync(this);
    return this;
  }

  /** Resolves once subscribed (at once if it is); rejects if the subscribe is refused. */
  whenSubscribed() {
    if (this.subscribed) return Promise.resolve(this);
    return new Promise((resolve, reject) => this.#waiters.push({ resolve, reject }));
  }

  publish(event, data = undefined, options = {}) {
    const frame = { channel: this.name, event };
    if (data !== undefined) frame.data = data;
    this.#client._send({ ...frame, ...schedule(options) });
  }

  react(messageId, reaction, action = "add") {
    this.publish("hotsock.messageReaction", { messageId, reaction, action });
  }

  setStorage(key, data, options = {}) {
    const frame = { event: "hotsock.channelStorageSet", channel: this.name, key, data };
    this.#client._send({ ...frame, ...schedule(options) });
  }

  /** One `hotsock.channelStorageGet`; resolves with `{data, meta}` (both null when unset). */
  getStorage(key, { timeoutMs = STORAGE_GET_TIMEOUT_MS } = {}) {
    return new Promise((resolve, reject) => {
      const pending = { key, resolve, reject };
      pending.timer = setTimeout(() => {
        this.#dropGet(pending);
        reject(new OpensockError("TIMEOUT", `no channelStorageData for "${key}"`));
      }, timeoutMs);
      this.#pendingGets.push(pending);
      try {
        this.#client._send({ event: "hotsock.channelStorageGet", channel: this.name, key });
      } catch (error) {
        this.#dropGet(pending);
        reject(error);
      }
    });
  }

  umdUpdate(token) {
    this.#client._send({ event: "hotsock.umdUpdate", channel: this.name, data: { token } });
  }

  /** Reaction counts of one message, `{reaction: count}`. */
  reactions(messageId) {
    return Object.fromEntries(this.#reactions.get(messageId) ?? []);
  }

  /** Seed counts, e.g. from `connection/listMessages` (`{"+1": {"count": 2}}` or `{"+1": 2}`). */
  setReactions(messageId, counts) {
    const entries = Object.entries(counts ?? {}).map(([reaction, value]) => [
      reaction, typeof value === "number" ? value : value?.count ?? 0,
    ]);
    this.#reactions.set(messageId, new Map(entries.filter(([, count]) => count > 0)));
  }

  // --- driven by the client ---

  _subscribeFrame(connectionId) {
    return this.#subscribeData(connectionId).then((data) => {
      const frame = { event: "hotsock.subscribe", channel: this.name };
      if (data !== null) frame.data = data;
      return frame;
    });
  }

  async #subscribeData(connectionId) {
    const data = {};
    const source = this.options.subscribeToken ?? this.#client.options.subscribeTokenFn;
    if (source !== undefined && source !== null) {
      const token = typeof source === "function"
        ? await this.#client._loadToken(() => source({ channel: this.name, connectionId }))
        : checkToken(source) && source;
      data.token = token;
    }
    const resume = this.options.resumeAfter;
    if (resume !== undefined && resume !== false) {
      const info = { channel: this.name, lastMessageId: this.lastMessageId,
        resubscribe: this.subscribedBefore };
      const id = typeof resume === "function" ? resume(info)
        : resume === true ? (this.subscribedBefore ? this.lastMessageId : null) : resume;
      if (id) data.resumeAfter = id;
    }
    return Object.keys(data).length ? data : null;
  }

  _setState(state) { this.#setState(state); }

  _failSubscribe(error) {
    this.error = error;
    this.#setState("failed");
    for (const waiter of this.#waiters.splice(0)) waiter.reject(error);
    this.#events.emit("error", error);
  }

  /** The socket closed: pending requests fail; members/storage stay until re-subscribed. */
  _connectionLost() {
    this.#setState("none");
    for (const pending of this.#pendingGets.splice(0)) {
      clearTimeout(pending.timer);
      pending.reject(new OpensockError("DISCONNECTED", "connection closed"));
    }
  }

  _forget() {
    this.#members = [];
    this.#storage.clear();
    for (const waiter of this.#waiters.splice(0)) {
      waiter.reject(new OpensockError("CLOSED", "client closed"));
    }
  }

  _receive(frame) {
    const handler = Object.hasOwn(Channel.#handlers, frame.event)
      ? Channel.#handlers[frame.event] : undefined;
    if (handler !== undefined) handler.call(this, frame);
    else if (!frame.event?.startsWith("hotsock.")) this.#onMessage(frame);
    this.#frames.emit(frame.event, frame);
  }

  _error(frame) {
    const error = new OpensockError(frame.error?.code, frame.error?.message, frame);
    const code = error.code;
    if (code === "ALREADY_SUBSCRIBED" && this.state === "subscribePending") {
      this.#confirmSubscribed();
      return;
    }
    if (code === "NOT_SUBSCRIBED" && this.state === "unsubscribePending") {
      this.#onUnsubscribed();
      return;
    }
    if (SUBSCRIBE_FAILURES.has(code) && this.state === "subscribePending") {
      this._failSubscribe(error);
      return;
    }
    if (STORAGE_GET_FAILURES.has(code) && this.#pendingGets.length) {
      const pending = this.#pendingGets.shift();
      clearTimeout(pending.timer);
      pending.reject(error);
    }
    this.error = error;
    this.#events.emit("error", error);
  }

  #setState(state) {
    if (state === this.state) return;
    const previous = this.state;
    this.state = state;
    this.#events.emit("state", { state, previous });
  }

  #confirmSubscribed() {
    this.error = null;
    this.subscribedBefore = true;
    this.#setState("subscribed");
    for (const waiter of this.#waiters.splice(0)) waiter.resolve(this);
    this.#client._sync(this);
  }

  #onSubscribed(frame) {
    const meta = frame.meta ?? {};
    const connection = this.#client;
    this.realName = frame.channel;
    this.alias = meta.channelAlias ?? null;
    this.uid = meta.uid || connection.uid;
    this.umd = meta.umd || connection.umd;
    this.autoSubscribed = frame.data?.autoSubscribed === true;
    // The storage snapshot follows this frame: start it from empty so that entries cleared
    // or expired while we were away do not linger.
    if (this.#storage.size) {
      this.#storage.clear();
      this.#events.emit("storage", { key: null, data: null, meta: null, storage: this.storage });
    }
    if (Array.isArray(frame.data?.members)) this.#setMembers(frame.data.members, "subscribed");
    this.#confirmSubscribed();
    this.#events.emit("subscribed", frame);
  }

  #onUnsubscribed(frame = null) {
    this.uid = null;
    this.umd = null;
    this.#storage.clear();
    this.#setMembers([], "unsubscribed");
    this.#setState("none");
    this.#events.emit("storage", { key: null, data: null, meta: null, storage: this.storage });
    this.#events.emit("unsubscribed", frame);
    this.#client._sync(this);
  }

  #onMember(frame, change) {
    const data = frame.data ?? {};
    const member = data.member ?? null;
    if (Array.isArray(data.members)) {
      this.#setMembers(data.members, change, member);
    } else if (member !== null) {
      const others = this.#members.filter((m) => m.uid !== member.uid);
      this.#setMembers(change === "removed" ? others : [...others, member], change, member);
    }
    if (change === "updated" && member?.uid === this.uid) this.umd = member.umd;
  }

  #setMembers(members, change, member = null) {
    this.#members = members.map((m) => ({ uid: m.uid, umd: m.umd ?? null }));
    this.#events.emit("members", { members: this.members, change, member });
  }

  #onStorage(frame) {
    const { key, data, meta } = frame;
    if (typeof key !== "string") return;
    const cleared = isCleared(data);
    if (cleared) this.#storage.delete(key);
    else this.#storage.set(key, { data, meta: meta ?? null });
    this.#events.emit("storage", {
      key, data: cleared ? null : data, meta: meta ?? null, cleared, storage: this.storage,
    });
  }

  #onStorageData(frame) {
    const index = this.#pendingGets.findIndex((pending) => pending.key === frame.key);
    if (index < 0) return;
    const [pending] = this.#pendingGets.splice(index, 1);
    clearTimeout(pending.timer);
    pending.resolve({ data: frame.data ?? null, meta: frame.meta ?? null });
  }

  #onReaction(frame) {
    const { messageId, reaction } = frame.data ?? {};
    if (typeof messageId !== "string" || typeof reaction !== "string") return;
    const counts = this.#reactions.get(messageId) ?? new Map();
    const added = frame.event === "hotsock.messageReactionAdded";
    const count = (counts.get(reaction) ?? 0) + (added ? 1 : -1);
    if (count > 0) counts.set(reaction, count);
    else counts.delete(reaction);
    this.#reactions.set(messageId, counts);
    this.#events.emit("reactions", {
      messageId, reaction, action: added ? "add" : "remove", meta: frame.meta ?? null,
      reactions: this.reactions(messageId),
    });
  }

  #onMessage(frame) {
    if (typeof frame.id === "string") this.lastMessageId = frame.id;
    this.#events.emit("message", frame);
  }

  #dropGet(pending) {
    const index = this.#pendingGets.indexOf(pending);
    if (index >= 0) this.#pendingGets.splice(index, 1);
  }

  // Private methods are reachable from this table only because it sits in the class body.
  static #handlers = {
    "hotsock.subscribed"(f) { this.#onSubscribed(f); },
    "hotsock.unsubscribed"(f) { this.#onUnsubscribed(f); },
    "hotsock.memberAdded"(f) { this.#onMember(f, "added"); },
    "hotsock.memberRemoved"(f) { this.#onMember(f, "removed"); },
    "hotsock.memberUpdated"(f) { this.#onMember(f, "updated"); },
    "hotsock.channelStorageUpdated"(f) { this.#onStorage(f); },
    "hotsock.channelStorageData"(f) { this.#onStorageData(f); },
    "hotsock.messageReactionAdded"(f) { this.#onReaction(f); },
    "hotsock.messageReactionRemoved"(f) { this.#onReaction(f); },
  };
}

function schedule({ scheduleExpression, scheduleExpressionTimezone } = {}) {
  const fields = {};
  if (scheduleExpression !== undefined) fields.scheduleExpression = scheduleExpression;
  if (scheduleExpressionTimezone !== undefined) {
    fields.scheduleExpressionTimezone = scheduleExpressionTimezone;
  }
  return fields;
}

// --- Client HTTP API -------------------------------------------------------------------------

export class HttpApi {
  #credentials;
  #fetch;

  constructor(baseUrl, credentials, fetchImpl = globalThis.fetch?.bind(globalThis)) {
    this.baseUrl = baseUrl ? String(baseUrl).replace(/\/+$/, "") : null;
    this.#credentials = credentials;
    this.#fetch = fetchImpl;
  }

  /** `POST <base>/connection/<action>?connectionId=…&connectionSecret=…` with a JSON body. */
  async call(action, body = {}) {
    if (this.baseUrl === null) throw new OpensockError("NO_HTTP_API_URL", "set httpApiUrl");
    const { connectionId, connectionSecret } = this.#credentials();
    if (!connectionId || !connectionSecret) {
      throw new OpensockError("NOT_CONNECTED", "no connection credentials yet");
    }
    const query = new URLSearchParams({ connectionId, connectionSecret });
    // No Content-Type header: the request stays CORS-simple (SERVER-API §4.1).
    const response = await this.#fetch(`${this.baseUrl}/connection/${action}?${query}`, {
      method: "POST",
      body: JSON.stringify(body),
    });
    const text = await response.text();
    let parsed = null;
    try {
      parsed = text ? JSON.parse(text) : null;
    } catch {
      parsed = text;
    }
    if (!response.ok) {
      const error = parsed?.error ?? {};
      throw new OpensockHttpError(response.status, error.code ?? "HTTP_ERROR",
        error.message ?? `HTTP ${response.status}`, parsed);
    }
    return parsed;
  }

  listMessages(body) { return this.call("listMessages", body); }
  listReactions(body) { return this.call("listReactions", body); }
  publishMessage(body) { return this.call("publishMessage", body); }
  channelStorageGet(body) { return this.call("channelStorageGet", body); }
  channelStorageSet(body) { return this.call("channelStorageSet", body); }
  channelStorageList(body) { return this.call("channelStorageList", body); }
  getChannelInfo(body) { return this.call("getChannelInfo", body); }
  umdUpdate(body) { return this.call("umdUpdate", body); }
}

// --- client ----------------------------------------------------------------------------------

export class OpensockClient {
  #events = new Emitter(CLIENT_EVENTS);
  #frames = new Emitter();
  #channels = new Map(); // the name the app used -> Channel
  #wireNames = new Map(); // real name or alias seen on the wire -> Channel
  #socket = null;
  #generation = 0; // bumped whenever the app closes or a socket is dropped
  #watchdog = null;
  #heartbeat = null;
  #suspended = false;
  #openAttempt = null; // resolves the attempt in flight with false when the socket is dropped

  constructor(url, options = {}) {
    if (typeof url !== "string" || !url) throw new TypeError("a WebSocket URL is required");
    const interval = options.heartbeatIntervalSeconds;
    if (interval !== undefined && interval !== null && !(interval >= 5 && interval <= 600)) {
      throw new RangeError("heartbeatIntervalSeconds must be between 5 and 600");
    }
    if (options.connectToken === undefined && options.connectTokenFn === undefined) {
      throw new TypeError("connectToken or connectTokenFn is required");
    }
    this.url = url;
    this.options = {
      connectTokenFnMaxAttempts: 2,
      connectedTimeoutMs: CONNECTED_TIMEOUT_MS,
      random: Math.random,
      WebSocket: globalThis.WebSocket,
      logger: null,
      ...options,
    };
    this.state = "idle"; // idle | connecting | open | connected | reconnecting | closed
    this.connectionId = null;
    this.connectionSecret = null;
    this.connectionExpiresAt = null;
    this.uid = null;
    this.umd = null;
    this.http = new HttpApi(options.httpApiUrl, () => this, options.fetch);
    if (!options.lazyConnection) this.connect();
  }

  get connected() {
    return this.state === "connected";
  }

  get channels() {
    return [...new Set([...this.#channels.values(), ...this.#wireNames.values()])];
  }

  on(name, fn) { return this.#events.on(name, fn); }
  off(name, fn) { this.#events.off(name, fn); }
  once(name, fn) { return this.#events.once(name, fn); }
  /** Every inbound frame whose `event` is `event`, whatever its channel. */
  bind(event, fn) { return this.#frames.on(event, fn); }
  unbind(event, fn) { this.#frames.off(event, fn); }

  /** The channel object for `name` (created, not subscribed, if new). */
  channel(name, options = undefined) {
    let channel = this.#channels.get(name) ?? this.#wireNames.get(name);
    if (channel === undefined) {
      channel = new Channel(this, name, options);
      this.#channels.set(name, channel);
    } else if (options !== undefined) {
      Object.assign(channel.options, options);
    }
    return channel;
  }

  subscribe(name, options = undefined) {
    return this.channel(name).subscribe(options);
  }

  unsubscribe(name) {
    return this.channel(name).unsubscribe();
  }

  /** Connection-level `hotsock.umdUpdate` (per channel: `channel.umdUpdate(token)`). */
  umdUpdate(token) {
    this._send({ event: "hotsock.umdUpdate", data: { token } });
  }

  publish(channel, event, data = undefined, options = {}) {
    this.channel(channel).publish(event, data, options);
  }

  /** Any frame as is (e.g. `{"event":"hotsock.ping"}`), like hotsock-js `sendRawMessage`. */
  sendRaw(frame) {
    this._send(frame);
  }

  connect() {
    this.#suspended = false;
    if (["connecting", "open", "connected", "reconnecting"].includes(this.state)) return;
    this.#connectLoop(this.#generation);
  }

  /** Close without reconnecting; channels stay wanted and are re-subscribed on `connect()`. */
  suspend() {
    this.#suspended = true;
    this.#closeByApp();
  }

  resume() {
    this.connect();
  }

  /** Close for good: forget every channel. */
  terminate() {
    this.#suspended = true;
    this.#closeByApp();
    for (const channel of this.channels) channel._forget();
    this.#channels.clear();
    this.#wireNames.clear();
    this.#setState("closed");
  }

  // --- used by Channel ---

  _send(frame) {
    const socket = this.#socket;
    if (socket === null || socket.readyState !== 1 || this.state !== "connected") {
      throw new OpensockError("NOT_CONNECTED", `cannot send ${frame.event}: not connected`);
    }
    socket.send(JSON.stringify(frame));
    this.#events.emit("sent", frame);
  }

  /** Call a token function with hotsock-js's attempts (500 ms × attempt between tries). */
  async _loadToken(fn) {
    const attempts = Math.max(1, this.options.connectTokenFnMaxAttempts);
    let lastError = null;
    for (let attempt = 1; attempt <= attempts; attempt++) {
      try {
        const token = await fn();
        checkToken(token);
        return token;
      } catch (error) {
        lastError = error;
        if (attempt < attempts) await delay(500 * attempt);
      }
    }
    throw lastError;
  }

  /** A channel is wanted: a lazy client that has not connected yet does so now. */
  _wantConnection() {
    if (this.state === "idle" && !this.#suspended) this.connect();
  }

  /** Bring one channel's server state towards what the app wants. */
  _sync(channel) {
    if (!this.connected) return;
    const generation = this.#generation;
    if (channel.wanted && channel.state === "none") {
      channel._setState("subscribePending");
      channel._subscribeFrame(this.connectionId).then(
        (frame) => {
          if (generation !== this.#generation || channel.state !== "subscribePending") return;
          this._send(frame);
        },
        (error) => {
          if (generation !== this.#generation) return;
          channel._failSubscribe(new OpensockError("NO_SUBSCRIBE_TOKEN", error.message, error));
        },
      );
    } else if (!channel.wanted && !channel.autoSubscribed && channel.state === "subscribed") {
      channel._setState("unsubscribePending");
      this._send({ event: "hotsock.unsubscribe", channel: channel.name });
    }
  }

  // --- connection lifecycle ---

  async #connectLoop(generation) {
    let attempt = 0;
    let wait = 0;
    while (generation === this.#generation) {
      if (attempt > 0) {
        wait = nextReconnectDelay(wait, attempt, this.options.random);
        this.#setState("reconnecting");
        this.#events.emit("reconnecting", { attempt, delayMs: wait });
        await delay(wait);
        if (generation !== this.#generation) return;
      }
      this.#setState("connecting");
      attempt += 1;
      let token;
      try {
        token = await this.#connectToken();
      } catch (error) {
        if (generation !== this.#generation) return;
        this.#events.emit("tokenError", { error });
        this.options.connectTokenErrorFn?.(error);
        continue;
      }
      if (generation !== this.#generation) return;
      if (await this.#open(token, generation)) return;
    }
  }

  #connectToken() {
    const { connectToken, connectTokenFn } = this.options;
    if (connectTokenFn !== undefined) return this._loadToken(connectTokenFn);
    return Promise.resolve(connectToken).then((token) => {
      checkToken(token);
      return token;
    });
  }

  /** Resolves true once the socket opens, false if it closes first. */
  #open(token, generation) {
    return new Promise((resolve) => {
      const socket = new this.options.WebSocket(connectUrl(this.url, token));
      this.#socket = socket;
      this.#openAttempt = resolve;
      let opened = false;
      socket.onopen = () => {
        if (generation !== this.#generation) return;
        opened = true;
        this.#openAttempt = null;
        this.#onOpen();
        resolve(true);
      };
      socket.onmessage = (message) => {
        if (generation === this.#generation) this.#onFrame(message.data);
      };
      socket.onerror = () => {};
      socket.onclose = (event) => {
        if (generation !== this.#generation) return;
        if (!opened) {
          this.#openAttempt = null;
          resolve(false);
          return;
        }
        this.#onLost({ code: event.code, reason: event.reason, wasClean: event.wasClean });
      };
    });
  }

  #onOpen() {
    this.#setState("open");
    this.#events.emit("open", {});
    this.#watchdog = setTimeout(() => {
      this.#log("warn", "no hotsock.connected in time; reconnecting");
      this.#onLost({ code: null, reason: "no hotsock.connected", wasClean: false });
    }, this.options.connectedTimeoutMs);
    const interval = this.options.heartbeatIntervalSeconds;
    if (interval) this.#scheduleHeartbeat(interval);
  }

  #scheduleHeartbeat(intervalSeconds) {
    // Up to 10 % early, never late (hotsock-js).
    const ms = intervalSeconds * 1000 * (1 - this.options.random() * 0.1);
    this.#heartbeat = setTimeout(() => {
      if (this.#socket?.readyState === 1) {
        const frame = { event: "hotsock.heartbeat" };
        this.#socket.send(JSON.stringify(frame));
        this.#events.emit("sent", frame);
      }
      this.#scheduleHeartbeat(intervalSeconds);
    }, ms);
  }

  /** The socket is gone without the app asking: forget its state and reconnect at once. */
  #onLost(detail) {
    this.#dropSocket();
    for (const channel of this.channels) channel._connectionLost();
    this.#events.emit("disconnected", { ...detail, reconnect: true });
    this.#connectLoop(this.#generation);
  }

  #closeByApp() {
    const wasOpen = this.#socket !== null;
    this.#dropSocket();
    for (const channel of this.channels) channel._connectionLost();
    this.#setState("idle");
    if (wasOpen) {
      this.#events.emit("disconnected", { code: 1000, reason: "", wasClean: true, reconnect: false });
    }
  }

  #dropSocket() {
    this.#generation += 1;
    clearTimeout(this.#watchdog);
    clearTimeout(this.#heartbeat);
    this.#openAttempt?.(false);
    this.#openAttempt = null;
    const socket = this.#socket;
    this.#socket = null;
    if (socket !== null) {
      socket.onopen = socket.onmessage = socket.onclose = null;
      if (socket.readyState <= 1) socket.close(1000);
    }
    this.connectionId = null;
    this.connectionSecret = null;
  }

  #onFrame(text) {
    let frame;
    try {
      frame = JSON.parse(text);
    } catch {
      this.#log("warn", "ignored a frame that is not JSON", text);
      return;
    }
    if (frame === null || typeof frame !== "object") return;
    this.#events.emit("frame", frame);
    if (frame.event === "hotsock.connected") this.#onConnected(frame);
    else if (frame.event === "hotsock.ping") this._sendQuiet({ event: "hotsock.pong" });
    else if (frame.event === "hotsock.error") this.#onError(frame);
    else if (typeof frame.channel === "string") this.#channelFor(frame)?._receive(frame);
    this.#frames.emit(frame.event, frame);
  }

  _sendQuiet(frame) {
    if (this.#socket?.readyState !== 1) return;
    this.#socket.send(JSON.stringify(frame));
    this.#events.emit("sent", frame);
  }

  #onConnected(frame) {
    clearTimeout(this.#watchdog);
    const data = frame.data ?? {};
    this.connectionId = data.connectionId ?? null;
    this.connectionSecret = data.connectionSecret ?? null;
    this.connectionExpiresAt = data.connectionExpiresAt ?? null;
    this.uid = frame.meta?.uid ?? null;
    this.umd = frame.meta?.umd ?? null;
    this.#setState("connected");
    this.#events.emit("connected", {
      connectionId: this.connectionId,
      connectionExpiresAt: this.connectionExpiresAt,
      uid: this.uid,
      umd: this.umd,
    });
    for (const channel of this.channels) this._sync(channel);
  }

  #onError(frame) {
    const error = new OpensockError(frame.error?.code, frame.error?.message, frame);
    this.#events.emit("error", error);
    if (typeof frame.channel === "string") this.#channelFor(frame, false)?._error(frame);
  }

  #channelFor(frame, create = true) {
    const alias = frame.meta?.channelAlias;
    let channel = this.#wireNames.get(frame.channel) ?? this.#channels.get(frame.channel);
    if (channel === undefined && alias) channel = this.#channels.get(alias);
    if (channel === undefined) {
      if (!create || frame.event !== "hotsock.subscribed") return undefined;
      channel = this.channel(frame.channel);
      this.#events.emit("channel", channel);
    }
    if (frame.event === "hotsock.subscribed") {
      this.#wireNames.set(frame.channel, channel);
      if (alias) this.#wireNames.set(alias, channel);
    }
    return channel;
  }

  #setState(state) {
    if (state === this.state) return;
    const previous = this.state;
    this.state = state;
    this.#events.emit("state", { state, previous });
  }

  #log(level, message, details = undefined) {
    this.options.logger?.[level]?.(`opensock: ${message}`, details ?? "");
  }
}

export default OpensockClient;
