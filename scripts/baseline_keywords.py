"""Keyword-rule baseline for complaint understanding.

This is the kind of auto-reply rule set shops configure in their customer-service back end:
an ordered list of keywords per issue type, and the first rule that matches wins. It exists so that
the trained Rasa model can be compared with something realistic (``scripts/eval_nlu.py --parser
scripts.baseline_keywords:parse_texts``).

The keyword lists were written from the taxonomy descriptions (docs/ARCHITECTURE.md) before the test set
existed and must not be tuned on the test set; otherwise the comparison means nothing.

``parse_texts(texts)`` returns one dict per text with the same keys as ``bot.integrations.parse.parse_texts``:
``text, is_complaint, intent, confidence, issue_type, category, expectation, order_number,
priority, risk_flags``.
"""
from __future__ import annotations

import re
import sys
from collections.abc import Iterable

CATEGORY = {
    "product_quality": "product",
    "not_as_described": "product",
    "wrong_or_missing_item": "product",
    "out_of_stock": "product",
    "logistics_delay": "logistics",
    "package_damaged_or_lost": "logistics",
    "courier_attitude": "logistics",
    "service_attitude": "service",
    "after_sales_refund": "service",
    "payment_issue": "other",
    "promotion_issue": "other",
    "price_dispute": "other",
    "other_complaint": "other",
}

# Ordered: the more specific rules come first, as a shop would arrange them so that e.g.
# "快递员态度差" is routed to the courier and not to the generic service-attitude rule.
ISSUE_RULES: list[tuple[str, list[str]]] = [
    ("payment_issue", [
        "重复扣款", "扣了两次", "扣两次", "扣款两次", "多扣", "支付失败", "付款失败",
        "钱扣了", "扣了钱", "已扣款", "扣款成功", "付不了款", "支付不了", "无法支付", "重复支付",
        "扣费",
    ]),
    ("price_dispute", [
        "价保", "保价", "差价", "降价", "买贵了", "便宜了", "价格不一样", "涨价",
    ]),
    ("promotion_issue", [
        "优惠券", "优惠卷", "满减", "赠品", "送的东西", "活动", "红包", "返现", "积分",
        "秒杀", "领券", "用券", "折扣", "打折", "买一送一",
    ]),
    ("out_of_stock", [
        "缺货", "没货", "无货", "库存", "断货", "砍单", "卖完了",
    ]),
    ("wrong_or_missing_item", [
        "发错", "错发", "漏发", "少发", "少件", "少了一", "少了两", "缺少", "缺了", "配件",
        "不是我买的", "不是我要的", "不是我下单的",
    ]),
    ("courier_attitude", [
        "快递员", "快递小哥", "配送员", "送货员", "派件员", "骑手", "送货上门", "不送上门",
        "不上门", "不送货",
    ]),
    ("package_damaged_or_lost", [
        "包裹破", "包装破", "外包装", "箱子破", "压坏", "压扁", "丢件", "快递丢", "包裹丢",
        "被签收", "没收到", "未收到", "显示签收", "显示已签收",
    ]),
    ("after_sales_refund", [
        "售后", "退款慢", "退款还没", "还没退款", "没退款", "不给退", "拒绝退", "不退",
        "退款被拒", "退货被拒", "驳回", "退款进度", "退款到账", "退货", "换货申请", "退款申请",
        "保修", "维修",
    ]),
    ("logistics_delay", [
        "没发货", "不发货", "未发货", "发货", "物流", "没到", "未到", "还没送", "快递",
        "到货", "配送", "揽收",
    ]),
    ("service_attitude", [
        "客服", "态度", "不回复", "不回消息", "没人回", "不理人", "敷衍", "自动回复",
    ]),
    ("not_as_described", [
        "不符", "描述", "色差", "尺码", "偏大", "偏小", "假货", "假的", "正品", "材质", "图片",
        "实物", "货不对板", "货不对版", "和图", "跟图", "盗版", "高仿",
    ]),
    ("product_quality", [
        "质量", "坏了", "坏的", "破了", "破损", "瑕疵", "故障", "过期", "开线", "掉色", "起球",
        "不能用", "用不了", "没反应", "漏水", "漏电", "裂", "异味", "变质", "发霉", "划痕",
        "开胶", "有问题", "次品", "残次",
    ]),
]

# Generic complaint words: only used when no issue-type rule and no conversational rule matched.
GENERIC_COMPLAINT = ["投诉", "差评", "太坑", "坑人", "垃圾", "骗子", "欺骗", "举报"]

TICKET_RE = re.compile(r"TK-\d{8}-\d{4}", re.IGNORECASE)

