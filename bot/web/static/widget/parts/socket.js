  // Part 5 of the widget: the WebSocket with heartbeats and reconnects; going offline and back.
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

