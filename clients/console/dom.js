// Small DOM and formatting helpers shared by the console's panels.

export const $ = (selector, root = document) => root.querySelector(selector);
export const $$ = (selector, root = document) => [...root.querySelectorAll(selector)];

/** `el("li", {class: "x", "data-id": 1}, child, "text", ...)`; `on*` attributes become listeners. */
export function el(tag, attributes = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value === undefined || value === null || value === false) continue;
    if (name.startsWith("on") && typeof value === "function") {
      node.addEventListener(name.slice(2), value);
    } else {
      node.setAttribute(name, value === true ? "" : String(value));
    }
  }
  node.append(...children.flat().filter((child) => child !== null && child !== undefined));
  return node;
}

export function pretty(value) {
  return value === undefined ? "" : JSON.stringify(value, null, 2);
}

export function compact(value) {
  return value === undefined ? "" : JSON.stringify(value);
}

/** `12:03:04.567` in local time. */
export function clock(date = new Date()) {
  const pad = (n, width = 2) => String(n).padStart(width, "0");
  return `${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())}` +
    `.${pad(date.getMilliseconds(), 3)}`;
}

/** `1h 02m 03s`, `4m 05s`, `6s` for a number of seconds (rounded down, never negative). */
export function duration(seconds) {
  const total = Math.max(0, Math.floor(seconds));
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = total % 60;
  if (h) return `${h}h ${String(m).padStart(2, "0")}m ${String(s).padStart(2, "0")}s`;
  if (m) return `${m}m ${String(s).padStart(2, "0")}s`;
  return `${s}s`;
}

/** JSON from a text field; an empty field is `undefined`, and text that is not JSON is a string. */
export function parseLoose(text) {
  const trimmed = text.trim();
  if (trimmed === "") return undefined;
  try {
    return JSON.parse(trimmed);
  } catch {
    return trimmed;
  }
}

/** JSON from a text field, or an Error naming the problem. */
export function parseStrict(text, what) {
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new Error(`${what} is not valid JSON: ${error.message}`);
  }
}

/** Show `text` in an `<output>`-like node, with `ok`/`error` as its state. */
export function say(node, text, state = "ok") {
  node.textContent = text;
  node.dataset.state = state;
}

/** Run `fn` every `ms` while the page lives; returns a stop function. */
export function every(ms, fn) {
  fn();
  const timer = setInterval(fn, ms);
  return () => clearInterval(timer);
}
