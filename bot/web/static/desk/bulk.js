/* Bulk actions on the queue (issue 15): tick tickets (or the whole page), then claim, assign to a
   colleague or close them in one request (POST /api/tickets/bulk). Closing asks for one reason for
   all of them (required when any was never answered: the customer is told it). What the service
   did is listed per ticket in Chinese: done, or why not (a colleague's ticket, no reason, gone). */
"use strict";

(() => {
  const { el, api } = Desk;
  const $ = (id) => document.getElementById(id);
  const queue = Desk.queue;
  const bar = $("bulk-bar");
  const reasonForm = $("bulk-reason");
  const resultBox = $("bulk-result");
  const ACTIONS = { claim: "认领", assign: "分派", close: "关闭" };

  const picked = () => queue.shown().filter((t) => queue.selection.has(t.id));

  function refresh() {
    const boxes = [...document.querySelectorAll("#queue-body .pick-one")];
    for (const box of boxes) box.checked = queue.selection.has(box.value);
    const count = picked().length;
    bar.hidden = count === 0;
    $("bulk-count").textContent = `已选 ${count} 条`;
    const all = $("pick-all");
    all.checked = boxes.length > 0 && count === boxes.length;
    all.indeterminate = count > 0 && count < boxes.length;
    if (count === 0) reasonForm.hidden = true;
  }

  $("queue-body").addEventListener("change", (event) => {
    const box = event.target.closest(".pick-one");
    if (!box) return;
    if (box.checked) queue.selection.add(box.value); else queue.selection.delete(box.value);
    refresh();
  });
  $("pick-all").addEventListener("change", (event) => {
    for (const t of queue.shown()) {
      if (event.target.checked) queue.selection.add(t.id); else queue.selection.delete(t.id);
    }
    refresh();
  });
  $("bulk-clear").addEventListener("click", () => { queue.selection.clear(); refresh(); });
  document.addEventListener("queue:loaded", refresh);

  function showResults(action, answer) {
    const failed = answer.results.filter((r) => !r.ok);
    const head = `批量${ACTIONS[action]}：${answer.succeeded} 条成功` + (failed.length ? `，${failed.length} 条未处理：` : "。");
    resultBox.className = `bulk-result alert ${failed.length ? "alert-warning" : "alert-info"}`;
    resultBox.replaceChildren(...[
      el("p", { class: "bulk-summary", text: head }),
      failed.length ? el("ul", { class: "bulk-failures" }, ...failed.map((r) => el("li", { data: { id: r.id } },
        r.ticket ? el("a", { href: `/desk/tickets/${encodeURIComponent(r.id)}`, class: "mono", text: r.id })
          : el("span", { class: "mono", text: r.id }),
        el("span", { text: `：${r.message}` })))) : null,
      el("button", { type: "button", class: "btn btn-small btn-link", text: "知道了",
        onclick: () => { resultBox.hidden = true; } })].filter(Boolean));
    resultBox.hidden = false;
    Desk.toast(head.replace(/：$/, "。"), failed.length ? "error" : "ok");
  }

  async function run(action, extra = {}, button = null) {
    const ids = picked().map((t) => t.id);
    if (!ids.length) { Desk.toast("请先勾选工单。", "error"); return; }
    const buttons = bar.querySelectorAll("button");
    buttons.forEach((b) => { b.disabled = true; });
    if (button) button.disabled = true;
    try {
      const answer = await api("POST", "/api/tickets/bulk", { ids, action, ...extra });
      for (const r of answer.results) if (r.ok) queue.selection.delete(r.id);
      showResults(action, answer);
      reasonForm.hidden = true;
      await queue.reload();
    } catch (err) {
      Desk.toast(err.message, "error");
    } finally {
      buttons.forEach((b) => { b.disabled = false; });
      if (button) button.disabled = false;
      refresh();
    }
  }

  $("bulk-claim").addEventListener("click", () => run("claim"));
  $("bulk-assign").addEventListener("click", () => {
    const who = $("bulk-assignee").value;
    if (!who) { Desk.toast("请选择要分派的同事。", "error"); $("bulk-assignee").focus(); return; }
    run("assign", { assignee: who });
  });

  /* Closing: one reason for all of them, asked for every time (the customer is told it). */
  $("bulk-close").addEventListener("click", () => {
    const chosen = picked();
    const silent = chosen.filter((t) => !t.first_responded_at).length;
    $("bulk-reason-hint").textContent = silent
      ? `将关闭 ${chosen.length} 条工单，其中 ${silent} 条还没有人回复过顾客。请填写一个原因：会记入每条工单的处理记录，并告诉每位顾客。`
      : `将关闭 ${chosen.length} 条工单。请填写一个原因：会记入每条工单的处理记录，并告诉每位顾客。`;
    $("bulk-reason-submit").textContent = `确认关闭 ${chosen.length} 条`;
    reasonForm.hidden = false;
    $("bulk-reason-choice").focus();
  });
  $("bulk-reason-cancel").addEventListener("click", () => { reasonForm.hidden = true; });
  reasonForm.addEventListener("submit", (event) => {
    event.preventDefault();
    const extra = $("bulk-reason-text").value.trim();
    const reason = [$("bulk-reason-choice").value, extra].filter(Boolean).join("，");
    if (!reason) { Desk.toast("请选择或填写原因。", "error"); $("bulk-reason-text").focus(); return; }
    run("close", { reason }, $("bulk-reason-submit")).then(() => { $("bulk-reason-text").value = ""; });
  });

  api("GET", "/api/agents").then((answer) => {
    $("bulk-assignee").append(...answer.agents.filter((a) => a.active)
      .map((a) => el("option", { value: a.name, text: `${a.display_name}（${a.name}）` })));
  }, () => {});
})();
