// Claims presets of the token panel's editor. `{uid}` is replaced by the uid field's value.

const tomorrow = () => Math.floor(Date.now() / 1000) + 86400;

const everything = () => ({
  subscribe: true,
  historyStart: 0,
  messages: {
    "*": { publish: true, echo: true, store: 3600, react: true, scheduleBefore: tomorrow() },
    "hotsock.messageReaction": { echo: true },
  },
  storage: { "*": { observe: true, get: true, set: true, store: 60, scheduleBefore: tomorrow() } },
});

export const PRESETS = {
  "chat user": {
    scope: "connect",
    claims: (uid) => ({
      uid,
      umd: { name: uid },
      keepAlive: true,
      channels: { "*": everything() },
    }),
  },
  "presence viewer": {
    scope: "connect",
    claims: (uid) => ({
      uid,
      umd: { name: uid, role: "viewer" },
      channels: { "presence.*": { subscribe: true, getInfo: true } },
    }),
  },
  "storage observer": {
    scope: "connect",
    claims: (uid) => ({
      uid,
      channels: { "*": { subscribe: true, storage: { "*": { observe: true, get: true } } } },
    }),
  },
  "umd updater": {
    scope: "umd",
    claims: (uid) => ({
      uid,
      umd: { name: uid, status: "away" },
      umdUpdate: true,
      umdPropagate: true,
      channels: { "*": { umdUpdate: true } },
    }),
  },
};
