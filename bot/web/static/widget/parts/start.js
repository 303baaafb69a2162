  // Part 6 of the widget: the input box, the first load and window.ShopChat.
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
