// Connection panel: connect and disconnect with the token, the connection's id and user, the
// time left to the 2 h cap, keep-alive and heartbeat state, and why a handshake was refused.

import { $, clock, compact, duration, every, say } from "./dom.js";
import { refusalReason } from "./token_panel.js";

export function connectionPanel(session) {
  let lastKeepAlive = null;
  let lastHeartbeat = null;

  $("#connect").addEventListener("click", () => {
    say($("#refusal"), "");
    if (!session.token) {
      say($("#refusal"), "mint or paste a token first", "error");
      return;
    }
    const interval = Number($("#heartbeat-interval").value) || undefined;
    try {
      session.connect({ heartbeatIntervalSeconds: interval });
    } catch (error) {
      say($("#refusal"), error.message, "error");
    }
  });
  $("#disconnect").addEventListener("click", () => session.client?.suspend());

  session.on("client", (client) => {
    lastKeepAlive = lastHeartbeat = null;
    let opened = false;
    client.on("state", ({ state }) => {
      const connected = state === "connected";
      $("#connection-state").textContent = state;
      $("#header-state").textContent = state;
      $("#header-state").dataset.state = state;
      document.body.dataset.state = state;
      $("#disconnect").disabled = !["connected", "open", "connecting", "reconnecting"]
        .includes(state);
      if (!connected) $("#connection-id").textContent = "—";
    });
    client.on("open", () => {
      opened = true;
    });
    client.on("connected", ({ connectionId, uid, umd }) => {
      $("#connection-id").textContent = connectionId;
      $("#connection-user").textContent = `${uid ?? "(no uid)"} ${compact(umd)}`;
      say($("#refusal"), "");
    });
    client.on("disconnected", ({ code, reason }) => {
      $("#last-close").textContent = `${clock()} code ${code ?? "—"} ${reason ?? ""}`.trim();
    });
    client.on("reconnecting", async ({ attempt, delayMs }) => {
      if (opened) {
        opened = false;
        return; // a drop, not a refusal: the client retries on its own
      }
      // The socket never opened: the handshake was refused. A browser only sees 1006.
      client.terminate();
      const reason = await refusalReason(session);
      say($("#refusal"), `Refused: ${reason}`, "error");
      $("#last-close").textContent =
        `${clock()} handshake refused (the browser sees close code 1006); attempt ${attempt}` +
        `, would retry in ${Math.round(delayMs)} ms`;
    });
    client.on("tokenError", ({ error }) => {
      // opensock.js (like hotsock-js) checks the token's shape and exp before sending it.
      client.terminate();
      say($("#refusal"), `Not sent: ${error.message} (checked in the browser, as hotsock-js does)`,
        "error");
    });
    client.bind("hotsock.keepAlive", () => {
      lastKeepAlive = new Date();
    });
    client.on("sent", (frame) => {
      if (frame.event === "hotsock.heartbeat") lastHeartbeat = new Date();
    });
  });

  every(1000, () => {
    const client = session.client;
    const claims = session.claims ?? {};
    if (client?.connected && client.connectionExpiresAt) {
      const left = (Date.parse(client.connectionExpiresAt) - Date.now()) / 1000;
      $("#connection-left").textContent =
        `${duration(left)} (until ${new Date(client.connectionExpiresAt).toLocaleTimeString()})`;
    } else {
      $("#connection-left").textContent = "—";
    }
    $("#keepalive-state").textContent = claims.keepAlive
      ? `on: hotsock.keepAlive about every 9 min 30 s; last ${lastKeepAlive ? clock(lastKeepAlive) : "not yet"}`
      : "off (no keepAlive claim)";
    const required = claims.heartbeatTimeout;
    const interval = client?.options?.heartbeatIntervalSeconds;
    const parts = [required ? `required every ${required} s` : "not required"];
    parts.push(interval ? `sending every ${interval} s` : "not sending");
    if (lastHeartbeat) parts.push(`last sent ${clock(lastHeartbeat)}`);
    $("#heartbeat-state").textContent = parts.join("; ");
  });
}