# Conversational intents, checked after the issue rules (a complaint that ends in "谢谢" is still
# a complaint), ordered so that e.g. "不对" is read as deny before "对" is read as affirm.
OTHER_RULES: list[tuple[str, list[str]]] = [
    ("ask_progress", ["进度", "怎么样了", "处理了吗", "处理到哪", "有结果", "工单", "有人处理吗"]),
    ("request_human", ["人工", "真人客服", "转接", "找你们经理", "活人"]),
    ("cancel", ["算了", "不用了", "不投诉了", "取消投诉", "撤销"]),
    ("dont_know", ["不知道", "找不到", "不记得", "忘了", "没有订单号"]),
    ("rate", ["满意", "五星", "好评", "打分", "评分"]),
    ("thank", ["谢谢", "感谢", "多谢", "thank", "thx", "辛苦"]),
    ("goodbye", ["再见", "拜拜", "bye", "下次见"]),
    ("bot_challenge", ["机器人", "是真人", "是人吗", "真人吗", "人工智能", "ai吗", "bot"]),
    ("greet", ["你好", "您好", "在吗", "在不在", "hello", "hi", "哈喽", "早上好", "晚上好", "有人吗"]),
    ("deny", ["不是", "不对", "没有", "不要", "不需要", "不行", "no"]),
    ("affirm", ["是的", "对的", "对", "好的", "嗯", "可以", "没错", "ok", "行"]),
    ("chitchat", ["天气", "笑话", "几岁", "名字", "无聊", "吃饭", "哈哈"]),
]

RATE_RE = re.compile(r"(?<!\d)[1-5]\s*分")

EXPECTATION_RULES: list[tuple[str, list[str]]] = [
    ("return_refund", ["退货退款", "退货", "退回去"]),
    ("refund", ["仅退款", "退款", "退钱", "把钱退"]),
    ("exchange", ["换货", "换一个", "换个", "换新"]),
    ("resend", ["补发", "重新发", "再发一"]),
    ("compensation", ["补偿", "赔偿", "赔钱", "假一赔"]),
    ("repair", ["维修", "修理", "修一下"]),
    ("expedite", ["催发货", "催一下", "加急", "尽快发", "快点发", "赶紧发"]),
    ("explanation", ["说法", "道歉", "解释"]),
]

URGENT_WORDS = [
    "12315", "消协", "市场监管", "平台介入", "律师", "起诉", "曝光", "媒体", "假货",
    "烫伤", "过敏", "漏电", "起火", "着火", "爆炸", "受伤",
]
HIGH_WORDS = ["差评", "气死", "太过分", "垃圾", "骗子", "第三次", "多次", "一直没人"]

# 淘宝/天猫 18–19 digits, 京东 11–12 digits, 拼多多 YYMMDD-15 digits; not inside a longer number.
ORDER_RES = [
    re.compile(r"(?<![\d-])\d{6}-\d{15}(?!\d)"),
    re.compile(r"(?<![\d-])\d{18,19}(?!\d)"),
    re.compile(r"(?<![\d-])\d{11,12}(?!\d)"),
]
PHONE_RE = re.compile(r"^1[3-9]\d{9}$")


def find_order_number(text: str) -> str | None:
    for pattern in ORDER_RES:
        for m in pattern.finditer(text):
            number = m.group(0)
            before = text[max(0, m.start() - 6):m.start()]
            if PHONE_RE.match(number) and "单" not in before:
                continue  # looks like a mobile number
            return number
    return None


def _first_keyword(text: str, rules: list[tuple[str, list[str]]]) -> str | None:
    for label, words in rules:
        for word in words:
            if word in text:
                return label
    return None


def parse_one(text: str) -> dict:
    low = text.lower()
    order_number = find_order_number(text)
    expectation = _first_keyword(low, EXPECTATION_RULES)
    issue_type = _first_keyword(low, ISSUE_RULES)
    intent = None
    if TICKET_RE.search(text):
        intent = "ask_progress"
        issue_type = None
    elif issue_type is None:
        intent = _first_keyword(low, OTHER_RULES)
        if intent is None and RATE_RE.search(low):
            intent = "rate"
        if intent is None and any(w in low for w in GENERIC_COMPLAINT):
            issue_type = "other_complaint"
        elif intent is None and (order_number or expectation):
            intent = "inform"
    if issue_type is not None:
        intent = "complain_other" if issue_type == "other_complaint" else f"complain_{issue_type}"
    matched = intent is not None
    if intent is None:
        intent = "out_of_scope"
    is_complaint = issue_type is not None

    risk_flags = [w for w in URGENT_WORDS if w in low]
    priority = None
    if is_complaint:
        if risk_flags:
            priority = "urgent"
        elif any(w in low for w in HIGH_WORDS) or "！！" in text or "!!" in text:
            priority = "high"
        else:
            priority = "normal"
    return {
        "text": text,
        "is_complaint": is_complaint,
        "intent": intent,
        "confidence": 1.0 if matched else 0.3,
        "issue_type": issue_type,
        "category": CATEGORY.get(issue_type) if issue_type else None,
        "expectation": expectation,
        "order_number": order_number,
        "priority": priority,
        "risk_flags": risk_flags,
    }


def parse_texts(texts: Iterable[str]) -> list[dict]:
    return [parse_one(t) for t in texts]


if __name__ == "__main__":  # pragma: no cover - manual use
    import json

    lines = sys.argv[1:] or [line.rstrip("\n") for line in sys.stdin if line.strip()]
    for result in parse_texts(lines):
        print(json.dumps(result, ensure_ascii=False))
