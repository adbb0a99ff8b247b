/* The fine payment page (gateway/h5/routes.py).
 *
 * 1. Sign-in: without a token the page goes to the gateway's WeChat OAuth (snsapi_base), which
 *    comes back with the token in the fragment; the token is kept in sessionStorage only and the
 *    fragment is removed from the address bar at once.
 * 2. The list: the citizen's decided but unpaid violations, as traffic answers them (amount due
 *    today, late surcharge included).
 * 3. Paying: one Idempotency-Key per decision and attempt, kept in sessionStorage so a reload or
 *    a retry after a lost answer gets the same order back, never a second one. In WeChat the
 *    order is paid with WeixinJSBridge; elsewhere (development) the browser goes to the sandbox's
 *    payer page, which links back here with `order=<id>`.
 * 4. The outcome: the order as traffic holds it, polled until it is finished. WeChat's "ok" is
 *    never taken as proof of payment.
 */
(function () {
  "use strict";

  var TOKEN_KEY = "guanwei.h5.token";
  var ATTEMPT_PREFIX = "guanwei.h5.attempt.";
  var POLL_INTERVAL_MS = 1500;
  var POLL_ROUNDS = 10;
  var API = new URL("../api/v1/", window.location.href).href;

  var body = document.body;
  var account = body.getAttribute("data-account") || "dgjj";
  var el = function (id) { return document.getElementById(id); };
  var notice = el("notice");

  function yuan(fen) {
    return "¥" + (fen / 100).toFixed(2);
  }

  // Beijing time whatever the phone's zone: the times of a decision are the city's.
  var BEIJING = new Intl.DateTimeFormat("zh-CN", {
    timeZone: "Asia/Shanghai", hourCycle: "h23", year: "numeric", month: "2-digit",
    day: "2-digit", hour: "2-digit", minute: "2-digit",
  });

  function localTime(iso) {
    if (!iso) return "";
    var part = {};
    BEIJING.formatToParts(new Date(iso)).forEach(function (p) { part[p.type] = p.value; });
    return part.year + "-" + part.month + "-" + part.day + " " + part.hour + ":" + part.minute;
  }

  function show(state, text) {
    body.setAttribute("data-state", state);
    notice.textContent = text || "";
    notice.hidden = !text;
    el("outcome").hidden = state !== "outcome";
    el("decisions").hidden = state !== "list";
    el("signed-out").hidden = state !== "signed-out";
  }

  function pageUrl(order) {
    var query = new URLSearchParams({ account: account });
    if (order) query.set("order", String(order));
    return window.location.origin + window.location.pathname + "?" + query.toString();
  }

  // --- sign-in ---------------------------------------------------------------------------

  function takeGrantFromFragment() {
    var fragment = window.location.hash.replace(/^#/, "");
    if (!fragment) return "";
    var grant = new URLSearchParams(fragment);
    // The token must not stay in the address bar, the history or a bookmark.
    window.history.replaceState(null, "", window.location.pathname + window.location.search);
    var token = grant.get("access_token");
    if (token) {
      var seconds = Number(grant.get("expires_in")) || 0;
      sessionStorage.setItem(TOKEN_KEY, JSON.stringify({
        token: token, expires: Date.now() + seconds * 1000,
      }));
    }
    return grant.get("error") || "";
  }

  function token() {
    try {
      var held = JSON.parse(sessionStorage.getItem(TOKEN_KEY) || "null");
      if (held && held.token && held.expires > Date.now() + 30000) return held.token;
    } catch (ignored) { /* a damaged entry is as good as none */ }
    sessionStorage.removeItem(TOKEN_KEY);
    return "";
  }

  function signIn() {
    sessionStorage.removeItem(TOKEN_KEY);
    show("signing-in", "正在通过微信登录…");
    var here = new URLSearchParams(window.location.search).get("order");
    var query = new URLSearchParams({ account: account, redirect: pageUrl(here) });
    window.location.replace(API + "auth/wechat/authorize?" + query.toString());
  }

  function signedOut(text) {
    show("signed-out", "");
    el("signed-out-text").textContent = text;
  }

  // --- the API ---------------------------------------------------------------------------

  function ApiError(status, detail) {
    this.status = status;
    this.detail = detail;
  }

  async function api(method, path, headers) {
    var response;
    try {
      response = await fetch(API + path, {
        method: method,
        headers: Object.assign({ Authorization: "Bearer " + token() }, headers || {}),
        cache: "no-store",
        credentials: "omit",
      });
    } catch (lost) {
      throw new ApiError(0, "网络连接异常，请稍后重试。");
    }
    var answer = null;
    try { answer = await response.json(); } catch (notJson) { answer = null; }
    if (response.status === 401) {
      signIn();
      throw new ApiError(401, "登录已失效，正在重新登录…");
    }
    if (!response.ok) {
      var detail = answer && answer.detail ? answer.detail : "服务暂时不可用，请稍后再试。";
      throw new ApiError(response.status, detail);
    }
    return answer;
  }

  function failed(error) {
    if (error instanceof ApiError) {
      if (error.status !== 401) show("error", error.detail);
      return;
    }
    show("error", "页面出错了，请刷新重试。");
  }

  // --- the list of unpaid decisions ---------------------------------------------------------

  function row(list, label, value) {
    var dt = document.createElement("dt");
    dt.textContent = label;
    var dd = document.createElement("dd");
    dd.textContent = value;
    list.append(dt, dd);
  }

  function decisionItem(item) {
    var li = document.createElement("li");
    li.className = "card decision";
    li.setAttribute("data-decision", item.decision_number);

    var head = document.createElement("div");
    head.className = "decision-head";
    var plate = document.createElement("span");
    plate.className = "plate";
    plate.textContent = item.plate;
    var amount = document.createElement("span");
    amount.className = "amount";
    amount.textContent = yuan(item.amount_due_fen);
    head.append(plate, amount);

    var what = document.createElement("p");
    what.className = "what";
    what.textContent = item.description;

    var rows = document.createElement("dl");
    rows.className = "rows";
    row(rows, "决定书编号", item.decision_number);
    row(rows, "违法时间", localTime(item.occurred_at));
    row(rows, "违法地点", item.place);
    row(rows, "罚款", yuan(item.fine_fen));
    if (item.surcharge_fen > 0) {
      row(rows, "加处罚款", yuan(item.surcharge_fen) + "（逾期 " + item.overdue_days + " 天）");
    }
    if (item.due_on) row(rows, "缴款期限", item.due_on);

    var button = document.createElement("button");
    button.type = "button";
    button.className = "primary pay";
    button.textContent = "缴纳 " + yuan(item.amount_due_fen);
    button.addEventListener("click", function () { pay(item.decision_number, button); });

    li.append(head, what, rows, button);
    return li;
  }

  async function showList() {
    window.history.replaceState(null, "", pageUrl());
    show("loading", "正在查询待缴款的处罚决定书…");
    var page = await api("GET", "traffic/me/violations?status=decided_unpaid&limit=100");
    var list = el("decision-list");
    list.replaceChildren.apply(list, page.items.map(decisionItem));
    el("total-amount").textContent = yuan(page.amount_due_fen);
    el("total-note").textContent = page.items.length
      ? "共 " + page.total + " 张处罚决定书待缴款（计算日期 " + page.on + "）"
      : "没有待缴款的处罚决定书。";
    show("list", page.items.length ? "" :
      "没有待缴款的罚款。未绑定车辆或驾驶证的，请先在东莞交警公众号中绑定。");
  }

  // --- paying -------------------------------------------------------------------------------

  function attemptKey(number) {
    var stored = sessionStorage.getItem(ATTEMPT_PREFIX + number);
    if (stored) return stored;
    var bytes = new Uint8Array(16);
    window.crypto.getRandomValues(bytes);
    var key = "h5-" + Array.from(bytes, function (b) {
      return b.toString(16).padStart(2, "0");
    }).join("");
    sessionStorage.setItem(ATTEMPT_PREFIX + number, key);
    return key;
  }

  function endAttempt(number) {
    sessionStorage.removeItem(ATTEMPT_PREFIX + number);
  }

  function createOrder(number) {
    return api("POST", "traffic/decisions/" + encodeURIComponent(number) + "/payments", {
      "Idempotency-Key": attemptKey(number),
    });
  }

  async function pay(number, button) {
    button.disabled = true;
    show("list", "正在创建缴款订单…");
    try {
      var order = await createOrder(number);
      if (order.state.finished && order.state.status !== "success") {
        // This key's attempt is over (expired, closed, refused): the next one gets a new key.
        endAttempt(number);
        order = await createOrder(number);
      }
      if (order.state.finished) {
        outcome(order);
      } else {
        launch(order);
      }
    } catch (error) {
      button.disabled = false;
      if (error instanceof ApiError && error.status !== 401) show("list", error.detail);
      else failed(error);
    }
  }

  function inWeChat() {
    return /MicroMessenger/i.test(navigator.userAgent);
  }

  function whenBridgeReady(then) {
    if (typeof window.WeixinJSBridge === "object") then();
    else document.addEventListener("WeixinJSBridgeReady", then, { once: true });
  }

  function launch(order) {
    if (!order.jsapi) {
      show("list", "微信支付暂时无法下单，未扣款，请稍后重试。");
      return;
    }
    window.history.replaceState(null, "", pageUrl(order.id));
    if (inWeChat()) {
      whenBridgeReady(function () {
        window.WeixinJSBridge.invoke("getBrandWCPayRequest", order.jsapi, function () {
          // Whatever the browser says, the order tells.
          watch(order.id);
        });
      });
      return;
    }
    if (order.pay_page_url) {
      // Development: the sandbox's payer page plays WeChat's cashier and links back here.
      var query = new URLSearchParams(order.jsapi);
      query.set("return_url", pageUrl(order.id));
      window.location.assign(order.pay_page_url + "?" + query.toString());
      return;
    }
    show("list", "请在微信中打开本页面完成缴款。");
  }

  // --- the outcome ---------------------------------------------------------------------------

  function outcomeCard(kind, title, text, order) {
    var card = el("outcome");
    card.setAttribute("data-outcome", kind);
    el("outcome-title").textContent = title;
    el("outcome-text").textContent = text;
    var rows = el("outcome-rows");
    rows.replaceChildren();
    row(rows, "决定书编号", order.decision_number);
    row(rows, "金额", yuan(order.amount_fen));
    if (order.surcharge_fen > 0) {
      row(rows, "其中加处罚款", yuan(order.surcharge_fen));
    }
    if (order.paid_at) row(rows, "支付时间", localTime(order.paid_at));
    if (order.transaction_id) row(rows, "微信支付单号", order.transaction_id);
    row(rows, "商户订单号", order.out_trade_no);
  }

  function outcome(order) {
    el("outcome-retry").hidden = true;
    if (order.state.status === "success") {
      endAttempt(order.decision_number);
      outcomeCard("success", "缴款成功", "罚款已缴清，处罚决定书已记为已缴款。", order);
    } else {
      endAttempt(order.decision_number);
      outcomeCard("unfinished", "缴款未完成", order.status_text + "。如需缴款，请返回列表重新缴纳。",
        order);
    }
    show("outcome", "");
  }

  function stillOpen(order) {
    outcomeCard("pending", "缴款未完成",
      "尚未收到支付结果。如已支付，请稍后刷新；未支付的，可返回列表继续缴纳。", order);
    el("outcome-retry").hidden = false;
    show("outcome", "");
  }

  function pause(ms) {
    return new Promise(function (resolve) { window.setTimeout(resolve, ms); });
  }

  async function watch(orderId) {
    window.history.replaceState(null, "", pageUrl(orderId));
    show("waiting", "正在确认缴款结果…");
    try {
      for (var round = 0; round < POLL_ROUNDS; round += 1) {
        var order = await api("GET", "traffic/payments/" + encodeURIComponent(orderId));
        if (order.state.finished) {
          outcome(order);
          return;
        }
        if (round === POLL_ROUNDS - 1) {
          stillOpen(order);
          return;
        }
        await pause(POLL_INTERVAL_MS);
      }
    } catch (error) {
      failed(error);
    }
  }

  // --- start ---------------------------------------------------------------------------------

  el("sign-in").addEventListener("click", signIn);
  el("outcome-back").addEventListener("click", function () { showList().catch(failed); });
  el("outcome-retry").addEventListener("click", function () {
    var order = new URLSearchParams(window.location.search).get("order");
    if (order) watch(order);
  });

  var refused = takeGrantFromFragment();
  if (refused) {
    signedOut("你未同意微信授权，无法查询和缴纳罚款。");
  } else if (!token()) {
    signIn();
  } else {
    var order = new URLSearchParams(window.location.search).get("order");
    if (order && /^[0-9]{1,10}$/.test(order)) watch(order);
    else showList().catch(failed);
  }
})();
