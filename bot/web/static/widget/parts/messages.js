  // Part 3 of the widget: messages as the customer sees them (text, buttons, photos, notices, banners).
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

