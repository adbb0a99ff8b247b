"""Keyword rules of an account's chat, as pure functions: validation naming every bad field.

A rule matches a message when any of its patterns does: `exact` the whole text (trimmed) equals
the pattern, `contains` the text contains it, `regex` Python `re.search` finds it. Rules are tried
in list order; the first match answers with a text, news articles or a chat intent.
Field paths read like the JSON they point at: `rules[2].patterns[0]`.
"""

from __future__ import annotations

import re
from typing import Any

from accounts.chat_intents import intent_errors
from accounts.models import REPLY_TYPES, RULE_MATCHES
from servicekit.chattext import utf8_len

MAX_RULES = 100
MAX_PATTERNS = 20
PATTERN_CHARS = 200
REPLY_TEXT_CHARS = 2000
MAX_ARTICLES = 8
TITLE_CHARS = 64
ARTICLE_DESCRIPTION_CHARS = 200
URL_BYTES = 1024
# The reply fields each reply type uses; a rule must leave the others out (or null).
REPLY_FIELDS = {"text": "reply_text", "news": "articles", "intent": "intent"}
RULE_FIELDS = frozenset(
    {"position", "match", "patterns", "reply_type", "reply_text", "articles", "intent", "params"}
)
ARTICLE_FIELDS = ("title", "description", "url", "picurl")


def keyword_rules_errors(*, body: Any) -> list[dict[str, str]]:
    """Every problem of a `{"rules": [...]}` body, as `{"field", "message"}`; empty when valid."""
    errors: list[dict[str, str]] = []
    if not isinstance(body, dict):
        return [{"field": "rules", "message": '请求须为 JSON 对象，形如 {"rules": [...]}'}]
    errors += [
        {"field": field, "message": "只能包含 rules 字段"} for field in body if field != "rules"
    ]
    rules = body.get("rules")
    if not isinstance(rules, list):
        return [*errors, {"field": "rules", "message": "rules 须为规则数组（可为空数组）"}]
    if len(rules) > MAX_RULES:
        errors.append({"field": "rules", "message": f"最多 {MAX_RULES} 条规则"})
    for i, rule in enumerate(rules):
        errors += _rule_errors(rule, i)
    return errors


def _rule_errors(rule: Any, i: int) -> list[dict[str, str]]:
    path = f"rules[{i}]"
    errors: list[dict[str, str]] = []

    def bad(field: str, message: str) -> None:
        errors.append({"field": f"{path}.{field}" if field else path, "message": message})

    if not isinstance(rule, dict):
        bad("", "规则须为 JSON 对象")
        return errors
    for field in rule:
        if field not in RULE_FIELDS:
            bad(field, f"不支持的规则字段 {field}")
    if "position" in rule and rule["position"] != i:
        bad("position", f"position 可省略；填写时须等于规则在列表中的序号 {i}（从 0 开始）")
    match = rule.get("match")
    if match not in RULE_MATCHES:
        bad("match", "匹配方式须为 exact（全匹配）、contains（包含）或 regex（正则）")
    patterns = rule.get("patterns")
    if not isinstance(patterns, list) or not patterns:
        bad("patterns", "至少需要 1 个关键词")
    elif len(patterns) > MAX_PATTERNS:
        bad("patterns", f"最多 {MAX_PATTERNS} 个关键词")
    else:
        for j, pattern in enumerate(patterns):
            message = _pattern_error(pattern, regex=match == "regex")
            if message:
                bad(f"patterns[{j}]", message)
    reply_type = rule.get("reply_type")
    if reply_type not in REPLY_TYPES:
        bad("reply_type", "回复类型须为 text（文字）、news（图文）或 intent（意图）")
        return errors
    for other, field in REPLY_FIELDS.items():
        if other != reply_type and rule.get(field) is not None:
            bad(field, f"reply_type 为 {reply_type} 时不能设置 {field}")
    if reply_type != "intent" and rule.get("params"):
        bad("params", "只有 reply_type 为 intent 时才能设置 params")
    if reply_type == "text":
        text = rule.get("reply_text")
        if not isinstance(text, str) or not text.strip():
            bad("reply_text", "文字回复不能为空")
        elif len(text) > REPLY_TEXT_CHARS:
            bad("reply_text", f"文字回复不能超过 {REPLY_TEXT_CHARS} 个字符")
    elif reply_type == "news":
        errors += _articles_errors(rule.get("articles"), f"{path}.articles")
    else:
        params = rule.get("params")
        errors += intent_errors(
            intent=rule.get("intent"), params={} if params is None else params, path=path
        )
    return errors


