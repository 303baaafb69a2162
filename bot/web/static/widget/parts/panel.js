  // Part 2 of the widget (bot/web/routes/widget.py joins the parts): the panel in a shadow root, open / close.
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

