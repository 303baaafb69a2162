/* 顾客历史 on the ticket page (issue 15): the same customer's earlier tickets — same verified
   customer id, phone, order number or chat session — newest first, each linked, with what it
   shares. The repeat-contact reason in 风险提示 ("7 天内第 2 次") links here (ticket.js).
   Customer text → textContent. */
"use strict";

(() => {
  const { el, api } = Desk;
  const $ = (id) => document.getElementById(id);
  const ticketId = document.body.dataset.ticketId;
  const card = $("history-card");
  const MATCHED = { customer_ref: "顾客编号", phone: "手机号", order_number: "订单号", session_id: "同一会话" };

  function preview(text, chars = 40) {
    const flat = (text || "").replace(/\s+/g, " ").trim();
    return flat.length > chars ? `${flat.slice(0, chars)}…` : flat;
  }

  function item(t) {
    return el("li", { data: { id: t.id } },
      el("div", { class: "history-line" },
        el("a", { href: `/desk/tickets/${encodeURIComponent(t.id)}`, class: "mono", text: t.id }),
        Desk.statusBadge(t),
        el("span", { text: t.issue_type_label }),
        el("time", { class: "muted small", datetime: t.created_at, text: Desk.formatTime(t.created_at) })),
      el("div", { class: "desc", title: t.description, text: preview(t.description) }),
      el("div", { class: "muted small",
        text: `相同：${t.matched_by.map((m) => MATCHED[m] || m).join("、")}` }));
  }

  async function load() {
    let answer;
    try {
      answer = await api("GET", `/api/tickets/${encodeURIComponent(ticketId)}/history`);
    } catch (err) {
      $("history").replaceChildren(el("li", { class: "muted", text: `顾客历史加载失败：${err.message}` }));
      return;
    }
    $("history-count").textContent = answer.total ? `之前 ${answer.total} 张` : "";
    $("history").replaceChildren(...(answer.tickets.length ? answer.tickets.map(item)
      : [el("li", { class: "muted", text: "这位顾客之前没有其他工单。" })]));
    if (answer.total > answer.tickets.length) {
      $("history").append(el("li", { class: "muted small", text: `只列出最近 ${answer.tickets.length} 张。` }));
    }
  }

  /* Following the repeat-contact link: bring the panel into view and mark it for a moment. */
  document.addEventListener("click", (event) => {
    if (!event.target.closest("a.to-history")) return;
    event.preventDefault();
    card.scrollIntoView({ block: "start" });
    card.focus({ preventScroll: true });
    card.classList.add("is-pointed");
    setTimeout(() => card.classList.remove("is-pointed"), 2500);
  });

  load();
})();
