// Token panel: paste a token, or (make dev only) mint one from the claims editor and its
// presets; the decoded header and claims, the expiry ticking down, and the local stack's
// verdict on it.

import { decodeTokenPayload } from "/clients/js/opensock.js";
import { checkToken, mintToken } from "./backend.js";
import { $, duration, el, every, parseStrict, pretty, say } from "./dom.js";
import { PRESETS } from "./presets.js";

function decodeHeader(token) {
  try {
    const part = token.split(".")[0].replace(/-/g, "+").replace(/_/g, "/");
    return JSON.parse(atob(part + "=".repeat((4 - (part.length % 4)) % 4)));
  } catch {
    return null;
  }
}

function fillPreset() {
  const preset = PRESETS[$("#preset").value];
  const uid = $("#preset-uid").value.trim() || "jim";
  $("#claims-editor").value = pretty(preset.claims(uid));
  $("#token-scope").value = preset.scope;
}

/** The scope to check a token against: its first one (connect first when it has it). */
function scopeOf(claims) {
  const scopes = String(claims?.scope ?? "").split(/\s+/).filter(Boolean);
  return scopes.includes("connect") ? "connect" : scopes[0] ?? "connect";
}

export function tokenPanel(session) {
  const field = $("#token");
  $("#preset").append(...Object.keys(PRESETS).map((name) => el("option", {}, name)));
  $("#preset").addEventListener("change", fillPreset);
  $("#preset-uid").addEventListener("change", fillPreset);
  fillPreset();

  $("#mint").addEventListener("click", async () => {
    try {
      const claims = parseStrict($("#claims-editor").value, "the claims");
      const ttl = Number($("#token-ttl").value) || 3600;
      const { token } = await mintToken(claims, $("#token-scope").value, ttl);
      field.value = token;
      session.setToken(token);
      say($("#mint-result"), `minted (${$("#token-scope").value}, ${ttl} s)`);
    } catch (error) {
      say($("#mint-result"), error.message, "error");
    }
  });
  field.addEventListener("input", () => session.setToken(field.value));
  $("#use-subscribe-token").addEventListener("click", () => {
    $("#subscribe-token").value = session.token;
  });
  $("#use-umd-token").addEventListener("click", () => {
    for (const input of document.querySelectorAll(".umd-token")) input.value = session.token;
  });

  session.on("token", async ({ token, claims }) => {
    $("#token-header").textContent = token ? pretty(decodeHeader(token)) : "";
    $("#token-claims").textContent = claims ? pretty(claims) : token ? "(not a JWT)" : "";
    say($("#token-check"), "");
    if (!token || !session.mode.local) return;
    const client = session.client;
    const target = client?.connected ? { connectionId: client.connectionId, uid: client.uid } : {};
    const scope = scopeOf(claims);
    if (scope !== "connect" && !client?.connected) {
      say($("#token-check"), `a ${scope} token: checked against the connection once connected`);
      return;
    }
    const verdict = await checkToken(token, scope, target);
    if (session.token !== token) return;
    if (verdict.ok) say($("#token-check"), `✓ the local stack accepts this ${scope} token`);
    else say($("#token-check"), `✗ ${verdict.problem}`, "error");
  });

  every(1000, () => {
    const claims = session.claims;
    const node = $("#token-expiry");
    if (!claims || typeof claims.exp !== "number") {
      say(node, session.token && claims ? "no exp claim" : "", session.token ? "error" : "ok");
      return;
    }
    const left = claims.exp - Date.now() / 1000;
    const at = new Date(claims.exp * 1000).toLocaleTimeString();
    if (left > 0) say(node, `expires at ${at}, in ${duration(left)}`);
    else say(node, `expired at ${at}, ${duration(-left)} ago`, "error");
  });
}

/** Why a token the server refused was refused: the local stack's verifier, or (deployed) what
 * can be seen from the token itself. */
export async function refusalReason(session) {
  if (session.mode.local) {
    const verdict = await checkToken(session.token, "connect");
    return verdict.ok
      ? "the local stack accepts this token now; was it single-use, or the stack restarting?"
      : `${verdict.problem} (${verdict.code}, HTTP ${verdict.status})`;
  }
  const claims = decodeTokenPayload(session.token);
  if (claims === null) return "not a JWT";
  const scopes = String(claims.scope ?? "").split(/\s+/);
  if (typeof claims.exp === "number" && claims.exp <= Date.now() / 1000) return "token expired";
  if (!scopes.includes("connect")) return "token lacks the connect scope";
  if (claims.connectionId !== undefined) return "connectionId not allowed on a connect token";
  return "the server does not say why (signature, key id, audience or issuer?)";
}
