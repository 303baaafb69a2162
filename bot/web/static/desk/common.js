/* 客服台 shared code: API calls with the CSRF token, labels, shop-time formatting, countdowns,
   live events (Server-Sent Events) with reconnect, and a tiny DOM builder.

   Rule for every page: text from the API is put into the page with textContent (via `el`),
   never with innerHTML — descriptions, transcripts and notes are the customers' own words. */
"use strict";

const Desk = (() => {
  const data = JSON.parse(document.getElementById("desk-data").textContent);
  const issueLabels = Object.fromEntries(data.issue_types.map((t) => [t.key, t.label]));
  const state = { me: null, csrf: null, agents: {}, clockOffset: 0 };

  /* el("span", {class: "badge", text: label, title: full, data: {id}}, child, "text", …) */
  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    for (const [key, value] of Object.entries(attrs || {})) {
      if (value === null || value === undefined || value === false) continue;
      if (key === "class") node.className = value;
      else if (key === "text") node.textContent = String(value);
      else if (key === "data") Object.entries(value).forEach(([k, v]) => { node.dataset[k] = String(v); });
      else if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
      else node.setAttribute(key, value === true ? "" : String(value));
    }
    for (const child of children.flat()) {
      if (child === null || child === undefined || child === false) continue;
      node.append(child instanceof Node ? child : document.createTextNode(String(child)));
    }
    return node;
  }

  function loginUrl(reason) {
    const here = location.pathname + location.search;
    return `/desk/login?next=${encodeURIComponent(here)}${reason ? `&error=${reason}` : ""}`;
  }

  class ApiError extends Error {
    constructor(status, body) {
      super((body && body.message) || `请求失败（${status}）`);
      this.status = status;
      this.code = body && body.error;
    }
  }

  async function api(method, path, body) {
    const headers = { Accept: "application/json" };
    const options = { method, headers, credentials: "same-origin", cache: "no-store" };
    if (body !== undefined) {
      headers["Content-Type"] = "application/json";
      options.body = JSON.stringify(body);
    }
    if (method !== "GET" && state.csrf) headers["X-CSRF-Token"] = state.csrf;
    let response;
    try {
      response = await fetch(path, options);
    } catch (err) {
      throw new ApiError(0, { error: "network", message: "网络连接失败，请检查网络后重试。" });
    }
    const serverDate = Date.parse(response.headers.get("Date") || "");
    if (!Number.isNaN(serverDate)) {
      // Countdowns follow the server's clock; ignore the header's one-second rounding.
      const offset = serverDate - Date.now();
      state.clockOffset = Math.abs(offset) > 3000 ? offset : 0;
    }
    let payload = null;
    try { payload = await response.json(); } catch (err) { payload = null; }
    if (response.status === 401) {
      location.assign(loginUrl("session_expired"));
      throw new ApiError(401, payload);
    }
    if (response.status === 403 && payload && payload.error === "csrf_failed") {
      await loadMe();  // a new session elsewhere: take its token and let the agent retry
    }
    if (!response.ok) throw new ApiError(response.status, payload);
    return payload;
  }

  async function loadMe() {
    const me = await api("GET", "/api/me");
    state.me = me.agent;
    state.csrf = me.csrf_token;
    if (me.shop && me.shop.timezone) data.shop.timezone = me.shop.timezone;
    showShopWarnings(me.warnings || []);
    return me;
  }

  /* Problems the shop must fix (e.g. holiday data missing for the coming weeks), under the top bar. */
  function showShopWarnings(warnings) {
    document.querySelectorAll(".shop-warning").forEach((node) => node.remove());
    const anchor = document.querySelector("header.topbar");
    if (!anchor) return;
    for (const warning of warnings.slice().reverse()) {
      anchor.after(el("p", { class: "alert alert-warning shop-warning", role: "alert", text: warning.message,
                             data: { code: warning.code || "" } }));
    }
  }

  async function loadAgents() {
    try {
      const answer = await api("GET", "/api/agents");
      state.agents = Object.fromEntries(answer.agents.map((a) => [a.name, a]));
    } catch (err) { state.agents = {}; }
    return state.agents;
  }

  function agentName(name) {
    if (!name) return "未认领";
    const agent = state.agents[name];
    return agent && agent.display_name ? `${agent.display_name}（${name}）` : name;
  }

  function actorName(actor) {
    if (actor === "bot") return "智能助手";
    if (actor === "system") return "系统";
    if (actor === "customer") return "顾客";
    return agentName(actor);
  }

  /* -- time ---------------------------------------------------------------------------- */
  const now = () => Date.now() + state.clockOffset;

  function formatTime(iso, withDate = true) {
    if (!iso) return "—";
    const options = { timeZone: data.shop.timezone, hour: "2-digit", minute: "2-digit", hour12: false };
    if (withDate) Object.assign(options, { month: "2-digit", day: "2-digit" });
    return new Intl.DateTimeFormat("zh-CN", options).format(new Date(iso));
  }

  function clock(ms) {
    const total = Math.floor(Math.abs(ms) / 1000);
    const pad = (n) => String(n).padStart(2, "0");
    const days = Math.floor(total / 86400);
    const hours = Math.floor((total % 86400) / 3600);
    const minutes = Math.floor((total % 3600) / 60);
    const seconds = total % 60;
    if (days) return `${days}天 ${pad(hours)}:${pad(minutes)}:${pad(seconds)}`;
    if (hours) return `${pad(hours)}:${pad(minutes)}:${pad(seconds)}`;
    return `${pad(minutes)}:${pad(seconds)}`;
  }

  const DONE = new Set(["resolved", "closed"]);

  /* What the countdown of a ticket says now: to the first response while nobody has answered,
     then to the resolution; nothing once it is done. */
  function countdown(ticket) {
    if (DONE.has(ticket.status)) return { text: "—", cls: "countdown done" };  // the status says it all
    const responded = Boolean(ticket.first_responded_at);
    const due = Date.parse(responded ? ticket.resolution_due : ticket.first_response_due);
    const left = due - now();
    const what = responded ? "解决" : "";
    if (left < 0) return { text: `${what}已超时 ${clock(left)}`, cls: "countdown overdue" };
    const soon = left < (responded ? 3600e3 : 120e3);
    return { text: `${what}剩余 ${clock(left)}`, cls: `countdown${soon ? " soon" : ""}` };
  }

  /* Every element with data-countdown (a ticket's JSON kept in a WeakMap) ticks each second. */
  const ticking = new WeakMap();
  function watchCountdown(node, ticket) {
    ticking.set(node, ticket);
    node.dataset.countdown = ticket.id;
    paint(node);
    return node;
  }
  function paint(node) {
    const ticket = ticking.get(node);
    if (!ticket) return;
    const { text, cls } = countdown(ticket);
    if (node.textContent !== text) node.textContent = text;
    if (node.className !== cls) node.className = cls;
    node.title = ticket.first_responded_at
      ? `解决时限：${ticket.resolution_due_text || formatTime(ticket.resolution_due)}`
      : `首次响应时限：${ticket.first_response_due_text || formatTime(ticket.first_response_due)}`;
  }
  setInterval(() => document.querySelectorAll("[data-countdown]").forEach(paint), 1000);

  /* -- labels and badges ----------------------------------------------------------------- */
  function priorityBadge(ticket) {
    const label = ticket.priority_label || data.priorities[ticket.priority] || ticket.priority;
    return el("span", { class: `badge priority-${ticket.priority}`, text: label });
  }
  function statusBadge(ticket) {
    const label = ticket.status_label || data.statuses[ticket.status] || ticket.status;
    return el("span", { class: `badge status-${ticket.status}`, text: label });
  }

  /* -- live events ------------------------------------------------------------------------ */
  /* EventSource reconnects by itself after a dropped stream (sending Last-Event-ID, so nothing is
     missed); when the server refuses it (login expired, server restarting) it gives up, so we try
     again with a growing pause, ask for what we missed, and let the page reload its data. */
  const extraHandlers = {};  // kind → [handler] registered by page parts (live.js) with onLive()
  function onLive(kind, handler) { (extraHandlers[kind] = extraHandlers[kind] || []).push(handler); }

  function liveEvents(pageHandlers, indicator, onResync) {
    const handlers = { ...pageHandlers };
    for (const [kind, extra] of Object.entries(extraHandlers)) {
      const own = handlers[kind];
      handlers[kind] = (data, frame) => { if (own) own(data, frame); extra.forEach((fn) => fn(data, frame)); };
    }
    let source = null;
    let retry = 1000;
    let timer = null;
    let lastId = "";
    let dropped = false;
    const show = (text, cls) => {
      if (!indicator) return;
      indicator.textContent = text;
      indicator.className = `live ${cls}`;
    };
    const connect = () => {
      timer = null;
      const url = lastId ? `/api/desk/events?last_event_id=${encodeURIComponent(lastId)}` : "/api/desk/events";
      source = new EventSource(url);
      show("实时更新连接中…", "connecting");
      source.onopen = () => {
        retry = 1000;
        show("实时更新已连接", "on");
        if (dropped && onResync) onResync();
        dropped = false;
      };
      source.onerror = () => {
        if (source.readyState === EventSource.CLOSED) {
          dropped = true;
          show("实时更新已断开，正在重连…", "off");
          source.close();
          api("GET", "/api/me").catch(() => {});  // goes to the login page when the session ended
          if (!timer) timer = setTimeout(connect, retry);
          retry = Math.min(retry * 2, 30000);
        } else {
          show("实时更新重连中…", "connecting");
        }
      };
      for (const [kind, handler] of Object.entries(handlers)) {
        source.addEventListener(kind, (event) => {
          if (event.lastEventId) lastId = event.lastEventId;
          let frame;
          try { frame = JSON.parse(event.data); } catch (err) { return; }
          handler(frame.data || {}, frame);
        });
      }
    };
    connect();
    window.addEventListener("pagehide", () => source && source.close());
    return { close: () => source && source.close() };
  }

  /* -- small UI helpers ------------------------------------------------------------------- */
  function toast(message, kind = "info") {
    let box = document.getElementById("toasts");
    if (!box) {
      box = el("div", { id: "toasts", role: "status", "aria-live": "polite" });
      document.body.append(box);
    }
    const item = el("div", { class: `toast toast-${kind}`, text: message });
    while (box.children.length >= 3) box.firstElementChild.remove();
    box.append(item);
    setTimeout(() => item.remove(), kind === "error" ? 6000 : 3000);
  }

  function fillTopbar() {
    const who = document.getElementById("whoami");
    if (who && state.me) who.textContent = `${state.me.display_name}（${state.me.name}）`;
    const logout = document.getElementById("logout");
    if (logout) {
      logout.addEventListener("click", async () => {
        try { await api("POST", "/desk/logout"); } catch (err) { /* the session is gone either way */ }
        location.assign("/desk/login?notice=logged_out");
      });
    }
  }

  /* -- reasons for ending a ticket nobody answered ------------------------------------------- */
  /* One list for closing one ticket (ticket.html) and several (queue.html): the value is what the
     customer is told, the label what the agent picks; the last one is the agent's own words.
     Every <select data-close-reasons> is filled from it when the page loads. */
  const CLOSE_REASONS = [
    ["已电话联系您并处理完毕", "已电话联系顾客并处理完毕"],
    ["您已撤回这次投诉", "顾客撤回"],
    ["已在订单后台为您处理完毕", "已在订单后台处理"],
    ["同一问题已在您的另一张工单中处理", "重复工单，已在另一张工单处理"],
    ["", "其他（请填写）"],
  ];
  function fillCloseReasons(select) {
    select.replaceChildren(...CLOSE_REASONS.map(([value, label]) => el("option", { value, text: label })));
    return select;
  }
  document.querySelectorAll("select[data-close-reasons]").forEach(fillCloseReasons);

  /* -- early warning (预警) banner ------------------------------------------------------------ */
  function showAlerts(node, alerts) {
    if (!node) return;
    node.replaceChildren(...(alerts || []).map((a) => el("div", { class: "alert alert-warn", role: "alert" },
      el("strong", { text: "预警" }),
      ` 今天「${a.label}」已有 ${a.count} 件投诉，过去 14 天日均 ${a.baseline} 件。`,
      location.pathname === "/desk/stats" ? null : el("a", { href: "/desk/stats", text: "查看统计" }))));
    node.hidden = !node.children.length;
  }

  /* Polls today's spikes (every minute, and soon after a new ticket when `nudge()` is called). */
  function watchAlerts(node, everyMs = 60000) {
    const check = async () => {
      try { showAlerts(node, (await api("GET", "/api/stats/alerts")).alerts); } catch (err) { /* next time */ }
    };
    check();
    setInterval(check, everyMs);
    return { nudge: debounce(check, 2000) };
  }

  function debounce(fn, ms) {
    let timer = null;
    return (...args) => { clearTimeout(timer); timer = setTimeout(() => fn(...args), ms); };
  }

  return {
    data, state, el, api, ApiError, loadMe, loadAgents, agentName, actorName, formatTime, countdown,
    watchCountdown, priorityBadge, statusBadge, liveEvents, toast, fillTopbar, debounce, issueLabels, now,
    showAlerts, watchAlerts, onLive, clock, CLOSE_REASONS, fillCloseReasons,
  };
})();
