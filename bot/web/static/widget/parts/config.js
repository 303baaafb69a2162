/*
 * 在线客服 chat widget. One tag adds it to any shop page:
 *
 *   <script src="https://客服域名/widget.js" data-shop-name="小马优选" defer></script>
 *
 * Optional data attributes: data-customer-token (signed customer id, see docs/WIDGET.md),
 * data-accent (#rrggbb), data-open="true" (start open), data-transport="http" (no WebSocket).
 *
 * Everything the customer, the assistant or an agent wrote is put on the page with textContent,
 * never as HTML. Messages typed while the network is down wait in localStorage and are sent when
 * it is back; each carries a client_id so a resend is never processed twice.
 *
 * Source layout: `/widget.js` is these parts joined in order inside one function (WIDGET_PARTS in
 * bot/web/routes/widget.py), so they share one scope and a part alone is not a script:
 * config.js (settings from the tag, storage, the session, state), panel.js (the panel, open /
 * close), messages.js (rendering), outbox.js (the outbox, HTTP), socket.js (WebSocket, offline),
 * start.js (input, start, window.ShopChat).
 *
 * Part 1: settings from the tag, storage, the session and the widget's state.
 */
  "use strict";
  if (window.__shopChatWidget) return;
  window.__shopChatWidget = true;

  var script = document.currentScript || (function () {
    var found = document.querySelectorAll('script[src*="widget.js"]');
    return found[found.length - 1];
  })();
  var data = (script && script.dataset) || {};
  var BASE = (data.api || new URL(script.src, location.href).origin).replace(/\/+$/, "");
  var WS_BASE = BASE.replace(/^http/, "ws");
  var NS = "shopchat:" + BASE + ":";
  var TOKEN = data.customerToken || "";
  var WHO = TOKEN ? (TOKEN.split(".")[1] || "") : "";
  var HTTP_ONLY = data.transport === "http" || typeof WebSocket === "undefined";
  var POLL_MS = 3000;
  var PING_MS = 20000;
  var DEAD_MS = 45000;
  var MAX_BACKOFF_MS = 15000;

  // -- storage (private browsing may refuse it: then the widget simply forgets on reload) -------
  function load(store, key, fallback) {
    try {
      var value = window[store].getItem(NS + key);
      return value === null ? fallback : JSON.parse(value);
    } catch (e) { return fallback; }
  }
  function save(store, key, value) {
    try { window[store].setItem(NS + key, JSON.stringify(value)); } catch (e) { /* full or disabled */ }
  }

  function randomId(prefix, bytes) {
    var buf = new Uint8Array(bytes);
    (window.crypto || window.msCrypto).getRandomValues(buf);
    return prefix + Array.prototype.map.call(buf, function (b) { return ("0" + b.toString(16)).slice(-2); }).join("");
  }

  // A session belongs to one customer: another signed-in customer (or none) on this browser
  // starts a new one and never sees the previous customer's conversation.
  var session = load("localStorage", "session", null);
  if (!session || !session.id || session.who !== WHO) {
    session = { id: randomId("w-", 16), who: WHO };
    save("localStorage", "session", session);
  }
  var SID = session.id;
  var OUTBOX_KEY = "outbox:" + SID;

  var state = {
    lastId: 0,
    byId: {},
    pendingEls: {},
    outbox: load("localStorage", OUTBOX_KEY, []),
    inflight: {},
    mode: "bot",
    agent: null,
    queue: null,
    ws: null,
    wsReady: false,
    wsFailures: 0,
    useHttp: HTTP_ONLY,
    backoff: 1000,
    reconnectTimer: null,
    pollTimer: null,
    pingTimer: null,
    lastFrameAt: 0,
    typingTimer: null,
    unread: 0,
    seenId: load("localStorage", "seen:" + SID, 0), // the newest message the customer has had open
    maxChars: 2000,
    status: null,
    sending: false
  };

