/* The live lane and the online/away switch, on every desk page that loads this file.

   - 在线/暂离: the agent's own switch (PUT /api/desk/presence); "away" agents are not counted for
     the wait customers are told.
   - The lane (queue page only, #live-lane): customers waiting live for a person, longest wait
     first, with their waiting time ticking; one click opens the ticket.
   - A new live customer (`live_waiting` event) plays a short sound and raises a desktop
     notification (Notification API, once the agent allowed it), whether or not the tab is
     visible; the tab title counts them while hidden. */
"use strict";

const DeskLive = (() => {
  const { el, api } = Desk;
  const $ = (id) => document.getElementById(id);
  const POLL_MS = 30000;
  let waiting = [];
  let audio = null;
  let alerted = 0;

  /* -- presence switch -------------------------------------------------------------------- */
  function paintPresence(state) {
    const button = $("presence");
    if (!button || !state) return;
    const away = state.status === "away";
    button.dataset.status = away ? "away" : "online";
    button.setAttribute("aria-pressed", away ? "false" : "true");
    button.textContent = away ? "暂离中 · 点此上线" : "在线 · 点此暂离";
    button.title = `在线客服 ${state.agents_online} 人（顾客看到的等待时间按在线人数估算）`;
  }

  async function togglePresence() {
    const button = $("presence");
    const next = button.dataset.status === "away" ? "online" : "away";
    try {
      paintPresence(await api("PUT", "/api/desk/presence", { status: next }));
      Desk.toast(next === "away" ? "已设为暂离：新顾客的等待时间不再计入你。" : "已上线：开始接待在线顾客。", "ok");
    } catch (err) { Desk.toast(err.message, "error"); }
  }

  /* -- alerts ------------------------------------------------------------------------------- */
  function beep() {
    try {
      audio = audio || new (window.AudioContext || window.webkitAudioContext)();
      if (audio.state === "suspended") audio.resume();
      const now = audio.currentTime;
      [0, 0.18].forEach((offset, i) => {
        const tone = audio.createOscillator();
        const gain = audio.createGain();
        tone.frequency.value = i ? 1046 : 880;
        gain.gain.setValueAtTime(0.0001, now + offset);
        gain.gain.exponentialRampToValueAtTime(0.25, now + offset + 0.02);
        gain.gain.exponentialRampToValueAtTime(0.0001, now + offset + 0.16);
        tone.connect(gain).connect(audio.destination);
        tone.start(now + offset);
        tone.stop(now + offset + 0.17);
      });
    } catch (err) { /* no sound available: the notification and the lane still show it */ }
  }

  function notify(data) {
    if (!("Notification" in window) || Notification.permission !== "granted") return;
    const note = new Notification("有顾客在线等待人工", {
      body: `${data.ticket_id}：${data.description || "顾客请求转人工"}`,
      tag: `live-${data.ticket_id}`,
      requireInteraction: false,
    });
    note.onclick = () => { window.focus(); location.assign(`/desk/tickets/${encodeURIComponent(data.ticket_id)}`); };
  }

  /* A colleague assigned a ticket to this agent: a toast and a desktop notification. */
  function assignedToMe(data) {
    const me = Desk.state.me && Desk.state.me.name;
    const change = ((data && data.changes) || []).find((c) => c.action === "assigned");
    if (!me || !change || change.details.to !== me || !data.by || data.by === me) return;
    const id = data.ticket.id;
    const text = `${Desk.agentName(data.by)} 把工单 ${id} 分派给了你`;
    Desk.toast(text);
    document.body.dataset.assignedNotices = String(Number(document.body.dataset.assignedNotices || 0) + 1);
    if (!("Notification" in window) || Notification.permission !== "granted") return;
    const note = new Notification("有工单分派给你", { body: text, tag: `assigned-${id}` });
    note.onclick = () => { window.focus(); location.assign(`/desk/tickets/${encodeURIComponent(id)}`); };
  }

  function alertNew(data) {
    alerted += 1;
    document.body.dataset.liveAlerts = String(alerted);
    beep();
    notify(data);
    if (document.hidden && !document.title.startsWith("【在线等待】")) document.title = `【在线等待】${document.title}`;
  }
  document.addEventListener("visibilitychange", () => {
    if (!document.hidden) document.title = document.title.replace(/^【在线等待】/, "");
  });

  function paintPermission() {
    const button = $("notify-permission");
    if (!button) return;
    const supported = "Notification" in window;
    button.hidden = !supported || Notification.permission !== "default";
  }

  /* -- the lane ----------------------------------------------------------------------------- */
  function waitText(item) {
    const seconds = item.waiting_seconds + Math.floor((Date.now() - item.loadedAt) / 1000);
    return `已等待 ${Desk.clock(seconds * 1000)}`;
  }

  function paintLane() {
    const lane = $("live-lane");
    if (!lane) return;
    lane.hidden = waiting.length === 0;
    $("live-count").textContent = waiting.length ? `${waiting.length} 位` : "";
    $("live-list").replaceChildren(...waiting.map((item) => el("li", { class: "live-item", data: { id: item.ticket.id } },
      el("a", { href: `/desk/tickets/${encodeURIComponent(item.ticket.id)}`, class: "ticket-id", text: item.ticket.id }),
      el("span", { class: "badge live-badge", text: `第 ${item.position} 位` }),
      el("span", { class: "live-wait", data: { since: item.loadedAt }, text: waitText(item) }),
      el("span", { text: item.ticket.issue_type_label }),
      el("span", { class: "desc", text: (item.ticket.description || "").slice(0, 40) }),
      el("a", { href: `/desk/tickets/${encodeURIComponent(item.ticket.id)}`, class: "btn btn-small btn-primary",
        text: "去接待" }))));
  }

  async function refresh() {
    try {
      const answer = await api("GET", "/api/desk/live");
      const loadedAt = Date.now();
      waiting = answer.waiting.map((item) => ({ ...item, loadedAt }));
      paintPresence(answer);
      paintLane();
    } catch (err) { /* the next event or poll tries again */ }
  }
  const refreshSoon = Desk.debounce(refresh, 150);

  setInterval(() => {
    document.querySelectorAll(".live-wait").forEach((node, i) => {
      if (waiting[i]) node.textContent = waitText(waiting[i]);
    });
  }, 1000);

  function start() {
    const presence = $("presence");
    if (presence) presence.addEventListener("click", togglePresence);
    const permission = $("notify-permission");
    if (permission) {
      permission.addEventListener("click", async () => {
        try { await Notification.requestPermission(); } catch (err) { /* old browsers */ }
        paintPermission();
      });
    }
    paintPermission();
    Desk.onLive("live_waiting", (data) => { alertNew(data); refreshSoon(); });
    Desk.onLive("ticket_updated", (data) => { if (waiting.length) refreshSoon(); assignedToMe(data); });
    refresh();
    setInterval(refresh, POLL_MS);
  }

  document.addEventListener("DOMContentLoaded", start);
  return { refresh };
})();
