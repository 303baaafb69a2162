  // Part 4 of the widget: the outbox (kept across reloads) and HTTP sending and polling.
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

