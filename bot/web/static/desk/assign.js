/* 分派给同事 on the ticket page: any active colleague; they get a toast and a desktop notification
   on whichever desk page they have open (live.js, the `ticket_updated` event names who assigned). */
"use strict";

(() => {
  const { el, api } = Desk;
  const select = document.getElementById("assign-to");
  const ticketId = decodeURIComponent(location.pathname.split("/").pop());

  api("GET", "/api/agents").then((answer) => {
    const me = Desk.state.me && Desk.state.me.name;
    select.append(...answer.agents.filter((a) => a.active && a.name !== me)
      .map((a) => el("option", { value: a.name, text: `${a.display_name}（${a.name}）` })));
  }, () => {});

  document.getElementById("assign-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    if (!select.value) { Desk.toast("请选择要分派的同事。", "error"); return; }
    const label = select.selectedOptions[0].textContent;
    try {
      await api("PATCH", `/api/tickets/${encodeURIComponent(ticketId)}`, { assignee: select.value });
      Desk.toast(`已分派给 ${label}，对方会收到提醒。`, "ok");
      select.value = "";
    } catch (err) {
      Desk.toast(err.message, "error");
    }
  });
})();
