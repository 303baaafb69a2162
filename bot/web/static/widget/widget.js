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
 */
(function () {
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

  // -- DOM --------------------------------------------------------------------------------------
  function el(tag, cls, text) {
    var node = document.createElement(tag);
    if (cls) node.className = cls;
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  }

  function chatIcon() {
    var svgNs = "http://www.w3.org/2000/svg";
    var svg = document.createElementNS(svgNs, "svg");
    svg.setAttribute("viewBox", "0 0 24 24");
    svg.setAttribute("width", "20");
    svg.setAttribute("height", "20");
    svg.setAttribute("aria-hidden", "true");
    svg.setAttribute("class", "sc-bubble-icon");
    var path = document.createElementNS(svgNs, "path");
    path.setAttribute("fill", "currentColor");
    path.setAttribute("d", "M12 3C6.5 3 2 6.6 2 11c0 2.4 1.3 4.6 3.4 6.1L4.6 21l4.3-2.3c1 .2 2 .3 3.1.3 5.5 0 10-3.6 " +
      "10-8s-4.5-8-10-8zm-4 9.3a1.3 1.3 0 1 1 0-2.6 1.3 1.3 0 0 1 0 2.6zm4 0a1.3 1.3 0 1 1 0-2.6 1.3 1.3 0 0 1 0 " +
      "2.6zm4 0a1.3 1.3 0 1 1 0-2.6 1.3 1.3 0 0 1 0 2.6z");
    svg.appendChild(path);
    return svg;
  }

  var host = el("div");
  host.id = "shop-chat-widget";
  var root = host.attachShadow ? host.attachShadow({ mode: "open" }) : host;
  var css = el("link");
  css.rel = "stylesheet";
  css.href = BASE + "/widget/widget.css";
  root.appendChild(css);

  var frame = el("div", "sc-root");
  frame.hidden = true; // shown once the stylesheet is in, so nothing flashes unstyled
  css.addEventListener("load", function () { frame.hidden = false; });
  css.addEventListener("error", function () { frame.hidden = false; });
  if (/^#[0-9a-fA-F]{6}$/.test(data.accent || "")) frame.style.setProperty("--sc-accent", data.accent);
  root.appendChild(frame);

  var bubble = el("button", "sc-bubble");
  bubble.type = "button";
  bubble.setAttribute("aria-label", "打开在线客服");
  bubble.setAttribute("aria-expanded", "false");
  bubble.appendChild(chatIcon());
  bubble.appendChild(el("span", "sc-bubble-label", "在线客服"));
  var badge = el("span", "sc-badge");
  badge.hidden = true;
  bubble.appendChild(badge);

  var panel = el("section", "sc-panel");
  panel.setAttribute("role", "dialog");
  panel.setAttribute("aria-label", "在线客服");
  panel.hidden = true;

  var header = el("header", "sc-header");
  var titles = el("div", "sc-titles");
  var shopTitle = el("strong", "sc-shop", data.shopName || "在线客服");
  var subTitle = el("span", "sc-sub", "智能助手为您服务");
  titles.appendChild(shopTitle);
  titles.appendChild(subTitle);
  var closeBtn = el("button", "sc-close", "×");
  closeBtn.type = "button";
  closeBtn.setAttribute("aria-label", "收起对话");
  header.appendChild(titles);
  header.appendChild(closeBtn);

  var offHours = el("div", "sc-banner sc-offhours");
  offHours.hidden = true;
  var connBanner = el("div", "sc-banner sc-conn");
  connBanner.setAttribute("role", "status");
  connBanner.hidden = true;
  var noticeBar = el("div", "sc-banner sc-notice");
  noticeBar.setAttribute("role", "alert");
  noticeBar.hidden = true;

  var log = el("div", "sc-log");
  log.setAttribute("role", "log");
  log.setAttribute("aria-live", "polite");

  var typing = el("div", "sc-typing");
  typing.hidden = true;
  typing.setAttribute("aria-label", "对方正在输入");
  typing.appendChild(el("span", "sc-dot"));
  typing.appendChild(el("span", "sc-dot"));
  typing.appendChild(el("span", "sc-dot"));
  typing.appendChild(el("em", null, "正在输入…"));

  var form = el("form", "sc-form");
  var input = el("textarea", "sc-input");
  input.rows = 1;
  input.placeholder = "请输入您的问题…";
  input.setAttribute("aria-label", "输入消息");
  var sendBtn = el("button", "sc-send", "发送");
  sendBtn.type = "submit";
  // Evidence photos: camera or album on a phone (no `capture`, so both are offered).
  var photoBtn = el("button", "sc-photo", "图片");
  photoBtn.type = "button";
  photoBtn.setAttribute("aria-label", "发送图片（JPG、PNG、WebP）");
  var photoInput = document.createElement("input");
  photoInput.type = "file";
  photoInput.accept = "image/jpeg,image/png,image/webp";
  photoInput.className = "sc-photo-input";
  photoInput.hidden = true;
  photoInput.setAttribute("aria-hidden", "true");
  photoInput.tabIndex = -1;
  form.appendChild(photoBtn);
  form.appendChild(photoInput);
  form.appendChild(input);
  form.appendChild(sendBtn);
  var foot = el("div", "sc-foot");
  var counter = el("span", "sc-count");
  foot.appendChild(counter);

  panel.appendChild(header);
  panel.appendChild(offHours);
  panel.appendChild(connBanner);
  panel.appendChild(log);
  panel.appendChild(typing);
  panel.appendChild(noticeBar);
  panel.appendChild(form);
  panel.appendChild(foot);
  frame.appendChild(panel);
  frame.appendChild(bubble);

  function attach() { document.body.appendChild(host); }
  if (document.body) attach(); else document.addEventListener("DOMContentLoaded", attach);

  // -- open / close -------------------------------------------------------------------------------
  function setOpen(open) {
    panel.hidden = !open;
    frame.classList.toggle("sc-is-open", open);
    bubble.setAttribute("aria-expanded", open ? "true" : "false");
    save("sessionStorage", "open", open);
    if (open) {
      state.unread = 0;
      badge.hidden = true;
      markSeen();
      scrollDown();
      setTimeout(function () { input.focus(); }, 0);
    }
  }
  bubble.addEventListener("click", function () { setOpen(panel.hidden); });
  closeBtn.addEventListener("click", function () { setOpen(false); bubble.focus(); });
  panel.addEventListener("keydown", function (event) {
    if (event.key === "Escape") { setOpen(false); bubble.focus(); return; }
    if (event.key === "Tab") trapFocus(event);
  });
  // On a phone the panel covers the page (the bubble is hidden): Tab cycles inside it.
  function trapFocus(event) {
    if (bubble.getClientRects().length) return;
    var items = Array.prototype.filter.call(panel.querySelectorAll("button, textarea, input, a[href], [tabindex]"),
      function (n) { return !n.disabled && n.tabIndex >= 0 && n.getClientRects().length > 0; });
    if (!items.length) return;
    var active = root.activeElement || document.activeElement;
    var first = items[0], last = items[items.length - 1];
    if (event.shiftKey && (active === first || items.indexOf(active) < 0)) { event.preventDefault(); last.focus(); }
    else if (!event.shiftKey && (active === last || items.indexOf(active) < 0)) { event.preventDefault(); first.focus(); }
  }

  function markSeen() {
    if (state.lastId > state.seenId) {
      state.seenId = state.lastId;
      save("localStorage", "seen:" + SID, state.seenId);
    }
  }

  // -- rendering ----------------------------------------------------------------------------------
  function scrollDown() { log.scrollTop = log.scrollHeight; }

  function timeText(iso) {
    var d = new Date(iso);
    if (isNaN(d.getTime())) return "";
    return ("0" + d.getHours()).slice(-2) + ":" + ("0" + d.getMinutes()).slice(-2);
  }

  function senderLabel(message) {
    if (message.sender === "agent") return "客服 " + ((message.meta && message.meta.display_name) || "");
    if (message.sender === "bot") return "智能助手";
    return "";
  }

  function buttonsFor(message) {
    var box = el("div", "sc-buttons");
    (message.buttons || []).forEach(function (button) {
      var b = el("button", "sc-choice", button.title || button.payload);
      b.type = "button";
      b.addEventListener("click", function () {
        if (box.classList.contains("sc-used")) return;
        box.classList.add("sc-used");
        send(button.payload || button.title, button.title);
      });
      box.appendChild(b);
    });
    return box;
  }

  // Choices belong to the latest question: once the customer answers, older buttons go quiet.
  function retireButtons() {
    var boxes = log.querySelectorAll(".sc-buttons:not(.sc-used)");
    for (var i = 0; i < boxes.length; i++) boxes[i].classList.add("sc-used");
  }

  function messageNode(message) {
    var sender = message.sender;
    var node = el("div", "sc-msg sc-" + sender);
    node.setAttribute("data-sender", sender);
    if (message.meta && message.meta.kind) node.setAttribute("data-kind", message.meta.kind);
    if (sender === "system") {
      node.appendChild(el("span", "sc-system-text", message.text));
      return node;
    }
    var label = senderLabel(message);
    if (label) node.appendChild(el("div", "sc-label", label));
    var shown = (sender === "customer" && message.meta && message.meta.button_title) || message.text;
    var photo = message.meta && message.meta.attachment;
    if (photo && photo.url) {
      var img = document.createElement("img");
      img.className = "sc-image";
      img.alt = "您发送的图片";
      img.loading = "lazy";
      img.src = BASE + photo.url;
      node.appendChild(img);
    } else {
      node.appendChild(el("div", "sc-text", shown));
    }
    if (message.created_at) node.setAttribute("data-time", timeText(message.created_at)); // shown under the bubble
    if (message.buttons && message.buttons.length) node.appendChild(buttonsFor(message));
    return node;
  }

  // Stored messages in id order above the ones still being sent; the local greeting stays on top.
  function insertInOrder(node, id) {
    var children = log.children;
    for (var i = 0; i < children.length; i++) {
      var other = children[i];
      if (other.classList.contains("sc-pending") || Number(other.getAttribute("data-id") || 0) > id) {
        log.insertBefore(node, other);
        return;
      }
    }
    log.appendChild(node);
  }

  function render(message, live) {
    if (!message || typeof message.id !== "number" || state.byId[message.id]) return;
    var clientId = message.meta && message.meta.client_id;
    var node;
    if (clientId && state.pendingEls[clientId]) {
      node = state.pendingEls[clientId];
      delete state.pendingEls[clientId];
      var fresh = messageNode(message);
      node.replaceWith(fresh);
      node = fresh;
      dropFromOutbox(clientId);
    } else {
      node = messageNode(message);
      if (clientId) dropFromOutbox(clientId);
      if (message.sender === "customer") retireButtons();
      insertInOrder(node, message.id);
    }
    node.setAttribute("data-id", String(message.id));
    state.byId[message.id] = node;
    if (message.id > state.lastId) state.lastId = message.id;
    if (message.sender !== "customer") {
      if (message.sender !== "system") typingOff();
      // Unread: only what arrived since the customer last had the chat open (not the history on reload).
      if (panel.hidden && message.id > state.seenId) {
        state.unread += 1;
        badge.textContent = String(state.unread);
        badge.hidden = false;
      }
    }
    if (!panel.hidden) markSeen();
    removeGreeting();
    scrollDown();
  }

  var greeting = null;
  function showGreeting() {
    if (greeting || log.querySelector(".sc-msg[data-id]")) return;
    greeting = el("div", "sc-msg sc-bot sc-local");
    greeting.setAttribute("data-sender", "bot");
    greeting.appendChild(el("div", "sc-label", "智能助手"));
    greeting.appendChild(el("div", "sc-text", data.greeting ||
      "您好，我是" + (data.shopName || "本店") + "的客服小助手。遇到什么问题了？直接告诉我就好，订单号、想怎么处理也可以一起说。"));
    var quick = buttonsFor({ buttons: [
      { title: "我要投诉", payload: "我要投诉" },
      { title: "查询投诉进度", payload: "我的投诉怎么样了" },
      { title: "转人工", payload: "转人工" }
    ] });
    greeting.appendChild(quick);
    log.insertBefore(greeting, log.firstChild);
  }
  function removeGreeting() {
    if (greeting && log.querySelector(".sc-msg[data-id]")) {
      var used = greeting.querySelector(".sc-buttons");
      if (used) used.classList.add("sc-used");
    }
  }

  function typingOn() {
    if (state.mode !== "bot") return;
    typing.hidden = false;
    clearTimeout(state.typingTimer);
    state.typingTimer = setTimeout(typingOff, 30000);
    scrollDown();
  }
  function typingOff() {
    typing.hidden = true;
    clearTimeout(state.typingTimer);
  }

  function sendPhoto(file) {
    if (!file) return;
    var body = new FormData();
    body.append("file", file, file.name || "photo.jpg");
    photoBtn.disabled = true;
    photoBtn.textContent = "上传中…";
    fetch(BASE + "/api/chat/" + encodeURIComponent(SID) + "/attachments", { method: "POST", body: body })
      .then(function (response) {
        return response.json().catch(function () { return {}; }).then(function (answer) {
          if (!response.ok) throw new Error(answer.message || "图片发送失败，请稍后再试。");
          return answer;
        });
      })
      .then(function () { if (typeof poll === "function") poll(); })
      .catch(function (err) { notice(err.message || "图片发送失败，请稍后再试。"); })
      .then(function () { photoBtn.disabled = false; photoBtn.textContent = "图片"; photoInput.value = ""; });
  }
  photoBtn.addEventListener("click", function () { photoInput.click(); });
  photoInput.addEventListener("change", function () { sendPhoto(photoInput.files && photoInput.files[0]); });

  function notice(text) {
    noticeBar.textContent = text;
    noticeBar.hidden = !text;
    if (text) {
      clearTimeout(noticeBar._timer);
      noticeBar._timer = setTimeout(function () { noticeBar.hidden = true; }, 8000);
    }
  }

  function setConn(text) {
    connBanner.textContent = text || "";
    connBanner.hidden = !text;
    frame.classList.toggle("sc-offline", !!text);
  }

  function applyMode(info) {
    if (!info || !info.mode) return;
    state.mode = info.mode;
    state.agent = info.agent || null;
    state.queue = info.queue || null;
    frame.setAttribute("data-mode", state.mode);
    if (state.mode === "human" && state.agent) subTitle.textContent = "客服 " + state.agent + " 为您服务";
    else if (state.mode === "human" && state.queue) {
      subTitle.textContent = "排队转人工中 · 第 " + state.queue.position + " 位，约 " + state.queue.wait_minutes + " 分钟";
    } else if (state.mode === "human") subTitle.textContent = "人工客服为您服务";
    else subTitle.textContent = "智能助手为您服务";
    if (state.mode === "human") typingOff();
  }

  function applyStatus(status) {
    state.status = status;
    if (status.max_chars || status.max_message_chars) {
      state.maxChars = status.max_message_chars || status.max_chars;
    }
    if (!data.shopName && status.shop_name) shopTitle.textContent = status.shop_name;
    if (status.open === false) {
      offHours.textContent = "现在是非工作时间，客服" + (status.next_opening_text || "稍后") + "上班（" +
        (status.hours_text || "") + "）。您可以先留言，我们会按时联系您。";
      offHours.hidden = false;
    } else {
      offHours.hidden = true;
    }
  }

  // -- the outbox: what the customer typed, until the server has stored it ---------------------------
  function saveOutbox() { save("localStorage", OUTBOX_KEY, state.outbox); }

  function dropFromOutbox(clientId) {
    var before = state.outbox.length;
    state.outbox = state.outbox.filter(function (item) { return item.client_id !== clientId; });
    delete state.inflight[clientId];
    if (state.outbox.length !== before) saveOutbox();
  }

  function pendingNode(item) {
    var node = messageNode({ sender: "customer", text: item.text, meta: { button_title: item.title } });
    node.classList.add("sc-pending");
    node.appendChild(el("div", "sc-state", "发送中…"));
    return node;
  }

  function send(text, title) {
    text = String(text || "");
    if (!text.trim()) return;
    if (text.length > state.maxChars) {
      notice("消息有点长（超过 " + state.maxChars + " 字），麻烦分几条发送，方便我们准确处理。");
      return;
    }
    var item = { client_id: randomId("c", 8), text: text, title: title || null };
    state.outbox.push(item);
    saveOutbox();
    retireButtons();
    var node = pendingNode(item);
    state.pendingEls[item.client_id] = node;
    log.appendChild(node);
    scrollDown();
    flush();
  }

  function metadata() {
    var meta = { page: location.pathname.slice(0, 200) };
    if (TOKEN) meta.customer_token = TOKEN;
    return meta;
  }

  function payloadFor(item) {
    var body = { text: item.text, client_id: item.client_id, metadata: metadata() };
    if (item.title) body.button_title = item.title;
    return body;
  }

  function flush() {
    if (!state.outbox.length) return;
    if (state.wsReady && state.ws) {
      state.outbox.forEach(function (item) {
        if (state.inflight[item.client_id]) return;
        var frameOut = payloadFor(item);
        frameOut.type = "message";
        try {
          state.ws.send(JSON.stringify(frameOut));
          state.inflight[item.client_id] = true;
          typingOn();
        } catch (e) { /* the close handler reconnects and resends */ }
      });
    } else if (state.useHttp) {
      postNext();
    }
  }

  function failed(clientId, errorBody) {
    var node = state.pendingEls[clientId];
    dropFromOutbox(clientId);
    typingOff();
    notice((errorBody && errorBody.message) || "消息没有发送成功，请稍后再试。");
    if (node) {
      // The server kept it when it says so (too long, too fast); the stored copy arrives by id.
      delete state.pendingEls[clientId];
      node.remove();
    }
    poll();
  }

  function handleResult(result) {
    typingOff();
    if (result.mode) applyMode(result.mode === "human" ? result : { mode: result.mode });
    if (result.queue) applyMode({ mode: "human", queue: result.queue });
  }

  // -- HTTP: POST and polling (fallback, and when data-transport="http") -----------------------------
  function request(method, path, body) {
    var controller = window.AbortController ? new AbortController() : null;
    var timer = controller ? setTimeout(function () { controller.abort(); }, 30000) : null;
    return fetch(BASE + path, {
      method: method,
      headers: body ? { "Content-Type": "application/json" } : {},
      body: body ? JSON.stringify(body) : undefined,
      signal: controller ? controller.signal : undefined,
      credentials: "omit",
      cache: "no-store"
    }).then(function (response) {
      if (timer) clearTimeout(timer);
      return response.json().catch(function () { return {}; }).then(function (json) {
        return { status: response.status, body: json };
      });
    }, function (error) {
      if (timer) clearTimeout(timer);
      throw error;
    });
  }

  function postNext() {
    if (state.sending || !state.outbox.length) return;
    var item = state.outbox[0];
    state.sending = true;
    typingOn();
    request("POST", "/api/chat/" + encodeURIComponent(SID) + "/messages", payloadFor(item)).then(function (answer) {
      state.sending = false;
      if (answer.status >= 500) throw new Error("server " + answer.status);
      networkBack();
      if (answer.status >= 400) failed(item.client_id, answer.body);
      else {
        dropFromOutbox(item.client_id);
        handleResult(answer.body);
      }
      return poll().then(postNext);
    }).catch(function () {
      state.sending = false;
      networkLost();
    });
  }

  function poll() {
    return request("GET", "/api/chat/" + encodeURIComponent(SID) + "/messages?after=" + state.lastId).then(function (answer) {
      if (answer.status !== 200) throw new Error("server " + answer.status);
      (answer.body.messages || []).forEach(function (m) { render(m, true); });
      applyMode(answer.body);
      if (state.useHttp) networkBack();
    });
  }

  function startPolling() {
    clearInterval(state.pollTimer);
    state.pollTimer = setInterval(function () {
      poll().catch(function () { if (state.useHttp) networkLost(); });
    }, POLL_MS);
  }

  // -- WebSocket, with reconnects ---------------------------------------------------------------
  function connect() {
    clearTimeout(state.reconnectTimer);
    if (state.ws || HTTP_ONLY) return;
    var opened = false;
    var ws;
    try {
      ws = new WebSocket(WS_BASE + "/api/chat/" + encodeURIComponent(SID) + "/ws?after=" + state.lastId);
    } catch (e) {
      onClosed(false);
      return;
    }
    state.ws = ws;
    ws.onopen = function () { opened = true; state.lastFrameAt = Date.now(); };
    ws.onmessage = function (event) {
      state.lastFrameAt = Date.now();
      if (state.wsReady && !connBanner.hidden) networkBack(); // the socket answers again: online
      var frameIn;
      try { frameIn = JSON.parse(event.data); } catch (e) { return; }
      onFrame(frameIn);
    };
    ws.onclose = function () {
      if (state.ws !== ws) return;
      state.ws = null;
      state.wsReady = false;
      state.inflight = {};
      clearInterval(state.pingTimer);
      onClosed(opened);
    };
    ws.onerror = function () { /* onclose follows */ };
  }

  function onFrame(f) {
    if (f.type === "hello") applyMode(f);
    else if (f.type === "message") render(f.message, true);
    else if (f.type === "ready") {
      state.wsReady = true;
      state.wsFailures = 0;
      state.useHttp = false;
      clearInterval(state.pollTimer);
      networkBack();
      clearInterval(state.pingTimer);
      state.pingTimer = setInterval(heartbeat, PING_MS);
      flush();
    } else if (f.type === "result") {
      if (f.client_id) dropFromOutbox(f.client_id);
      handleResult(f);
    } else if (f.type === "error") {
      if (f.client_id) failed(f.client_id, f);
      else notice(f.message);
    } else if (f.type === "mode") applyMode(f);
  }

  function heartbeat() {
    if (!state.ws) return;
    if (Date.now() - state.lastFrameAt > DEAD_MS) {
      // No answer for a while: the connection is dead even if the browser has not noticed.
      try { state.ws.close(); } catch (e) { /* ignore */ }
      var dead = state.ws;
      state.ws = null;
      state.wsReady = false;
      state.inflight = {};
      if (dead) dead.onclose = null;
      onClosed(true);
      return;
    }
    try { state.ws.send(JSON.stringify({ type: "ping" })); } catch (e) { /* close follows */ }
  }

  function onClosed(hadOpened) {
    if (!hadOpened) state.wsFailures += 1;
    if (state.wsFailures >= 2 && !state.useHttp) {
      // WebSockets do not get through here (a proxy, a firewall): talk over plain HTTP instead,
      // and try the socket again now and then.
      state.useHttp = true;
      startPolling();
      poll().then(function () { networkBack(); flush(); }, networkLost);
    }
    if (!state.useHttp) setConn("网络连接中断，正在重新连接…您输入的消息会在恢复后自动发出。");
    var delay = state.useHttp ? 30000 : state.backoff;
    state.backoff = Math.min(state.backoff * 2, MAX_BACKOFF_MS);
    clearTimeout(state.reconnectTimer);
    state.reconnectTimer = setTimeout(connect, delay);
  }

  function networkLost() {
    setConn("网络连接中断，正在重新连接…您输入的消息会在恢复后自动发出。");
    clearTimeout(state.retryTimer);
    state.retryTimer = setTimeout(function () {
      if (state.useHttp) poll().then(function () { flush(); }, networkLost);
    }, state.backoff);
    state.backoff = Math.min(state.backoff * 2, MAX_BACKOFF_MS);
  }

  function networkBack() {
    state.backoff = 1000;
    setConn("");
  }

  window.addEventListener("offline", function () {
    setConn("网络已断开，恢复后会自动重新连接，您输入的消息不会丢失。");
  });
  window.addEventListener("online", function () {
    state.backoff = 1000;
    if (state.ws) {
      // The socket may have survived the gap or died unnoticed: a ping tells which within seconds.
      var asked = Date.now();
      heartbeat();
      setTimeout(function () {
        if (state.ws && state.lastFrameAt < asked) { try { state.ws.close(); } catch (e) { /* onclose follows */ } }
      }, 4000);
    }
    if (state.useHttp) poll().then(function () { networkBack(); flush(); }, networkLost);
    if (!state.ws) connect();
  });

  // -- input --------------------------------------------------------------------------------------
  form.addEventListener("submit", function (event) {
    event.preventDefault();
    var text = input.value;
    if (!text.trim()) return;
    if (text.length > state.maxChars) {
      // Not cut off, not thrown away: the customer shortens or splits it themselves.
      notice("消息有点长（" + text.length + " 字，最多 " + state.maxChars + " 字），麻烦分几条发送，方便我们准确处理。");
      return;
    }
    input.value = "";
    updateCounter();
    send(text);
  });
  input.addEventListener("keydown", function (event) {
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing && event.keyCode !== 229) {
      event.preventDefault();
      form.requestSubmit ? form.requestSubmit() : form.dispatchEvent(new Event("submit", { cancelable: true }));
    }
  });
  function updateCounter() {
    var length = input.value.length;
    counter.textContent = length > state.maxChars * 0.8 ? length + " / " + state.maxChars : "";
  }
  input.addEventListener("input", updateCounter);

  // -- start ----------------------------------------------------------------------------------------
  function restorePending() {
    state.outbox.forEach(function (item) {
      var node = pendingNode(item);
      state.pendingEls[item.client_id] = node;
      log.appendChild(node);
    });
  }

  function start() {
    request("GET", "/api/shop/status").then(function (answer) {
      if (answer.status === 200) applyStatus(answer.body);
    }).catch(function () { /* the banner is a courtesy */ });
    poll().then(function () {
      showGreeting();
      restorePending();
      if (state.useHttp) { startPolling(); flush(); }
    }, function () {
      showGreeting();
      restorePending();
      if (state.useHttp) { startPolling(); networkLost(); }
    }).then(function () {
      if (!HTTP_ONLY) connect();
    });
  }

  if (data.open === "true" || load("sessionStorage", "open", false)) setOpen(true);
  start();

  // For the shop's own scripts and for tests: open the chat, or ask which session this is.
  window.ShopChat = {
    open: function () { setOpen(true); },
    close: function () { setOpen(false); },
    sessionId: function () { return SID; }
  };
})();
