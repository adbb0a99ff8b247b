// The chat page of the sandbox: a simulated citizen talks to one of the city's accounts.
// Every message is built with textContent (never innerHTML): nothing a message says becomes HTML.
"use strict";

const POLL_MS = 2000;
const KIND_TAGS = { custom: "客服消息", template: "模板消息", mass: "群发消息" };
const TIME_GAP_SECONDS = 300;

const ui = {};
const chat = {
  citizens: [],
  accounts: [],
  citizen: null,
  account: null,
  following: false,
  lastId: 0,
  lastTime: 0,
  rendered: new Set(),
  pending: [],
  busy: 0,
  generation: 0,
  polling: false,
};

function el(tag, attrs, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs || {})) {
    if (value !== null && value !== undefined && value !== false) node.setAttribute(name, String(value));
  }
  for (const child of children) {
    if (child === null || child === undefined) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

// Only http(s) links and pictures: a message must not smuggle in javascript: or data: URLs.
function safeUrl(value) {
  if (!value) return null;
  try {
    const url = new URL(value, window.location.href);
    return url.protocol === "http:" || url.protocol === "https:" ? url.href : null;
  } catch (_) {
    return null;
  }
}

async function api(path, options = {}) {
  const init = { ...options, headers: { Accept: "application/json", ...(options.headers || {}) } };
  if (options.json !== undefined) {
    init.body = JSON.stringify(options.json);
    init.headers["Content-Type"] = "application/json";
  }
  let response;
  try {
    response = await fetch(path, init);
  } catch (_) {
    throw new Error("无法连接模拟平台，请确认 sandbox 正在运行。");
  }
  const body = await response.json().catch(() => null);
  if (!response.ok) {
    throw new Error((body && body.detail) || `请求失败（HTTP ${response.status}）`);
  }
  return body;
}

function showStatus(message) {
  ui.status.textContent = message || "";
  ui.status.hidden = !message;
}

function setTyping(delta) {
  chat.busy = Math.max(0, chat.busy + delta);
  ui.typing.hidden = chat.busy === 0;
  if (chat.busy) scrollToEnd(true);
}

function nearEnd() {
  const box = ui.messages;
  return box.scrollHeight - box.scrollTop - box.clientHeight < 80;
}

function scrollToEnd(force) {
  if (force || nearEnd()) ui.messages.scrollTop = ui.messages.scrollHeight;
}

// -- selection --------------------------------------------------------------------------------

function fillSelect(select, items, label) {
  select.replaceChildren(...items.map((item) => el("option", { value: item.id || item.code }, label(item))));
}

async function loadWorld() {
  const [citizens, accounts] = await Promise.all([
    api("/sandbox/citizens?limit=100"),
    api("/sandbox/accounts?limit=100"),
  ]);
  chat.citizens = citizens.items;
  chat.accounts = accounts.items;
}

function remembered(name, items, key, fallback) {
  const wanted = new URLSearchParams(window.location.search).get(name) || localStorage.getItem(`chat.${name}`);
  const found = items.find((item) => item[key] === wanted);
  return (found || items.find((item) => item[key] === fallback) || items[0] || {})[key];
}

async function init() {
  for (const id of [
    "citizen-select", "account-select", "chat-title", "chat-subtitle", "unfollow-button", "messages",
    "empty-state", "empty-hint", "typing", "follow-panel", "follow-button", "chat-panel", "hint",
    "send-form", "message-input", "send-button", "menu-bar", "submenu", "status",
  ]) {
    ui[id.replace(/-([a-z])/g, (_, c) => c.toUpperCase())] = document.getElementById(id);
  }
  try {
    await loadWorld();
  } catch (error) {
    ui.chatTitle.textContent = "加载失败";
    showStatus(error.message);
    return;
  }
  fillSelect(ui.citizenSelect, chat.citizens, (c) => c.name);
  fillSelect(ui.accountSelect, chat.accounts, (a) => `${a.name}（${a.kind === "service" ? "服务号" : "订阅号"}）`);
  ui.citizenSelect.value = remembered("citizen", chat.citizens, "id");
  ui.accountSelect.value = remembered("account", chat.accounts, "code", "dgtq");
  ui.citizenSelect.addEventListener("change", openConversation);
  ui.accountSelect.addEventListener("change", openConversation);
  ui.followButton.addEventListener("click", follow);
  ui.unfollowButton.addEventListener("click", unfollow);
  ui.sendForm.addEventListener("submit", (event) => {
    event.preventDefault();
    sendText(ui.messageInput.value);
  });
  document.addEventListener("click", (event) => {
    if (!ui.submenu.hidden && !event.target.closest(".menu-wrap")) closeSubmenu();
  });
  document.addEventListener("keydown", (event) => {
    if (event.key === "Escape") closeSubmenu();
  });
  await openConversation();
  window.setInterval(poll, POLL_MS);
}

async function openConversation() {
  const generation = ++chat.generation;
  chat.citizen = chat.citizens.find((c) => c.id === ui.citizenSelect.value);
  chat.account = chat.accounts.find((a) => a.code === ui.accountSelect.value);
  localStorage.setItem("chat.citizen", chat.citizen.id);
  localStorage.setItem("chat.account", chat.account.code);
  chat.lastId = 0;
  chat.lastTime = 0;
  chat.rendered.clear();
  chat.pending = [];
  ui.messages.querySelectorAll(".entry, .notice, .time-divider").forEach((node) => node.remove());
  ui.chatTitle.textContent = chat.account.name;
  ui.chatSubtitle.textContent = `${chat.citizen.name} 的 openid：${chat.citizen.openids[chat.account.code]}`;
  document.title = `${chat.account.name} · 模拟微信`;
  closeSubmenu();
  showStatus("");
  try {
    const [citizens, menu] = await Promise.all([
      api("/sandbox/citizens?limit=100"),
      api(`/sandbox/accounts/${encodeURIComponent(chat.account.code)}/menu`),
    ]);
    if (generation !== chat.generation) return;
    chat.citizens = citizens.items;
    const me = chat.citizens.find((c) => c.id === chat.citizen.id);
    setFollowing(me.following.includes(chat.account.code));
    renderMenu(menu);
  } catch (error) {
    showStatus(error.message);
  }
  renderHints();
  updateEmptyState();
  await poll();
}

function setFollowing(following) {
  chat.following = following;
  ui.followPanel.hidden = following;
  ui.chatPanel.hidden = !following;
  ui.unfollowButton.hidden = !following;
  document.body.dataset.following = following ? "yes" : "no";
}

function renderHints() {
  const hints = chat.account.hints || [];
  if (!hints.length) {
    ui.hint.replaceChildren(el("span", {}, "试试点击下方菜单。"));
  } else {
    ui.hint.replaceChildren(
      el("span", {}, "试试发送："),
      ...hints.map((text) => {
        const chip = el("button", { type: "button", class: "hint-chip", "data-text": text }, text);
        chip.addEventListener("click", () => sendText(text));
        return chip;
      }),
    );
  }
  const example = hints.length ? `试试发送：${hints.map((h) => `“${h}”`).join("、")}` : "试试点击下方菜单";
  ui.emptyHint.textContent = chat.following
    ? `${example}\n公众号的回复会显示在这里。`
    : `点击下方“关注公众号”，就能收到欢迎消息。\n关注后${example}。`;
}

function updateEmptyState() {
  ui.emptyState.hidden = chat.rendered.size > 0 || chat.pending.length > 0;
}

// -- menu -------------------------------------------------------------------------------------

function renderMenu(menu) {
  const buttons = (menu && menu.button) || [];
  if (!buttons.length) {
    ui.menuBar.replaceChildren(el("div", { id: "menu-empty", class: "menu-empty" }, "该公众号尚未发布菜单"));
    ui.menuBar.dataset.published = "no";
    return;
  }
  ui.menuBar.dataset.published = "yes";
  ui.menuBar.replaceChildren(
    ...buttons.map((button) => {
      const subs = button.sub_button || [];
      const node = el(
        "button",
        { type: "button", class: "menu-button", "data-menu-name": button.name },
        subs.length ? el("span", { class: "sub-icon", "aria-hidden": "true" }, "☰") : null,
        button.name,
      );
      if (subs.length) {
        node.setAttribute("aria-haspopup", "menu");
        node.setAttribute("aria-expanded", "false");
        node.addEventListener("click", () => toggleSubmenu(node, subs));
      } else {
        describeAction(node, button);
        node.addEventListener("click", () => press(button));
      }
      return node;
    }),
  );
}

function describeAction(node, button) {
  node.dataset.menuType = button.type || "";
  if (button.key) node.dataset.menuKey = button.key;
  if (button.url) node.dataset.menuUrl = button.url;
}

function toggleSubmenu(anchor, subs) {
  const open = !ui.submenu.hidden && ui.submenu.dataset.for === anchor.dataset.menuName;
  closeSubmenu();
  if (open) return;
  ui.submenu.replaceChildren(
    ...subs.map((sub) => {
      const item = el("button", { type: "button", role: "menuitem", class: "menu-item", "data-menu-name": sub.name }, sub.name);
      describeAction(item, sub);
      item.addEventListener("click", () => press(sub));
      return item;
    }),
  );
  ui.submenu.dataset.for = anchor.dataset.menuName;
  ui.submenu.hidden = false;
  anchor.setAttribute("aria-expanded", "true");
  const bar = ui.menuBar.getBoundingClientRect();
  const box = anchor.getBoundingClientRect();
  const width = ui.submenu.offsetWidth;
  const left = Math.min(Math.max(box.left - bar.left + (box.width - width) / 2, 4), bar.width - width - 4);
  ui.submenu.style.left = `${left}px`;
}

function closeSubmenu() {
  if (!ui.submenu) return;
  ui.submenu.hidden = true;
  delete ui.submenu.dataset.for;
  ui.menuBar.querySelectorAll("[aria-expanded]").forEach((node) => node.setAttribute("aria-expanded", "false"));
}

function press(button) {
  closeSubmenu();
  if (button.type === "click") {
    send({ kind: "click", key: button.key });
  } else if (button.type === "view") {
    const url = safeUrl(button.url);
    if (url) window.open(url, "_blank", "noopener,noreferrer");
    send({ kind: "view", url: button.url });
  } else {
    showStatus(`模拟微信暂不支持“${button.type}”类型的菜单。`);
  }
}

// -- sending ----------------------------------------------------------------------------------

function sendText(text) {
  const content = text.trim();
  if (!content) {
    ui.messageInput.focus();
    return;
  }
  ui.messageInput.value = "";
  ui.messageInput.focus();
  send({ kind: "text", content });
}

async function send(payload) {
  if (!chat.following) return;
  const generation = chat.generation;
  showStatus("");
  // The citizen's own text shows at once; the recorded line replaces it when it arrives.
  const preview = payload.kind === "text" ? addPending(payload.content) : null;
  setTyping(+1);
  const path = `/sandbox/citizens/${encodeURIComponent(chat.citizen.id)}/conversations/${encodeURIComponent(chat.account.code)}/messages`;
  window.setTimeout(poll, 300);
  try {
    await api(path, { method: "POST", json: payload });
  } catch (error) {
    if (generation === chat.generation) {
      showStatus(error.message);
      if (preview) preview.querySelector(".bubble").classList.add("unsent");
    }
  } finally {
    setTyping(-1);
  }
  if (generation === chat.generation) await poll();
}

function addPending(text) {
  const row = ownRow(el("div", { class: "bubble pending" }, text));
  row.dataset.pending = "text";
  ui.messages.append(row);
  chat.pending.push(row);
  updateEmptyState();
  scrollToEnd(true);
  return row;
}

async function follow() {
  const generation = chat.generation;
  ui.followButton.disabled = true;
  setTyping(+1);
  try {
    await api(`/sandbox/citizens/${encodeURIComponent(chat.citizen.id)}/follows/${encodeURIComponent(chat.account.code)}`, { method: "PUT" });
    if (generation === chat.generation) {
      setFollowing(true);
      renderHints();
      await refreshMenu(generation);
    }
  } catch (error) {
    showStatus(error.message);
  } finally {
    ui.followButton.disabled = false;
    setTyping(-1);
  }
  if (generation === chat.generation) await poll();
}

async function unfollow() {
  const generation = chat.generation;
  try {
    await api(`/sandbox/citizens/${encodeURIComponent(chat.citizen.id)}/follows/${encodeURIComponent(chat.account.code)}`, { method: "DELETE" });
    if (generation === chat.generation) {
      setFollowing(false);
      closeSubmenu();
      renderHints();
    }
  } catch (error) {
    showStatus(error.message);
  }
  if (generation === chat.generation) await poll();
}

async function refreshMenu(generation) {
  const menu = await api(`/sandbox/accounts/${encodeURIComponent(chat.account.code)}/menu`);
  if (generation === chat.generation) renderMenu(menu);
}

// -- receiving --------------------------------------------------------------------------------

async function poll() {
  if (chat.polling || !chat.account) return;
  chat.polling = true;
  const generation = chat.generation;
  try {
    for (;;) {
      const path = `/sandbox/citizens/${encodeURIComponent(chat.citizen.id)}/conversations/${encodeURIComponent(chat.account.code)}?after=${chat.lastId}&limit=100`;
      const page = await api(path);
      if (generation !== chat.generation) return;
      page.items.forEach(renderEntry);
      if (page.items.length >= page.total) break;
    }
  } catch (error) {
    if (generation === chat.generation) showStatus(error.message);
  } finally {
    chat.polling = false;
  }
}

function renderEntry(entry) {
  if (chat.rendered.has(entry.id)) return;
  const stick = nearEnd();
  chat.rendered.add(entry.id);
  chat.lastId = Math.max(chat.lastId, entry.id);
  if (entry.direction === "to_account" && entry.kind === "text" && chat.pending.length) {
    chat.pending.shift().remove();
  }
  const at = new Date(entry.at);
  const seconds = at.getTime() / 1000;
  if (!chat.lastTime || seconds - chat.lastTime > TIME_GAP_SECONDS) {
    ui.messages.append(el("div", { class: "time-divider" }, formatTime(at)));
  }
  chat.lastTime = seconds;
  const node = entryNode(entry);
  node.dataset.entryId = entry.id;
  node.dataset.direction = entry.direction;
  node.dataset.kind = entry.kind;
  node.dataset.msgtype = entry.msgtype;
  node.title = formatTime(at);
  // Pending previews stay last: they are newer than anything recorded so far.
  const firstPending = chat.pending[0];
  if (firstPending) ui.messages.insertBefore(node, firstPending);
  else ui.messages.append(node);
  updateEmptyState();
  scrollToEnd(stick);
}

function formatTime(date) {
  const pad = (n) => String(n).padStart(2, "0");
  const today = new Date();
  const time = `${pad(date.getHours())}:${pad(date.getMinutes())}`;
  return date.toDateString() === today.toDateString()
    ? time
    : `${date.getMonth() + 1}月${date.getDate()}日 ${time}`;
}

function entryNode(entry) {
  const content = entry.content || {};
  if (entry.kind === "failure") {
    return el(
      "div",
      { class: "notice failure", role: "note" },
      el("span", {}, content.content || entry.summary),
      content.reason ? el("details", {}, el("summary", {}, "开发者信息"), content.reason) : null,
    );
  }
  if (entry.direction === "to_account") {
    if (entry.msgtype === "event") {
      const words = {
        subscribe: `你关注了 ${chat.account.name}`,
        unsubscribe: `你取消了关注 ${chat.account.name}`,
      };
      return el("div", { class: "notice" }, el("span", {}, words[entry.kind] || `你${entry.summary}`));
    }
    if (entry.msgtype === "location") {
      const where = `📍 ${content.label || "我的位置"}\n${content.latitude}, ${content.longitude}`;
      return ownRow(el("div", { class: "bubble" }, where));
    }
    return ownRow(el("div", { class: "bubble" }, content.content ?? entry.summary));
  }
  return accountRow(entry, accountBody(entry));
}

function ownRow(body) {
  return el("div", { class: "entry to_account" }, el("div", { class: "avatar", "aria-hidden": "true" }, chat.citizen.name.slice(-1)), el("div", { class: "body" }, body));
}

function accountRow(entry, body) {
  const tag = KIND_TAGS[entry.kind];
  return el(
    "div",
    { class: "entry to_citizen" },
    el("div", { class: "avatar", "aria-hidden": "true" }, chat.account.name.replace(/^东莞/, "").slice(0, 1)),
    el("div", { class: "body" }, tag ? el("span", { class: "tag" }, tag) : null, body),
  );
}

function accountBody(entry) {
  const content = entry.content || {};
  if (entry.msgtype === "text") return el("div", { class: "bubble" }, content.content || "");
  // Passive news replies and mass-sent articles (mpnews, resolved by the platform) alike.
  if ((entry.msgtype === "news" || entry.msgtype === "mpnews") && Array.isArray(content.articles)) {
    return newsCards(content.articles);
  }
  if (entry.msgtype === "image" && safeUrl(content.picurl)) {
    return el("div", { class: "bubble picture" }, el("img", { src: safeUrl(content.picurl), alt: "图片", loading: "lazy" }));
  }
  if (entry.msgtype === "template") return templateCard(content);
  return el("div", { class: "bubble placeholder" }, entry.summary);
}

function newsCards(articles) {
  return el(
    "div",
    { class: "news" },
    ...articles.map((article) => {
      const href = safeUrl(article.url);
      const picture = safeUrl(article.picurl);
      return el(
        href ? "a" : "div",
        { class: "news-card", href, target: href ? "_blank" : null, rel: href ? "noopener noreferrer" : null },
        picture ? el("img", { src: picture, alt: "", loading: "lazy" }) : null,
        el(
          "div",
          { class: "news-text" },
          el("p", { class: "news-title" }, article.title || "（无标题）"),
          article.description ? el("p", { class: "news-desc" }, article.description) : null,
        ),
        href ? el("span", { class: "news-link" }, "阅读全文 ›") : null,
      );
    }),
  );
}

// WeChat's template layout: `first` heads the card (缴款成功), `remark` closes it, the other
// fields are rows. The sandbox has no template library, so a row is labelled by its field name.
function templateCard(content) {
  const data = content.data || {};
  const text = (key) => (data[key] && data[key].value) || "";
  const rows = Object.keys(data)
    .filter((key) => key !== "first" && key !== "remark")
    .map((key) => el("div", { class: "template-row" }, el("span", { class: "k" }, key), el("span", { class: "v" }, text(key))));
  const href = safeUrl(content.url);
  return el(
    "div",
    { class: "template" },
    el("p", { class: "template-title" }, text("first") || "模板消息"),
    ...rows,
    text("remark") ? el("p", { class: "template-remark" }, text("remark")) : null,
    href ? el("a", { href, target: "_blank", rel: "noopener noreferrer" }, "详情 ›") : null,
  );
}

document.addEventListener("DOMContentLoaded", init);
