// The console's entry point: find out where it runs, then start every panel.

import { detectMode } from "./backend.js";
import { $ } from "./dom.js";
import { channelsPanel } from "./channels_panel.js";
import { connectionPanel } from "./connection_panel.js";
import { framesLog } from "./frames_log.js";
import { localPanels } from "./local_panels.js";
import { messagesPanel } from "./messages_panel.js";
import { Session } from "./session.js";
import { storagePanel } from "./storage_panel.js";
import { tokenPanel } from "./token_panel.js";

const mode = await detectMode();
document.body.dataset.mode = mode.local ? "local" : "deployed";
$("#mode").textContent = mode.local ? `make dev · ${mode.wsUrl}` : mode.wsUrl;

const session = new Session(mode, framesLog());
window.consoleSession = session; // for a look from the browser's devtools
tokenPanel(session);
connectionPanel(session);
channelsPanel(session);
messagesPanel(session);
storagePanel(session);
if (mode.local) localPanels();
document.body.dataset.ready = "true";