def _pattern_error(pattern: Any, *, regex: bool) -> str | None:
    if not isinstance(pattern, str) or not pattern.strip():
        return "关键词不能为空"
    if len(pattern) > PATTERN_CHARS:
        return f"关键词不能超过 {PATTERN_CHARS} 个字符"
    if regex:
        try:
            re.compile(pattern)
        except re.error as exc:
            return f"正则表达式无效：{exc}"
    return None


def _articles_errors(articles: Any, path: str) -> list[dict[str, str]]:
    if not isinstance(articles, list) or not articles:
        return [{"field": path, "message": "图文回复至少需要 1 篇文章"}]
    errors: list[dict[str, str]] = []
    if len(articles) > MAX_ARTICLES:
        errors.append({"field": path, "message": f"图文回复最多 {MAX_ARTICLES} 篇文章"})
    for k, article in enumerate(articles):
        where = f"{path}[{k}]"
        if not isinstance(article, dict):
            errors.append({"field": where, "message": "文章须为 JSON 对象"})
            continue
        for field, value in article.items():
            message = _article_field_error(field, value)
            if message:
                errors.append({"field": f"{where}.{field}", "message": message})
        errors += [
            {"field": f"{where}.{field}", "message": f"文章须填写 {field}"}
            for field in ("title", "url")
            if field not in article
        ]
    return errors


def _article_field_error(field: str, value: Any) -> str | None:
    if field not in ARTICLE_FIELDS:
        return f"不支持的文章字段 {field}"
    if value is None and field in ("description", "picurl"):
        return None
    if not isinstance(value, str) or not value.strip():
        return f"{field} 不能为空"
    if field == "title" and len(value) > TITLE_CHARS:
        return f"标题不能超过 {TITLE_CHARS} 个字符"
    if field == "description" and len(value) > ARTICLE_DESCRIPTION_CHARS:
        return f"摘要不能超过 {ARTICLE_DESCRIPTION_CHARS} 个字符"
    if field in ("url", "picurl"):
        if not value.startswith(("http://", "https://")):
            return f"{field} 须以 http:// 或 https:// 开头"
        if utf8_len(value) > URL_BYTES:
            return f"{field} 不能超过 {URL_BYTES} 字节"
    return None


def normalise_keyword_rules(*, rules: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Valid rules in their stored shape: every field present, positions from list order."""
    return [
        {
            "position": i,
            "match": rule["match"],
            "patterns": list(rule["patterns"]),
            "reply_type": rule["reply_type"],
            "reply_text": rule.get("reply_text"),
            "articles": None
            if rule.get("articles") is None
            else [{f: a.get(f) for f in ARTICLE_FIELDS} for a in rule["articles"]],
            "intent": rule.get("intent"),
            "params": dict(rule.get("params") or {}),
        }
        for i, rule in enumerate(rules)
    ]


def rule_matches(*, rule: dict[str, Any], text: str) -> bool:
    """Whether a valid rule matches a message (the reference semantics the gateway implements)."""
    if rule["match"] == "exact":
        return text.strip() in rule["patterns"]
    if rule["match"] == "contains":
        return any(pattern in text for pattern in rule["patterns"])
    return any(re.search(pattern, text) for pattern in rule["patterns"])


def first_matching_rule(*, rules: list[dict[str, Any]], text: str) -> dict[str, Any] | None:
    """The rule that answers `text`: the first in order that matches, or None."""
    return next((rule for rule in rules if rule_matches(rule=rule, text=text)), None)
