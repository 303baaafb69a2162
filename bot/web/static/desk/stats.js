/* Statistics for the service lead: every number comes from GET /api/stats (counted in the database
   over the chosen shop-local days) and GET /api/stats/heatmap; charts are ECharts, served from this
   site (/desk/vendor/echarts.min.js, installed by `make setup` from npm). Without the library the
   page still shows every number. Comments are customers' words: rendered with textContent only;
   chart tooltips are drawn on the canvas (renderMode richText), never as HTML. */
"use strict";

(() => {
  const { el, api, data } = Desk;
  const WEEKDAYS = ["周一", "周二", "周三", "周四", "周五", "周六", "周日"];
  const COLORS = { primary: "#1f6feb", ok: "#1a7f37", late: "#d1242f", pending: "#c3cbd4", warn: "#d97706" };
  const form = document.getElementById("range");
  const fromInput = document.getElementById("from");
  const toInput = document.getElementById("to");
  const errorBox = document.getElementById("stats-error");
  const hasCharts = typeof window.echarts !== "undefined";
  const charts = {};

  /* -- dates (shop-local YYYY-MM-DD) ------------------------------------------------------- */
  function shopToday() {
    return new Intl.DateTimeFormat("en-CA", { timeZone: data.shop.timezone, year: "numeric", month: "2-digit",
      day: "2-digit" }).format(new Date(Desk.now()));
  }
  function addDays(iso, days) {
    const moment = new Date(`${iso}T00:00:00Z`);
    moment.setUTCDate(moment.getUTCDate() + days);
    return moment.toISOString().slice(0, 10);
  }
  const weekdayOf = (iso) => WEEKDAYS[(new Date(`${iso}T00:00:00Z`).getUTCDay() + 6) % 7];
  const shortDate = (iso) => `${iso.slice(5)} ${weekdayOf(iso)}`;

  function readAddress() {
    const params = new URLSearchParams(location.search);
    const valid = (v) => /^\d{4}-\d{2}-\d{2}$/.test(v || "");
    toInput.value = valid(params.get("to")) ? params.get("to") : shopToday();
    fromInput.value = valid(params.get("from")) ? params.get("from") : addDays(toInput.value, -6);
  }

  /* -- small builders ----------------------------------------------------------------------- */
  const pct = (rate) => (rate === null || rate === undefined ? "—" : `${(rate * 100).toFixed(1)}%`);
  const num = (value, unit) => (value === null || value === undefined ? "—" : `${value} ${unit}`);

  function card(label, value, hint, cls) {
    return el("div", { class: `stat-card${cls ? ` ${cls}` : ""}` },
      el("div", { class: "stat-value", text: value }),
      el("div", { class: "stat-label", text: label }),
      hint ? el("div", { class: "muted small", text: hint }) : null);
  }

  function chart(id, option) {
    const node = document.getElementById(id);
    if (!hasCharts) { node.hidden = true; return; }
    charts[id] = charts[id] || window.echarts.init(node, null, { renderer: "canvas" });
    charts[id].setOption({ animation: false, aria: { enabled: true },
      textStyle: { fontFamily: getComputedStyle(document.body).fontFamily }, ...option }, true);
  }
  const tooltip = (trigger) => ({ trigger, renderMode: "richText", confine: true });

  /* -- sections -------------------------------------------------------------------------- */
  function renderTotals(stats) {
    const t = stats.totals;
    const days = stats.by_day.length;
    document.getElementById("stat-cards").replaceChildren(
      card("工单", String(t.tickets), `日均 ${(t.tickets / days).toFixed(1)} 件`),
      card("未完成", String(t.open), "待处理、处理中或等顾客回复"),
      card("当前超时", String(t.overdue), "未完成且已过首次响应或解决时限", t.overdue ? "is-bad" : ""),
      card("已解决", String(t.resolved), "已解决或已关闭"),
      card("顾客撤销", String(t.withdrawn || 0), "登记中顾客说不用处理了，不计入时效"),
      card("转人工", String(t.handoffs), "顾客要求人工客服"),
      card("非工作时间登记", String(t.off_hours), "店铺休息时进来的投诉"),
      card("重复来访率", pct(stats.repeat_contact_rate), "7 天内再次投诉的工单占比"));
  }

  function promise(nodeId, values, median) {
    const { met, missed, pending } = values;
    const decided = met + missed;
    const bar = el("div", { class: "sla-bar", "aria-hidden": "true" });
    for (const [n, cls] of [[met, "met"], [missed, "missed"], [pending, "pending"]]) {
      const part = el("span", { class: `sla-part ${cls}` });
      part.style.flexGrow = String(n);  // CSSOM: allowed by the page's Content-Security-Policy
      if (n) bar.append(part);
    }
    document.getElementById(nodeId).replaceChildren(
      el("div", { class: "sla-rate", text: pct(values.met_rate) }),
      el("div", { class: "muted small", text: decided ? `${met} / ${decided} 件按时（已到时限的工单）` : "还没有到时限的工单" }),
      bar,
      el("ul", { class: "sla-numbers" },
        el("li", {}, el("span", { class: "dot met" }), `按时 ${met}`),
        el("li", {}, el("span", { class: "dot missed" }), `超时 ${missed}（晚了或至今没有）`),
        el("li", {}, el("span", { class: "dot pending" }), `未到时限 ${pending}`)),
      el("div", { class: "muted", text: `中位用时：${median}` }));
  }

  function renderTrend(stats) {
    chart("chart-trend", {
      grid: { left: 40, right: 16, top: 16, bottom: 30 },
      tooltip: tooltip("axis"),
      xAxis: { type: "category", data: stats.by_day.map((d) => shortDate(d.date)) },
      yAxis: { type: "value", minInterval: 1 },
      series: [{ name: "工单", type: stats.by_day.length > 45 ? "line" : "bar", data: stats.by_day.map((d) => d.count),
        itemStyle: { color: COLORS.primary }, showSymbol: false, barMaxWidth: 28 }],
    });
  }

  function renderIssues(stats) {
    const rows = stats.by_issue_type;
    document.querySelector("#issue-table tbody").replaceChildren(...(rows.length ? rows.map((row) => el("tr", {},
      el("td", { text: row.label }), el("td", { class: "num", text: String(row.count) }),
      el("td", { class: "num", text: pct(row.share) }))) : [el("tr", {}, el("td", { colspan: 3, class: "empty", text: "暂无工单" }))]));
    const top = rows.slice().reverse();
    chart("chart-issues", {
      grid: { left: 96, right: 40, top: 8, bottom: 24 },
      tooltip: tooltip("axis"),
      xAxis: { type: "value", minInterval: 1 },
      yAxis: { type: "category", data: top.map((r) => r.label) },
      series: [{ name: "工单", type: "bar", data: top.map((r) => r.count), itemStyle: { color: COLORS.primary },
        label: { show: true, position: "right" }, barMaxWidth: 22 }],
    });
  }

  function renderHeatmap(heat) {
    const values = heat.cells.map((c) => [c.hour, c.weekday - 1, c.count]);
    const max = Math.max(1, ...heat.cells.map((c) => c.count));
    const peak = heat.cells.reduce((best, c) => (c.count > best.count ? c : best), { count: 0 });
    document.getElementById("peak-text").textContent = peak.count
      ? `最忙：${WEEKDAYS[peak.weekday - 1]} ${String(peak.hour).padStart(2, "0")}:00–${String(peak.hour + 1).padStart(2, "0")}:00，共 ${peak.count} 件`
      : "";
    chart("chart-heatmap", {
      grid: { left: 44, right: 12, top: 8, bottom: 56 },
      tooltip: { ...tooltip("item"), formatter: (p) => `${WEEKDAYS[p.value[1]]} ${p.value[0]}:00 — ${p.value[2]} 件` },
      xAxis: { type: "category", data: [...Array(24).keys()].map(String), splitArea: { show: true } },
      yAxis: { type: "category", data: WEEKDAYS, inverse: true, splitArea: { show: true } },
      visualMap: { min: 0, max, calculable: false, orient: "horizontal", left: "center", bottom: 4, itemHeight: 120,
        inRange: { color: ["#f4f8ff", "#9cc1ff", COLORS.primary, "#0b3d91"] } },
      series: [{ name: "工单", type: "heatmap", data: values, emphasis: { itemStyle: { borderColor: "#333", borderWidth: 1 } } }],
    });
  }

  function renderCsat(stats) {
    const c = stats.csat;
    document.getElementById("csat-summary").replaceChildren(
      el("span", { class: "stat-value", text: c.average === null ? "—" : c.average.toFixed(2) }),
      el("span", { class: "muted", text: ` 分（满分 5）· ${c.count} 条评价` }));
    const scores = ["1", "2", "3", "4", "5"];
    chart("chart-csat", {
      grid: { left: 40, right: 16, top: 16, bottom: 24 },
      tooltip: tooltip("axis"),
      xAxis: { type: "category", data: scores.map((s) => `${s} 分`) },
      yAxis: { type: "value", minInterval: 1 },
      series: [{ name: "评价", type: "bar", barMaxWidth: 36, label: { show: true, position: "top" },
        data: scores.map((s, i) => ({ value: c.distribution[s], itemStyle: { color: i < 2 ? COLORS.late : i === 2 ? COLORS.warn : COLORS.ok } })) }],
    });
    const list = document.getElementById("low-comments");
    list.replaceChildren(...c.low_comments.map((item) => el("li", {},
      el("div", { class: "comment-meta" },
        el("span", { class: "badge priority-urgent", text: `${item.score} 分` }),
        el("a", { href: `/desk/tickets/${encodeURIComponent(item.ticket_id)}`, class: "mono", text: item.ticket_id }),
        el("span", { text: item.label }),
        el("span", { class: "muted", text: `${Desk.agentName(item.agent)} · ${Desk.formatTime(item.at)}` })),
      el("p", { class: "quote", text: item.comment }))));
    if (!c.low_comments.length) list.replaceChildren(el("li", { class: "empty", text: "这段时间没有附留言的低分评价" }));
  }

  function renderAgents(stats) {
    const body = document.querySelector("#agents tbody");
    body.replaceChildren(...stats.by_agent.map((row) => el("tr", {},
      el("td", { text: Desk.agentName(row.agent) }), el("td", { class: "num", text: String(row.handled) }),
      el("td", { class: "num", text: num(row.median_first_response_minutes, "分钟") }),
      el("td", { class: "num", text: row.csat_average === null ? "—" : row.csat_average.toFixed(2) }))));
    if (!stats.by_agent.length) body.replaceChildren(el("tr", {}, el("td", { colspan: 4, class: "empty", text: "这段时间没有已认领的工单" })));
  }

  /* -- loading --------------------------------------------------------------------------- */
  async function load() {
    const query = `from=${encodeURIComponent(fromInput.value)}&to=${encodeURIComponent(toInput.value)}`;
    history.replaceState(null, "", `/desk/stats?${query}`);
    document.getElementById("export").href = `/api/tickets/export.csv?${query}`;
    document.body.dataset.ready = "";
    let stats;
    let heat;
    try {
      [stats, heat] = await Promise.all([api("GET", `/api/stats?${query}`), api("GET", `/api/stats/heatmap?${query}`)]);
    } catch (err) {
      errorBox.textContent = err.message;
      errorBox.hidden = false;
      return;
    }
    errorBox.hidden = true;
    const days = stats.by_day.length;
    document.getElementById("stats-scope").textContent =
      `${stats.from} 至 ${stats.to}（${days} 天，店铺时间 ${stats.timezone}）创建的全部工单；“未完成”“当前超时”为此刻的状态。`;
    Desk.showAlerts(document.getElementById("alerts"), stats.alerts);
    renderTotals(stats);
    promise("sla-first", stats.first_response, num(stats.first_response.median_minutes, "分钟"));
    promise("sla-resolution", stats.resolution, num(stats.resolution.median_hours, "小时"));
    renderTrend(stats);
    renderIssues(stats);
    renderHeatmap(heat);
    renderCsat(stats);
    renderAgents(stats);
    document.body.dataset.ready = "1";
  }

  form.addEventListener("submit", (event) => {
    event.preventDefault();
    if (fromInput.value && toInput.value && fromInput.value > toInput.value) {
      errorBox.textContent = "开始日期不能晚于结束日期。";
      errorBox.hidden = false;
      return;
    }
    load();
  });
  form.querySelectorAll("[data-days]").forEach((button) => button.addEventListener("click", () => {
    toInput.value = shopToday();
    fromInput.value = addDays(toInput.value, 1 - Number(button.dataset.days));
    load();
  }));
  window.addEventListener("resize", Desk.debounce(() => Object.values(charts).forEach((c) => c.resize()), 150));

  (async () => {
    document.getElementById("charts-missing").hidden = hasCharts;
    readAddress();
    await Desk.loadMe();
    Desk.fillTopbar();
    await Desk.loadAgents();
    await load();
  })();
})();
