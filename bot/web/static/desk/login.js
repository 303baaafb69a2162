/* Login: the form works without scripts (POST, 303 back here with ?error=…); with scripts it
   posts JSON so every answer — wrong password, too many attempts, missing field — is shown here
   in Chinese without leaving the page. */
"use strict";

(() => {
  const form = document.getElementById("login-form");
  const errorBox = document.getElementById("login-error");
  const submit = document.getElementById("login-submit");

  function showError(message) {
    errorBox.textContent = message;
    errorBox.hidden = false;
    document.getElementById("login-notice").hidden = true;
  }

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const name = form.elements.name.value.trim();
    const password = form.elements.password.value;
    if (!name || !password) {
      showError("请填写账号和密码。");
      return;
    }
    submit.disabled = true;
    submit.textContent = "登录中…";
    try {
      const response = await fetch("/desk/login", {
        method: "POST", credentials: "same-origin",
        headers: { "Content-Type": "application/json", Accept: "application/json" },
        body: JSON.stringify({ name, password }),
      });
      if (response.ok) {
        location.assign(form.elements.next.value || "/desk");
        return;
      }
      let body = null;
      try { body = await response.json(); } catch (err) { body = null; }
      const messages = {
        401: "账号或密码不正确，请重新输入。",
        429: "登录失败次数过多，请 15 分钟后再试。",
      };
      showError(messages[response.status] || (body && body.message) || `登录失败（${response.status}），请稍后再试。`);
      form.elements.password.value = "";
      form.elements.password.focus();
    } catch (err) {
      showError("网络连接失败，请检查网络后重试。");
    } finally {
      submit.disabled = false;
      submit.textContent = "登录";
    }
  });
})();
