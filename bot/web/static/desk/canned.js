/* 快捷回复 on the ticket page: typing "/" (at the start of a line) in the reply box opens the team's
   canned replies, filtered by what follows the "/"; ↑/↓ choose, Enter or Tab inserts (replacing
   the "/…"), Escape closes. Replies for this ticket's issue type come first. The card below the
   reply box lets any agent add, edit and delete them (/api/desk/canned-replies). */
"use strict";

(() => {
  const { el, api } = Desk;
  const $ = (id) => document.getElementById(id);
  const box = $("reply-text");
  const ticketId = decodeURIComponent(location.pathname.split("/").pop());
  const state = { replies: [], issueType: null, open: false, matches: [], index: 0, editing: null };
  const picker = el("ul", { id: "canned-picker", class: "canned-picker", role: "listbox", "aria-label": "快捷回复",
                            hidden: true });
  box.insertAdjacentElement("afterend", picker);
  box.setAttribute("aria-controls", "canned-picker");

  async function load() {
    try {
      state.replies = (await api("GET", "/api/desk/canned-replies")).replies;
    } catch (err) {
      state.replies = [];
    }
    renderList();
  }

  /* The "/query" just before the caret, when there is one. */
  function slashQuery() {
    const before = box.value.slice(0, box.selectionStart);
    const match = /(^|\n)\/([^\s/]{0,20})$/.exec(before);
    return match ? { query: match[2], start: before.length - match[2].length - 1 } : null;
  }

  function close() {
    state.open = false;
    picker.hidden = true;
    box.setAttribute("aria-expanded", "false");
  }

  function show() {
    const found = slashQuery();
    if (!found || !state.replies.length) { close(); return; }
    const q = found.query.toLowerCase();
    state.matches = state.replies
      .filter((r) => !q || r.title.toLowerCase().includes(q) || r.text.toLowerCase().includes(q))
      .sort((a, b) => (b.issue_type === state.issueType) - (a.issue_type === state.issueType))
      .slice(0, 8);
    if (!state.matches.length) { close(); return; }
    state.index = Math.min(state.index, state.matches.length - 1);
    picker.replaceChildren(...state.matches.map((r, i) => el("li", {
      role: "option", class: "canned-option", "aria-selected": i === state.index ? "true" : "false",
      data: { id: r.id }, onmousedown: (event) => { event.preventDefault(); insert(r); },
    }, el("strong", { text: r.title }), el("span", { class: "muted small", text: r.text }))));
    state.open = true;
    picker.hidden = false;
    box.setAttribute("aria-expanded", "true");
  }

  function insert(reply) {
    const found = slashQuery();
    if (!found) return;
    const end = box.selectionStart;
    box.value = box.value.slice(0, found.start) + reply.text + box.value.slice(end);
    const caret = found.start + reply.text.length;
    box.setSelectionRange(caret, caret);
    close();
    box.focus();
  }

  box.addEventListener("input", () => { state.index = 0; show(); });
  box.addEventListener("blur", () => setTimeout(close, 150));
  box.addEventListener("keydown", (event) => {
    if (!state.open) return;
    const moves = { ArrowDown: 1, ArrowUp: -1 };
    if (event.key in moves) {
      state.index = (state.index + moves[event.key] + state.matches.length) % state.matches.length;
      show();
    } else if ((event.key === "Enter" && !event.ctrlKey && !event.metaKey) || event.key === "Tab") {
      insert(state.matches[state.index]);
    } else if (event.key === "Escape") {
      close();
    } else {
      return;
    }
    event.preventDefault();
    event.stopImmediatePropagation();
  }, true);

  /* -- the library card -------------------------------------------------------------------- */
  function renderList() {
    const list = $("canned-list");
    if (!state.replies.length) {
      list.replaceChildren(el("li", { class: "muted", text: "还没有快捷回复。在下面添加一条，回复时输入 / 即可插入。" }));
      return;
    }
    list.replaceChildren(...state.replies.map((r) => el("li", { data: { id: r.id } },
      el("div", {}, el("strong", { text: r.title }),
        r.issue_type ? el("span", { class: "muted small", text: ` · ${Desk.issueLabels[r.issue_type] || r.issue_type}` })
          : null),
      el("div", { class: "canned-text", text: r.text }),
      el("div", { class: "form-row" },
        el("button", { type: "button", class: "btn btn-small", text: "编辑", onclick: () => edit(r) }),
        el("button", { type: "button", class: "btn btn-small", text: "删除", onclick: () => remove(r) })))));
  }

  function edit(reply) {
    state.editing = reply.id;
    $("canned-title").value = reply.title;
    $("canned-body").value = reply.text;
    $("canned-issue").value = reply.issue_type || "";
    $("canned-save").textContent = "保存修改";
    $("canned-title").focus();
  }

  async function remove(reply) {
    try {
      await api("DELETE", `/api/desk/canned-replies/${reply.id}`);
      Desk.toast(`已删除快捷回复「${reply.title}」。`);
    } catch (err) {
      Desk.toast(err.message, "error");
    }
    load();
  }

  $("canned-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const body = { title: $("canned-title").value.trim(), text: $("canned-body").value.trim(),
                   issue_type: $("canned-issue").value || null };
    if (!body.title || !body.text) { Desk.toast("请填写标题和内容。", "error"); return; }
    try {
      if (state.editing) await api("PATCH", `/api/desk/canned-replies/${state.editing}`, body);
      else await api("POST", "/api/desk/canned-replies", body);
      Desk.toast(state.editing ? "快捷回复已修改。" : "快捷回复已添加，回复时输入 / 即可插入。");
      state.editing = null;
      event.target.reset();
      $("canned-save").textContent = "添加";
      load();
    } catch (err) {
      Desk.toast(err.message, "error");
    }
  });

  $("canned-issue").append(...Desk.data.issue_types.map((t) => el("option", { value: t.key, text: t.label })));
  api("GET", `/api/tickets/${encodeURIComponent(ticketId)}`)
    .then((answer) => { state.issueType = answer.ticket.issue_type; }, () => {});
  load();
})();
