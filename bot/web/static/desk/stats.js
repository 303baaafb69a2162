/* Statistics for the service lead, from the latest tickets: what goes wrong most and whether the
   promised response times are kept. */
"use strict";

(() => {
  const { el, api, data } = Desk;
  const LIMIT = 500;

  function bars(node, counts, labels) {
    const entries = Object.entries(counts).sort((a, b) => b[1] - a[1]);
    const top = Math.max(1, ...entries.map(([, n]) => n));
    node.replaceChildren(...entries.map(([key, n]) => {
      const fill = el("span", { class: "bar-fill" });
      fill.style.width = `${Math.round((n / top) * 100)}%`;  // CSSOM, allowed by the page's CSP
      return el("div", { class: "bar-row" },
        el("span", { class: "bar-label", text: labels[key] || key }),
        el("span", { class: "bar" }, fill),
        el("span", { class: "bar-value", text: String(n) }));
    }));
    if (!entries.length) node.replaceChildren(el("p", { class: "empty", text: "暂无数据" }));
  }

  function card(label, value, hint) {
    return el("div", { class: "stat-card" },
      el("div", { class: "stat-value", text: value }),
      el("div", { class: "stat-label", text: label }),
      hint ? el("div", { class: "muted small", text: hint }) : null);
  }

  (async () => {
    await Desk.loadMe();
    Desk.fillTopbar();
    let answer;
    try {
      answer = await api("GET", `/api/tickets?limit=${LIMIT}`);
    } catch (err) {
      document.getElementById("stats-error").textContent = err.message;
      document.getElementById("stats-error").hidden = false;
      return;
    }
    const tickets = answer.tickets;
    document.getElementById("stats-scope").textContent =
      answer.total > tickets.length ? `最近 ${tickets.length} 条（共 ${answer.total} 条）` : `共 ${tickets.length} 条工单`;
    const count = (key) => tickets.reduce((acc, t) => { acc[t[key]] = (acc[t[key]] || 0) + 1; return acc; }, {});
    const responded = tickets.filter((t) => t.first_responded_at);
    const onTime = responded.filter((t) => Date.parse(t.first_responded_at) <= Date.parse(t.first_response_due));
    const rated = tickets.filter((t) => t.csat);
    const active = tickets.filter((t) => !["resolved", "closed"].includes(t.status));
    const pct = (a, b) => (b ? `${Math.round((a / b) * 100)}%` : "—");
    document.getElementById("stat-cards").replaceChildren(
      card("未完成", String(active.length), `其中未认领 ${active.filter((t) => !t.assignee).length}`),
      card("当前超时", String(tickets.filter((t) => t.overdue).length)),
      card("首次响应准时率", pct(onTime.length, responded.length), `${onTime.length}/${responded.length} 已回复工单`),
      card("平均满意度", rated.length ? (rated.reduce((s, t) => s + t.csat, 0) / rated.length).toFixed(1) : "—",
        `${rated.length} 条评价`));
    bars(document.getElementById("by-issue"), count("issue_type"), Desk.issueLabels);
    bars(document.getElementById("by-status"), count("status"), data.statuses);
    bars(document.getElementById("by-priority"), count("priority"), data.priorities);
  })();
})();
