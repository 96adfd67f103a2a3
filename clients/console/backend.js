// Where the console runs, and the local stack's console endpoints (`/_local/...`).
//
// Deployed (behind the WebConsoleHttpUrl Function URL), the page is opened with `?wssUrl=…`
// (and `&httpApiUrl=…`) and never calls `/_local`: there is no token minting and no secret.
// Served by `make dev`, it asks `/_local/console` where to connect, and the local-only panels
// (token minting and checks, pub/sub events, schedules, table items) come on.

export async function detectMode(location = window.location) {
  const query = new URLSearchParams(location.search);
  const wssUrl = query.get("wssUrl");
  if (wssUrl) {
    return { local: false, wsUrl: wssUrl, httpApiUrl: query.get("httpApiUrl") || null };
  }
  try {
    const response = await fetch("/_local/console");
    if (response.ok) {
      const config = await response.json();
      return { local: true, wsUrl: config.wsUrl, httpApiUrl: config.httpApiUrl };
    }
  } catch {
    // not the local stack
  }
  const ws = `${location.protocol === "https:" ? "wss" : "ws"}://${location.host}/v1`;
  return { local: false, wsUrl: ws, httpApiUrl: null };
}

async function postJson(path, body) {
  const response = await fetch(path, { method: "POST", body: JSON.stringify(body) });
  if (!response.ok) throw new Error(`${path}: HTTP ${response.status} ${await response.text()}`);
  return response.json();
}

/** `{token}` signed with the local signing key (make dev only). */
export function mintToken(claims, scope = "connect", ttl = 3600) {
  return postJson("/_local/tokens", { claims, scope, ttl });
}

/** What the local stack's verifier says of a token: `{ok, problem, code, status, claims}`. */
export function checkToken(token, scope = "connect", target = {}) {
  return postJson("/_local/tokens/check", { token, scope, ...target });
}

export async function getJson(path) {
  const response = await fetch(path);
  if (!response.ok) throw new Error(`${path}: HTTP ${response.status}`);
  return response.json();
}

export const schedules = () => getJson("/_local/schedules");
export const tableItems = (channel) =>
  getJson(`/_local/table?channel=${encodeURIComponent(channel)}`);
export const eventStream = () => new EventSource("/_local/events/stream");
