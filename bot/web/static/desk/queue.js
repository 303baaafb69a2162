/* The queue: tickets as the API sorts them (open first, urgent first, soonest due first), with a
   countdown per row, filters, search and the page kept in the address, 100 a page with the total
   (共 N 条) and 上一页 / 下一页, a checkbox per row for the bulk actions (bulk.js, through
   Desk.queue), and live updates: a new or changed ticket reloads the page and is highlighted for a
   while (no sound). */
"use strict";

(() => {
  const { el, api, data } = Desk;
  const form = document.getElementById("filters");
  const body = document.getElementById("queue-body");
  const count = document.getElementById("queue-count");
  const news = document.getElementById("queue-news");
  const errorBox = document.getElementById("queue-error");
  const empty = document.getElementById("queue-empty");
  const PAGE = 100;
  const pager = document.getElementById("pager");
  let page = 1;  // 1-based
  let shown = [];  // the tickets of the page on screen
  const selection = new Set();  // ticket ids ticked for a bulk action (bulk.js)
  const HIGHLIGHT_MS = 60000;
  const highlights = new Map();  // ticket id → {kind: "new" | "updated", until}
  let unseen = 0;
  const baseTitle = document.title;

  function fillSelect(select, entries) {
    for (const [value, label] of entries) select.append(el("option", { value, text: label }));
  }
  fillSelect(document.getElementById("f-status"), Object.entries(data.statuses));
  fillSelect(document.getElementById("f-priority"), Object.entries(data.priorities));
  fillSelect(document.getElementById("f-issue-type"), data.issue_types.map((t) => [t.key, t.label]));

  /* Filters live in the address, so a reload or a shared link shows the same list. */
  function readAddress() {
    const params = new URLSearchParams(location.search);
    for (const name of ["status", "priority", "issue_type", "assignee", "q"]) {
      if (!params.has(name)) continue;
      const field = form.elements[name];
      if (field.tagName === "SELECT" && ![...field.options].some((o) => o.value === params.get(name))) continue;
      field.value = params.get(name);
    }
    form.elements.overdue.checked = params.get("overdue") === "true";
    page = Math.max(1, parseInt(params.get("page"), 10) || 1);
  }

  function query() {
    const params = new URLSearchParams();
    for (const name of ["status", "priority", "issue_type", "assignee"]) {
      if (form.elements[name].value) params.set(name, form.elements[name].value);
    }
    if (form.elements.overdue.checked) params.set("overdue", "true");
    const q = form.elements.q.value.trim();
    if (q) params.set("q", q);
    return params;
  }

  function preview(text, chars = 36) {
    const flat = (text || "").replace(/\s+/g, " ").trim();
    return flat.length > chars ? `${flat.slice(0, chars)}…` : flat;
  }

  function ticketLink(ticket) {
    return `/desk/tickets/${encodeURIComponent(ticket.id)}`;
  }

  function row(ticket) {
    const mark = highlights.get(ticket.id);
    const classes = [`prio-${ticket.priority}`];
    if (ticket.overdue) classes.push("is-overdue");
    if (mark && mark.until > Date.now()) classes.push(mark.kind === "new" ? "is-new" : "is-updated");
    const flags = (ticket.risk_labels || []).length
      ? el("span", { class: "flags", text: ticket.risk_labels.join("、") }) : null;
    const pick = el("input", { type: "checkbox", class: "pick-one", value: ticket.id,
      "aria-label": `选择工单 ${ticket.id}` });
    pick.checked = selection.has(ticket.id);
    return el("tr", { class: classes.join(" "), data: { id: ticket.id } },
      el("td", { class: "pick", "data-label": "选择" }, pick),
      el("td", { "data-label": "工单号" },
        el("a", { href: ticketLink(ticket), class: "ticket-id", text: ticket.id }),
        mark && mark.kind === "new" && mark.until > Date.now() ? el("span", { class: "new-tag", text: "新" }) : null),
      el("td", { "data-label": "优先级" }, Desk.priorityBadge(ticket)),
      el("td", { "data-label": "问题类型" }, el("span", { text: ticket.issue_type_label }), flags),
      el("td", { "data-label": "订单号", class: "mono", text: ticket.order_number || "—" }),
      el("td", { "data-label": "顾客描述", class: "desc", title: ticket.description, text: preview(ticket.description) }),
      el("td", { "data-label": "负责人", text: Desk.agentName(ticket.assignee) }),
      el("td", { "data-label": "状态" }, Desk.statusBadge(ticket), intakeBadge(ticket)),
      el("td", { "data-label": "首次响应" }, Desk.watchCountdown(el("span"), ticket),
        ticket.customer_deadline ? el("div", { class: "deadline small", text: `顾客时限：${ticket.customer_deadline}` })
          : null));
  }

  /* Issue 11: a record still being collected (登记中) or filed with fields missing (信息不全（缺：…）). */
  function intakeBadge(ticket) {
    if (!ticket.intake || ticket.intake === "complete") return null;
    return el("span", { class: `badge intake-${ticket.intake}`, text: ticket.intake_label });
  }

  let loading = null;
  async function load() {
    const params = query();
    if (page > 1) params.set("page", String(page));
    history.replaceState(null, "", params.toString() ? `/desk?${params}` : "/desk");
    params.delete("page");
    params.set("limit", String(PAGE));
    params.set("offset", String((page - 1) * PAGE));
    const mine = (loading = Symbol("load"));
    let answer;
    try {
      answer = await api("GET", `/api/tickets?${params}`);
    } catch (err) {
      if (mine !== loading) return;
      errorBox.textContent = err.message;
      errorBox.hidden = false;
      return;
    }
    if (mine !== loading) return;  // a newer search already answered
    const pages = Math.max(1, Math.ceil(answer.total / PAGE));
    if (page > pages) { page = pages; load(); return; }  // the last page emptied meanwhile
    errorBox.hidden = true;
    shown = answer.tickets;
    const onPage = new Set(shown.map((t) => t.id));
    for (const id of [...selection]) if (!onPage.has(id)) selection.delete(id);
    body.replaceChildren(...shown.map(row));
    empty.hidden = shown.length > 0;
    const first = answer.offset + 1;
    const last = answer.offset + shown.length;
    count.textContent = pages > 1 ? `共 ${answer.total} 条，第 ${first}–${last} 条` : `共 ${answer.total} 条`;
    pager.hidden = pages <= 1;
    document.getElementById("page-info").textContent = `第 ${page} / ${pages} 页`;
    document.getElementById("page-prev").disabled = page <= 1;
    document.getElementById("page-next").disabled = page >= pages;
    document.dispatchEvent(new CustomEvent("queue:loaded"));
  }
  function turn(to) {
    page = to;
    load();
    window.scrollTo({ top: 0 });
  }
  document.getElementById("page-prev").addEventListener("click", () => turn(page - 1));
  document.getElementById("page-next").addEventListener("click", () => turn(page + 1));
  const reload = Desk.debounce(load, 250);

  function announce(ticket) {
    unseen += 1;
    news.hidden = false;
    news.textContent = `新工单 ${ticket.id}（${ticket.priority_label}·${ticket.issue_type_label}）`;
    if (document.hidden) document.title = `(${unseen}) ${baseTitle}`;
  }
  document.addEventListener("visibilitychange", () => {
    if (!document.hidden) { unseen = 0; document.title = baseTitle; }
  });

  function mark(id, kind) {
    const current = highlights.get(id);
    if (current && current.kind === "new" && current.until > Date.now()) return;  // stays "new"
    highlights.set(id, { kind, until: Date.now() + HIGHLIGHT_MS });
    setTimeout(() => {
      const item = highlights.get(id);
      if (item && item.until <= Date.now()) {
        highlights.delete(id);
        const tr = body.querySelector(`tr[data-id="${CSS.escape(id)}"]`);
        if (tr) { tr.classList.remove("is-new", "is-updated"); tr.querySelector(".new-tag")?.remove(); }
      }
    }, HIGHLIGHT_MS + 100);
  }

  const firstPage = () => { page = 1; load(); };
  form.addEventListener("submit", (event) => { event.preventDefault(); firstPage(); });
  form.addEventListener("change", (event) => { if (event.target.name !== "q") firstPage(); });
  form.elements.q.addEventListener("input", Desk.debounce(firstPage, 400));
  body.addEventListener("click", (event) => {
    if (event.target.closest("a, .pick")) return;
    const tr = event.target.closest("tr[data-id]");
    if (tr && !window.getSelection().toString()) location.assign(`/desk/tickets/${encodeURIComponent(tr.dataset.id)}`);
  });

  Desk.queue = { selection, shown: () => shown, reload: load };

  (async () => {
    readAddress();
    await Desk.loadMe();
    Desk.fillTopbar();
    await Desk.loadAgents();
    await load();
    const alerts = Desk.watchAlerts(document.getElementById("alerts"));  // 预警 banner
    Desk.liveEvents({
      ticket_created: ({ ticket }) => {
        if (!ticket) return;
        mark(ticket.id, "new"); announce(ticket); reload(); alerts.nudge();
      },
      ticket_updated: ({ ticket }) => { if (!ticket) return; mark(ticket.id, "updated"); reload(); },
    }, document.getElementById("live"), reload);
  })();
})();
