/* One ticket: every field, risk flags with reasons, the customer's own words, the whole
   conversation (live), suggested next steps that fill the reply box, the actions (claim, reply,
   internal note, status, priority, resolve) and the audit trail. Customer text → textContent. */
"use strict";

(() => {
  const { el, api, data } = Desk;
  const ticketId = document.body.dataset.ticketId;
  const $ = (id) => document.getElementById(id);
  const transcript = $("transcript");
  const replyText = $("reply-text");
  const noteText = $("note-text");
  const shownMessages = new Set();
  let ticket = null;

  const ORDER_STATUS = { given: "顾客提供，未核实", verified: "已核实", unknown: "未提供" };
  const SENDERS = { customer: "顾客", bot: "智能助手", agent: "客服", system: "系统" };

  function fail(err) {
    Desk.toast(err.message || String(err), "error");
  }

  /* -- the ticket's fields ------------------------------------------------------------- */
  function field(label, ...value) {
    return [el("dt", { text: label }), el("dd", {}, ...value)];
  }

  function dueText(iso, text) {
    return iso ? `${Desk.formatTime(iso)}${text ? `（${text}）` : ""}` : "—";
  }

  function renderFields(t) {
    const yesNo = (v) => (v ? "是" : "否");
    const order = t.order_number
      ? [el("span", { class: "mono", text: t.order_number }), " ",
        el("span", { class: "muted small", text: ORDER_STATUS[t.order_number_status] || t.order_number_status })]
      : [el("span", { class: "muted", text: "未提供" })];
    const csat = t.csat ? [`${t.csat} 分`, t.csat_comment ? el("div", { class: "quote", text: t.csat_comment }) : null]
      : ["尚未评价"];
    $("fields").replaceChildren(...[
      field("订单号", ...order),
      field("问题类型", `${t.issue_type_label} · ${t.category_label}`),
      field("顾客诉求", t.expectation_label),
      field("优先级", Desk.priorityBadge(t)),
      field("状态", Desk.statusBadge(t)),
      field("负责人", Desk.agentName(t.assignee)),
      field("手机号", t.phone || "—"),
      field("渠道", t.channel || "—"),
      field("顾客编号", t.customer_ref || "—"),
      field("会话", el("span", { class: "mono small", text: t.session_id || "无在线会话" })),
      field("创建时间", Desk.formatTime(t.created_at)),
      field("登记", t.intake_label || "已确认"),
      field("首次响应时限", dueText(t.first_response_due, t.first_response_due_text)),
      field("顾客时限", t.customer_deadline ? el("span", { class: "deadline", text: t.customer_deadline }) : "—"),
      field("首次回复", t.first_responded_at ? Desk.formatTime(t.first_responded_at) : "尚未回复"),
      field("解决时限", dueText(t.resolution_due, t.resolution_due_text)),
      field("解决时间", t.resolved_at ? Desk.formatTime(t.resolved_at) : "—"),
      field("非工作时间提交", yesNo(t.off_hours)),
      field("要求转人工", yesNo(t.handoff_requested)),
      field("复杂工单", yesNo(t.complex_case)),
      field("超时升级", t.escalated_at ? Desk.formatTime(t.escalated_at) : "否"),
      field("满意度", ...csat),
    ].flat());
  }

  function renderRisks(t) {
    const items = [];
    for (const label of t.risk_labels || []) items.push(el("li", {}, el("span", { class: "badge risk", text: label })));
    // A repeat contact ("7 天内第 2 次") links to the customer's earlier tickets (history.js).
    const toHistory = (text) => el("a", { href: "#history-card", class: "to-history", text });
    for (const reason of t.triage_reasons || []) {
      items.push(el("li", { class: "reason" }, /^重复联系|天内第 ?\d+ ?次/.test(reason) ? toHistory(reason) : reason));
    }
    if (t.repeat_contacts) {
      items.push(el("li", { class: "reason" }, toHistory(`7 天内已联系 ${t.repeat_contacts + 1} 次 · 查看之前的工单`)));
    }
    if (t.off_hours) items.push(el("li", { class: "reason", text: "非工作时间提交：顾客已被告知下次上班后的回复时间" }));
    if (t.overdue) items.push(el("li", { class: "reason overdue-text", text: "已超过承诺时间，请尽快处理" }));
    $("risks").replaceChildren(...items);
    $("risk-card").hidden = items.length === 0;
  }

  function renderHead(t) {
    $("head-priority").replaceChildren(Desk.priorityBadge(t));
    $("head-status").replaceChildren(Desk.statusBadge(t));
    Desk.watchCountdown($("head-countdown"), t);
    $("head-assignee").textContent = `负责人：${Desk.agentName(t.assignee)}`;
    $("description").textContent = t.description;
  }

  function renderActions(t) {
    const me = Desk.state.me.name;
    const mine = t.assignee === me;
    $("claim").hidden = mine;
    $("claim").textContent = t.assignee ? "改派给我" : "认领（分配给我）";
    $("release").hidden = !mine;
    $("resolve").disabled = t.status === "resolved" || t.status === "closed";
    $("status-select").value = t.status;
    $("priority-select").value = t.priority;
    const canReply = Boolean(t.session_id);
    $("no-conversation").hidden = canReply;
    replyText.disabled = !canReply;
    $("send-reply").disabled = !canReply;
  }

  /* -- the audit trail ----------------------------------------------------------------- */
  function change(details, labels) {
    return `${labels[details.from] || details.from || "—"} → ${labels[details.to] || details.to || "—"}`;
  }

  function eventText(event) {
    const d = event.details || {};
    switch (event.action) {
      case "created": return `创建工单（${data.priorities[d.priority] || d.priority || ""}）`;
      case "assigned":
        if (!d.to) return "取消了认领";
        return d.to === event.actor ? "认领了工单" : `把工单指派给 ${Desk.agentName(d.to)}`;
      case "status_changed": return `状态：${change(d, data.statuses)}${d.reason ? `（原因：${d.reason}）` : ""}`;
      case "priority_changed": return `优先级：${change(d, data.priorities)}`;
      case "note": return "添加了内部备注";
      case "replied": return d.first_response ? "首次回复了顾客" : "回复了顾客";
      case "escalated":
        return `超时升级（${d.reason === "first_response" ? "首次响应" : "解决"}超时，优先级 ${change(d, data.priorities)}）`;
      case "csat": return d.corrected_from ? `顾客把评价从 ${d.corrected_from} 分改为 ${d.score} 分` : `顾客评价 ${d.score} 分`;
      case "intake_updated": return intakeText(d);
      default: return event.action;
    }
  }

  /* Issue 11: what the intake (or a quiet chat) changed, in a few words. */
  const INTAKE_FIELDS = { issue_type: "问题类型", order_number: "订单号", expectation: "诉求", priority: "优先级",
    customer_deadline: "顾客时限", risk_flags: "风险", intake: "登记状态", missing_fields: "缺少信息",
    handoff_requested: "要求转人工", order_number_status: "订单号状态" };
  function intakeText(d) {
    const names = Object.keys(d.fields || {}).map((name) => INTAKE_FIELDS[name] || name);
    if (d.appended) names.push("补充描述");
    const what = names.length ? `更新登记：${names.join("、")}` : "更新登记";
    if (d.reason === "withdrawn") return `${what}（顾客撤销了投诉，工单由系统关闭）`;
    return d.reason === "idle" ? `${what}（顾客一段时间未回复，按现有信息提交）` : what;
  }

  function renderEvents(events) {
    $("events").replaceChildren(...(events || []).map((event) => {
      const d = event.details || {};
      const quote = event.action === "note" || event.action === "replied" ? d.text
        : event.action === "csat" ? d.comment : event.action === "intake_updated" ? d.appended : null;
      return el("li", { class: `event event-${event.action}`, data: { action: event.action } },
        el("div", { class: "event-line" },
          el("time", { datetime: event.at, text: Desk.formatTime(event.at) }),
          el("span", { class: "actor", text: Desk.actorName(event.actor) }),
          el("span", { text: eventText(event) })),
        quote ? el("div", { class: "quote", text: quote }) : null);
    }));
  }

  /* -- the conversation ---------------------------------------------------------------- */
  function bubble(message) {
    const meta = message.meta || {};
    let who = SENDERS[message.sender] || message.sender;
    if (message.sender === "agent") who = `客服 ${meta.display_name || meta.agent || ""}`.trim();
    const tags = [];
    if (meta.mode === "degraded") tags.push("系统繁忙时的自动回复");
    if (meta.rejected === "too_long") tags.push("超长消息，已保存");
    const buttons = (message.buttons || []).map((b) => el("span", { class: "chip", text: b.title || b.payload || "" }));
    // What the customer saw: the title of the button they clicked (the payload only on hover) or the photo.
    const clicked = message.sender === "customer" && meta.button_title;
    if (clicked) tags.push("点击按钮");
    const photo = meta.attachment && meta.attachment.url ? meta.attachment : null;
    const content = photo
      ? el("a", { href: photo.url, target: "_blank", rel: "noopener", class: "bubble-photo" },
        el("img", { src: photo.url, alt: "顾客发送的图片", loading: "lazy" }))
      : el("div", { class: "bubble-text", text: clicked ? meta.button_title : message.text,
        title: clicked ? `按钮代码：${message.text}` : null });
    return el("div", { class: `bubble from-${message.sender}`, data: { id: message.id } },
      el("div", { class: "bubble-meta" },
        el("span", { class: "who", text: who }),
        el("time", { datetime: message.created_at, text: Desk.formatTime(message.created_at) }),
        ...tags.map((t) => el("span", { class: "tag", text: t }))),
      content,
      buttons.length ? el("div", { class: "chips" }, ...buttons) : null);
  }

  function nearBottom() {
    return transcript.scrollHeight - transcript.scrollTop - transcript.clientHeight < 60;
  }

  function appendMessages(messages, { forceScroll = false } = {}) {
    const stick = forceScroll || nearBottom();
    let added = 0;
    for (const message of messages) {
      if (shownMessages.has(message.id)) continue;
      shownMessages.add(message.id);
      transcript.append(bubble(message));
      added += 1;
    }
    if (!shownMessages.size) {
      transcript.replaceChildren(el("p", { class: "empty", text: "这个工单没有在线对话记录。" }));
    } else if (added) {
      transcript.querySelector(".empty")?.remove();
    }
    $("transcript-count").textContent = shownMessages.size ? `共 ${shownMessages.size} 条` : "";
    if (added && stick) transcript.scrollTop = transcript.scrollHeight;
  }

  /* -- suggestions --------------------------------------------------------------------- */
  async function loadSuggestions() {
    let answer;
    try {
      answer = await api("GET", `/api/tickets/${encodeURIComponent(ticketId)}/suggestions`);
    } catch (err) {
      $("suggestions").replaceChildren(el("li", { class: "muted", text: `建议加载失败：${err.message}` }));
      return;
    }
    $("suggestions").replaceChildren(...answer.suggestions.map((option) => el("li", { data: { key: option.key } },
      el("div", { class: "suggestion-title", text: option.title }),
      option.note ? el("div", { class: "muted small", text: `提示：${option.note}` }) : null,
      el("button", {
        type: "button", class: "btn btn-small use-suggestion", text: "填入回复框",
        onclick: () => {
          if (replyText.disabled) { Desk.toast("这个工单没有在线会话，无法在线回复。", "error"); return; }
          replyText.value = option.reply;
          replyText.focus();
          Desk.toast("已填入回复框：请补全 ＿＿ 处并确认后再发送。");
        },
      }))));
  }

  /* -- loading and live updates -------------------------------------------------------- */
  function render(t) {
    ticket = t;
    renderHead(t);
    renderFields(t);
    renderRisks(t);
    renderActions(t);
    if (t.events) renderEvents(t.events);
    if (t.transcript) appendMessages(t.transcript);
  }

  async function refresh() {
    try {
      const answer = await api("GET", `/api/tickets/${encodeURIComponent(ticketId)}`);
      render(answer.ticket);
      $("ticket-error").hidden = true;
    } catch (err) {
      $("ticket-error").textContent = err.message;
      $("ticket-error").hidden = false;
    }
  }
  const refreshSoon = Desk.debounce(refresh, 200);

  async function act(button, work, done) {
    if (button) button.disabled = true;
    try {
      await work();
      if (done) Desk.toast(done, "ok");
      await refresh();
    } catch (err) {
      fail(err);
      await refresh();
    } finally {
      if (button) button.disabled = false;
      if (ticket) renderActions(ticket);
    }
  }

  const patch = (body) => api("PATCH", `/api/tickets/${encodeURIComponent(ticketId)}`, body);

  /* -- ending a ticket: nobody answered yet → a reason first (told to the customer) ------------ */
  let ending = null;  // the status asked for while the reason form is open
  function endTicket(button, status) {
    if (ticket && !ticket.first_responded_at) {
      ending = status;
      $("reason-form").hidden = false;
      $("reason-submit").textContent = `确认${data.statuses[status]}`;
      $("reason-choice").focus();
      return;
    }
    act(button, () => patch({ status }), `已标记为「${data.statuses[status]}」。`);
  }

  function wireReasonForm() {
    const close = () => { $("reason-form").hidden = true; ending = null; if (ticket) renderActions(ticket); };
    $("reason-cancel").addEventListener("click", close);
    $("reason-form").addEventListener("submit", (event) => {
      event.preventDefault();
      const extra = $("reason-text").value.trim();
      const reason = [$("reason-choice").value, extra].filter(Boolean).join("，");
      if (!reason) { Desk.toast("请选择或填写原因。", "error"); $("reason-text").focus(); return; }
      const status = ending || "resolved";
      act($("reason-submit"), async () => {
        await patch({ status, reason });
        $("reason-text").value = "";
        close();
      }, `已标记为「${data.statuses[status]}」，原因已告知顾客。`);
    });
  }

  function wire() {
    for (const [value, label] of Object.entries(data.statuses)) $("status-select").append(el("option", { value, text: label }));
    for (const [value, label] of Object.entries(data.priorities)) $("priority-select").append(el("option", { value, text: label }));
    if (data.limits && data.limits.message) replyText.maxLength = data.limits.message;

    $("claim").addEventListener("click", (e) => act(e.currentTarget, () => patch({ assignee: Desk.state.me.name }),
      "已认领，这个工单由你负责。"));
    $("release").addEventListener("click", (e) => act(e.currentTarget, () => patch({ assignee: null }), "已取消认领。"));
    $("resolve").addEventListener("click", (e) => endTicket(e.currentTarget, "resolved"));
    $("status-select").addEventListener("change", (e) => {
      if (["resolved", "closed"].includes(e.target.value)) { endTicket(null, e.target.value); return; }
      act(null, () => patch({ status: e.target.value }), `状态已改为「${data.statuses[e.target.value]}」。`);
    });
    wireReasonForm();
    $("priority-select").addEventListener("change", (e) => act(null, () => patch({ priority: e.target.value }),
      `优先级已改为「${data.priorities[e.target.value]}」。`));

    $("note-form").addEventListener("submit", (event) => {
      event.preventDefault();
      const text = noteText.value.trim();
      if (!text) { Desk.toast("备注不能为空。", "error"); return; }
      act($("add-note"), async () => { await patch({ note: text }); noteText.value = ""; }, "备注已添加。");
    });

    // One id per text being sent: sending it again (after a timeout or "系统暂时有点忙") never
    // reaches the customer twice; a different text is a new reply.
    let draft = null;
    const newDraftId = () => (window.crypto && crypto.randomUUID ? crypto.randomUUID()
      : `${Date.now().toString(36)}-${Math.random().toString(36).slice(2)}`);
    const sendReply = () => {
      const text = replyText.value.trim();
      if (!text) { Desk.toast("回复不能为空。", "error"); return; }
      if (text.includes("＿＿")) { Desk.toast("回复里还有未填写的 ＿＿，请补全后再发送。", "error"); return; }
      if (!draft || draft.text !== text) draft = { id: newDraftId(), text };
      const clientId = draft.id;
      act($("send-reply"), async () => {
        const answer = await api("POST", `/api/tickets/${encodeURIComponent(ticketId)}/replies`,
          { text, client_id: clientId });
        replyText.value = "";
        draft = null;
        appendMessages([answer.message], { forceScroll: true });
      }, "已发送给顾客。");
    };
    $("reply-form").addEventListener("submit", (event) => { event.preventDefault(); sendReply(); });
    replyText.addEventListener("keydown", (event) => {
      if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) { event.preventDefault(); sendReply(); }
    });
  }

  (async () => {
    wire();
    await Desk.loadMe();
    Desk.fillTopbar();
    await Desk.loadAgents();
    await refresh();
    transcript.scrollTop = transcript.scrollHeight;
    loadSuggestions();
    Desk.liveEvents({
      message: ({ session_id: sessionId, message }) => {
        if (ticket && message && sessionId && sessionId === ticket.session_id) appendMessages([message]);
      },
      ticket_updated: ({ ticket: changed }) => { if (changed && changed.id === ticketId) refreshSoon(); },
    }, $("live"), refresh);
  })();
})();
