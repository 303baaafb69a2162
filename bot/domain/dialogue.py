"""What a customer's words mean for the running intake (issue 11): commands that change or end the
record, questions that must be answered first, and the budget of questions.

Only explicit commands destroy (DESIGN.md "The complaint lifecycle"):
- `is_handoff_request`: 转人工 / 人工 / 真人 / 找你们领导 anywhere in a message; "个人" is not 人工.
- `is_cancel_registration`: the customer withdraws the *complaint* in so many words ("不投诉了",
  "取消登记"); `cancel_is_misread`: a question ("需要订单号吗", "不投诉了可以吗？") or talk about
  cancelling the *order* ("取消订单") never withdraws it, whatever the NLU read.
- `is_bare_no_need`: "不用了" / "算了" / "不要了" / "不需要了" and nothing else. Mid-intake it often
  means "I don't need that" about the question just asked, so it never withdraws at once: the
  assistant asks whether the registration is not needed (`confirms_withdrawal` reads the answer:
  the same bare word again, or a plain yes). Declining one thing asked for ("照片不用了吧",
  "单号就不用了", `declines_an_item`) withdraws nothing.
- `issue_type_correction`: "问题不是…是…", "不对，问题是价格问题", "其实是差价" — a correction marker and
  an everyday name of a type (ISSUE_TYPE_WORDS); a corrected problem never changes the wish.
- `wish_change_allowed`: a stated wish ("我要换货不要退款", "还是退款吧"), never a question ("新东西就只能
  维修?").

Praise (`is_positive_feedback`): "东西到了 很好用", "上次处理得很快 谢谢" — a positive word and nothing that
names a problem, a wish, a doubt or a turn ("不错，就是有点小"). An unsure reading of such a message
never starts a complaint: it is answered as thanks (actions/general.py, actions/acknowledge.py).

Questions (`question_kind`): "什么时候/多久/今天能到吗/什么时候给结果" → `when` (the promised contact
time and the ticket number), 进度/怎么样了 → `progress`, "需要订单号吗" → `order_needed`, anything
else asked → `other` (the FAQ is tried first by the caller). A complaint phrased with a question mark
("为什么还不发货？") is still a question: the customer hears when a person answers.
"""
from __future__ import annotations

import re
import unicodedata

# Each missing field is asked at most this often per complaint, counting every reply that does not
# fill it; then the record is filed without it (the missing field named for the agent).
MAX_ASKS = 2
# "没理解" at most this often per session; after that the words are recorded and a person offered.
MAX_NOT_UNDERSTOOD = 1

# "真人" asks for a person unless it asks what the assistant is ("你是真人吗", "机器人还是真人").
_HANDOFF = re.compile(r"转人工|(?<!个)人工|(?<!是)真人(?!还是)|(?<!是)活人(?!还是)|"
                      r"找(?:你们|你们的|你家)?(?:领导|经理|主管|负责人)|叫(?:你们)?(?:领导|经理|主管)")
_CANCEL = re.compile(
    r"不投诉了|不想投诉了|不用投诉了|不要投诉了|投诉不用了|取消投诉|撤销投诉|撤回投诉|撤诉|投诉撤了|"
    r"不登记了|不用登记了|不要登记了|取消登记|登记取消|别登记了|不用记了|"
    r"算了不(?:投诉|登记|弄|处理)了|不用(?:你们)?处理了|不需要处理了|不用管了")
# "照片不用了吧", "单号就不用了": the customer declines one thing asked for, not the complaint.
_ITEM_DECLINED = re.compile(r"(?:订单号|单号|订单编号|照片|图片|截图|凭证|手机号|电话)(?:就|也|先|暂时|的话)?"
                            r"(?:不用|不要|不需要|算了|没必要|不发|不给)")
_ORDER_CANCEL = re.compile(r"取消(?:这个|那个|这笔|那笔)?订单|订单取消|退掉订单|取消购买|取消下单")
_QUESTION_END = re.compile(r"[?？]|[吗嘛么呢][\s~～。!！.]*$")
_QUESTION_WORDS = re.compile(
    r"什么时候|啥时候|何时|多久|多长时间|几天|几点|几号|今天能|明天能|能不能|可不可以|可以吗|是不是|要不要|需不需要|"
    r"需要.{0,6}吗|有没有|怎么办|怎么弄|怎么处理|怎么操作|怎么退|怎么申请|请问|会不会|给结果")
_WHEN = re.compile(r"什么时候|啥时候|何时|多久|多长时间|几天|几点|今天能|明天能|能到吗|给结果|有结果|回复我|联系我")
_PROGRESS = re.compile(r"进度|进展|怎么样了|处理了吗|处理了没|处理到哪|到哪一步|有结果了吗|有没有结果|结果呢|"
                       r"处理得怎么样")
_ORDER_NEEDED = re.compile(r"(?:需要|要|必须|一定要|非要|得有).{0,3}订单号|没有订单号|没订单号|"
                           r"订单号.{0,4}(?:找不到|不知道|没有)")

# Everyday names of each issue type, for corrections in free words ("价格问题/降价/差价" → price_dispute).
ISSUE_TYPE_WORDS: dict[str, tuple[str, ...]] = {
    "product_quality": ("质量问题", "质量有问题", "质量差", "质量不好", "有质量问题", "商品质量", "坏了", "坏的",
                        "瑕疵", "故障", "破了", "过期", "不能用", "用不了", "有问题的货"),
    "not_as_described": ("与描述不符", "描述不符", "货不对板", "图文不符", "色差", "尺码不对", "材质不对", "假货",
                         "和图片不一样", "跟图片不一样", "和描述不一样", "跟描述不一样", "不是正品"),
    "wrong_or_missing_item": ("错发漏发", "错发", "漏发", "发错", "少发", "少件", "缺件", "少了一件", "配件缺失",
                              "没发全", "少东西"),
    "out_of_stock": ("下单后缺货", "缺货", "没货", "断货", "无货", "一直采购中"),
    "logistics_delay": ("物流延误", "物流太慢", "物流慢", "快递太慢", "快递慢", "没发货", "不发货", "还没发货",
                        "迟迟不到", "物流不动", "物流没更新", "一直不到", "延误", "发货慢"),
    "package_damaged_or_lost": ("包裹破损丢件", "包裹破损", "包裹坏了", "丢件", "快递丢了", "包裹丢了", "签收没收到",
                                "显示签收", "没收到货", "压坏了", "压坏", "被别人签收"),
    "courier_attitude": ("快递员问题", "快递员态度", "快递员", "快递小哥", "派送员", "不送上门", "不送货上门", "驿站"),
    "service_attitude": ("客服服务", "客服态度", "服务态度", "态度差", "态度问题", "客服不回", "不理人", "客服问题"),
    "after_sales_refund": ("售后退款", "售后问题", "售后", "退款慢", "退款问题", "不给退", "退款不到", "退款没到",
                           "退货问题", "换货问题", "拒绝退款"),
    "payment_issue": ("支付问题", "付款问题", "扣款", "扣了两次", "重复扣款", "多扣", "扣钱", "支付失败", "充值没到账"),
    "promotion_issue": ("优惠活动", "优惠问题", "优惠券", "满减", "赠品", "活动问题", "红包", "返现"),
    "price_dispute": ("价格争议", "价格问题", "价格", "降价", "差价", "价保", "保价"),
    "other_complaint": ("其他问题", "别的问题"),
}
_CORRECTION = re.compile(r"不是|不对|搞错|弄错|错了|其实|应该是|而是|改成|改为|换成|问题是|是.{0,12}的问题|属于")
_NEGATED = re.compile(r"(?:不是|不算|并非|没有|不)$")
_ISSUE_WORD_INDEX: tuple[tuple[str, str], ...] = tuple(sorted(
    ((word, key) for key, words in ISSUE_TYPE_WORDS.items() for word in words), key=lambda pair: -len(pair[0])))
# A wish is stated, not asked: these make "换货" in a message a decision about the wish.
_WISH_STATED = re.compile(r"我要|我想|想要|要求|希望|不要|不想|不用|还是|就|改成|改为|换成|诉求|给我|帮我|直接|吧|算了")
# Closing words: the customer is done; the record is filed as it stands.
_CLOSING_WORDS = (r"没了|没有了|没别的了|没其他的了|不用了|就这样吧|就这样|就这些|先这样吧|先这样|"
                  r"没事了|谢谢你|谢谢您|谢谢|谢了|多谢|拜拜|再见")
# One or more closing words and nothing else ("没了", "没了 就这些", "不用了 谢谢", "好的，谢谢").
_CLOSING = re.compile(rf"^(?:(?:好的|好|嗯|行|ok)?[，,、]?(?:{_CLOSING_WORDS})[啊呀啦哈,，、!！。.~～]*)+$")


# Praise and positive feedback. `_POSITIVE_SET_PHRASES` hold a negation or a problem character but
# are not one ("不错", "没毛病", "完好无损", "特别快", "刚才"): they are taken out before `_PROBLEM`
# looks for anything else.
_POSITIVE = re.compile(
    r"好用|好看|好吃|好闻|好评|很好|挺好|真好|超好|太好了|特别好|非常好|不错|不赖|不亏|没毛病|没得说|没得挑|"
    r"没话说|完好无损|满意|喜欢|爱了|"
    r"很快|挺快|真快|好快|太快|超快|神速|及时|利索|麻利|给力|点赞|赞|棒|完美|靠谱|贴心|用心|耐心|专业|"
    r"舒服|合身|合脚|新鲜|划算|值了|超出预期|惊喜|推荐|回购|五星|满分|"
    r"谢谢|感谢|多谢|谢了|谢啦|辛苦了|yyds|nice|good|👍|❤|🥰|😍|🌹|💯", re.IGNORECASE)
_POSITIVE_SET_PHRASES = re.compile(
    r"不错|没毛病|没得说|没得挑|没话说|没问题|没有问题|不愧|不亏|不赖|没想到|完好无损|没让我失望|没失望|"
    r"特别|区别|难得|刚才|无敌|放假|假期")
# A problem, a wish, a doubt, a question or a turn: with any of these it is not praise alone.
_PROBLEM = re.compile(
    r"不|没|未|别|无|坏|破|碎|裂|烂|漏|少|缺|错|差|慢|退|换|赔|补|修|投诉|举报|问题|毛病|故障|瑕疵|划痕|"
    r"色差|掉|起球|褪色|发霉|过期|变质|异味|臭|脏|旧|假|丢|延误|催|急|贵|降价|价保|"
    r"怎么|为什么|凭什么|咋|吗|[?？]|但|可是|不过|就是|只是|可惜|遗憾|失望|生气|气死|垃圾|坑|骗|"
    r"难|疼|痒|过敏|卡|死机|有点|一般|凑合|还行|才|终于|居然|竟然|说好|承诺|让我|要我|逼|诱导|"
    r"返现|返券|红包|赠品|优惠|券|呢|呵呵|😡|😠|😤|😢|😭|🙄|💢|😅|🙂|"
    # time gone by is a grievance however it is dressed: "好快啊 都一个星期了"
    r"都[一二两三四五六七八九十半几\d]+(?:个)?(?:天|星期|礼拜|周|月)|[一二两三四五六七八九十半几\d]+(?:个)?(?:天|星期|礼拜|周|月)了")


def _flat(text: str | None) -> str:
    return re.sub(r"\s", "", unicodedata.normalize("NFKC", text or ""))


def is_button(text: str | None) -> bool:
    return (text or "").startswith("/")


def is_handoff_request(text: str | None) -> bool:
    """转人工 / 人工 / 真人 / 找你们领导 anywhere; "个人" and button payloads do not count."""
    return not is_button(text) and bool(_HANDOFF.search(_flat(text)))


# How sure the classifier must be that a message without 人工/真人/领导 asks for a person: a hand-off
# changes who answers, so "好 等下我找找" (read as request_human at 0.31) must not start one.
HANDOFF_CONFIDENCE = 0.6


def wants_a_person(text: str | None, intent: str | None, confidence: float) -> bool:
    """The 转人工 button, the words (is_handoff_request), or a sure request_human reading."""
    if is_handoff_request(text):
        return True
    return intent == "request_human" and (is_button(text) or confidence >= HANDOFF_CONFIDENCE)


def is_question(text: str | None) -> bool:
    flat = _flat(text)
    if not flat or is_button(flat):
        return False
    return bool(_QUESTION_END.search(flat) or _QUESTION_WORDS.search(flat) or _PROGRESS.search(flat))


# "不用了" and its everyday siblings, alone: optionally led by a filler ("哦", "那", "好吧") and
# trailed by particles and punctuation, or said twice ("算了算了", "不用了不用了").
_NO_NEED_WORDS = r"不用了|不用|算了|不要了|不需要了|不需要|没必要了"
_LEAD = r"(?:哦|噢|喔|嗯|恩|额|呃|唉|哎|那|那就|好吧|行吧|好|行|对|对的|是的|是)?[,，、]?"
_TRAIL = r"[吧啊呀啦哈嘛~～,，、.。!！…]*"
_BARE_NO_NEED = re.compile(rf"^{_LEAD}(?:(?:{_NO_NEED_WORDS}){_TRAIL})+$")
# A plain yes to "是这次的问题不用登记了吗？" (alone, or followed by the bare words).
_PLAIN_YES = re.compile(rf"^(?:是的|是啊|是呀|是|对的|对啊|对呀|对|嗯嗯|嗯|恩|没错|确定){_TRAIL}"
                        rf"(?:(?:{_NO_NEED_WORDS}|不登记了|不用登记了){_TRAIL})*$")


def is_bare_no_need(text: str | None) -> bool:
    """"不用了" / "算了" / "不要了" / "不需要了" and nothing else: no wish, no 投诉/登记 words."""
    flat = _flat(text)
    return bool(flat) and not is_button(flat) and bool(_BARE_NO_NEED.match(flat))


def confirms_withdrawal(text: str | None) -> bool:
    """The answer to "是这次的问题不用登记了吗？" that says yes: the bare words again ("不用了"), a
    plain yes ("是的", "对，不用了"), or the explicit words ("不用登记了")."""
    flat = _flat(text)
    if not flat or is_button(flat) or is_question(flat):
        return False
    return is_bare_no_need(flat) or is_cancel_registration(flat) or bool(_PLAIN_YES.match(flat))


def is_cancel_registration(text: str | None) -> bool:
    """An explicit withdrawal of the complaint; never a question or the order's cancellation."""
    flat = _flat(text)
    if not flat or is_button(flat) or _QUESTION_END.search(flat) or "?" in flat:
        return False
    if _ORDER_CANCEL.search(flat) and not re.search(r"投诉|登记", flat):
        return False
    return bool(_CANCEL.search(flat))


# How sure the classifier must be that a message without the explicit words withdraws the complaint.
WITHDRAWAL_CONFIDENCE = 0.8


def withdraws_complaint(text: str | None, intent: str | None, confidence: float) -> bool:
    """Only an explicit statement withdraws a complaint ("不投诉了", "不用登记了"); the classifier's
    'cancel' counts only when it is sure and the message states no wish — "我只要退款，东西不用了"
    answers the wish question, it withdraws nothing. Questions and the order's cancellation never,
    and a bare "不用了" / "算了" never at once (`is_bare_no_need`: the assistant asks first)."""
    from bot.domain.taxonomy import normalise_expectation

    if cancel_is_misread(text) or is_bare_no_need(text) or declines_an_item(text):
        return False
    if is_cancel_registration(text):
        return True
    return intent == "cancel" and confidence >= WITHDRAWAL_CONFIDENCE and normalise_expectation(text) is None


def cancel_is_misread(text: str | None) -> bool:
    """A message the NLU may read as "cancel" that must never withdraw the complaint: a question
    ("需要订单号吗", "不投诉了可以吗？") or talk about cancelling the order ("我想取消订单")."""
    flat = _flat(text)
    if not flat or is_button(flat):
        return False
    if is_question(flat):
        return True
    return bool(_ORDER_CANCEL.search(flat)) and not re.search(r"投诉|登记", flat)


def declines_an_item(text: str | None) -> bool:
    """"照片不用了吧", "单号就不用了": one thing asked for declined, not the complaint (a reply that
    fills nothing); never with 投诉/登记 words ("订单号不用了，不投诉了" withdraws)."""
    flat = _flat(text)
    return bool(flat) and bool(_ITEM_DECLINED.search(flat)) and not re.search(r"投诉|登记", flat)


def is_closing(text: str | None) -> bool:
    """没了 / 不用了 / 就这样 / 谢谢 …: the customer has nothing more to add."""
    return bool(_CLOSING.match(_flat(text)))


def closing_not_cancel(text: str | None) -> bool:
    """Closing words the NLU may read as "cancel" ("不用了 谢谢", "没了 就这样"): the customer is done,
    so the record is filed as it stands rather than withdrawn. A bare "不用了" stays the NLU's
    reading (mid-intake the form goes by the words, `is_bare_no_need`, whatever the reading)."""
    flat = _flat(text)
    return is_closing(flat) and re.sub(r"[,，、!！。.~～]", "", flat) != "不用了"


def question_kind(text: str | None) -> str | None:
    """`progress`, `order_needed`, `when`, `other`, or None when the message asks nothing."""
    flat = _flat(text)
    if not is_question(flat):
        return None
    if _PROGRESS.search(flat):
        return "progress"
    if _ORDER_NEEDED.search(flat):
        return "order_needed"
    if _WHEN.search(flat):
        return "when"
    return "other"


def issue_types_named(text: str | None) -> list[tuple[int, str]]:
    """(position, issue type) of every everyday name in `text` that is not negated ("不是质量问题")."""
    flat = _flat(text)
    found: list[tuple[int, str]] = []
    taken: list[tuple[int, int]] = []
    for word, key in _ISSUE_WORD_INDEX:  # longest first; a shorter word inside a longer one is the same mention
        for match in re.finditer(re.escape(word), flat):
            if any(s < match.end() and match.start() < e for s, e in taken):
                continue
            taken.append(match.span())
            if not _NEGATED.search(flat[max(0, match.start() - 2):match.start()]):
                found.append((match.start(), key))
    return sorted(found)


def issue_type_correction(text: str | None) -> str | None:
    """The type an explicit correction names ("问题不是包裹破损，是错发" → wrong_or_missing_item,
    "不对，问题是价格问题" → price_dispute); None without a correction marker or a named type."""
    flat = _flat(text)
    if not flat or is_button(flat) or not _CORRECTION.search(flat):
        return None
    named = issue_types_named(flat)
    return named[-1][1] if named else None


def wish_change_allowed(text: str | None) -> bool:
    """Whether a wish in `text` may replace the one on record: stated, not asked."""
    flat = _flat(text)
    if is_button(flat):
        return True
    return bool(flat) and not is_question(flat) and bool(_WISH_STATED.search(flat))


def restated(text: str | None, limit: int = 24) -> str:
    """The customer's words, briefly, for a neutral acknowledgement."""
    words = re.sub(r"\s+", " ", (text or "").strip())
    return words if len(words) <= limit else words[: limit - 1] + "…"


def is_positive_feedback(text: str | None) -> bool:
    """Praise or positive feedback and nothing else: "东西到了 很好用", "物流神速 给力👍",
    "上次处理得很快 谢谢". Not when a problem, wish, question or turn is there too ("很快就坏了",
    "不错 就是有点小", "好用吗", "退款很快 谢谢" — that last one is left to the classifier). A pasted
    order card's fields are not the customer's words and are left out."""
    from bot.domain.orders import strip_order_card

    flat = _flat(strip_order_card(unicodedata.normalize("NFKC", text or ""))).lower()
    if not flat or is_button(flat) or not _POSITIVE.search(flat):
        return False
    return not _PROBLEM.search(_POSITIVE_SET_PHRASES.sub("", flat))


# The customer's own ordering mistake: "我下错单了 颜色拍错了", "地址填错了", "手滑多拍了一件".
_OWN_MISTAKE = re.compile(r"(?:我|自己|手滑|不小心)\S{0,6}(?:拍|下|选|点|填|写|买)(?:错|成|重|多)|"
                          r"(?:拍|下|选|点|填|写|买)错了?(?:单|颜色|尺码|码|号|规格|地址|型号|数量)?|"
                          r"拍重复|多拍了|拍多了|自己的(?:问题|原因|锅)|怪我|我的锅")
# …unless the shop is said to have done something wrong too ("我拍的红色 你们发成蓝色").
_SHOP_FAULT = re.compile(r"(?:你们|商家|卖家|店家|仓库)\S{0,6}(?:发|寄|给|弄|搞|写|填)|发错|寄错|发成|寄成|漏发|少发|"
                         r"送错|丢了|没送|没拍错|不是我|坏|破|质量|退款.{0,4}(?:没|还没|不)")


def is_own_mistake(text: str | None) -> bool:
    """The customer ordered wrong themselves (colour, size, address, a double order) and says
    nothing the shop did wrong: help to cancel or change, not a complaint."""
    flat = _flat(text)
    if not flat or is_button(flat):
        return False
    return bool(_OWN_MISTAKE.search(flat)) and not _SHOP_FAULT.search(flat)


# A refused or stuck return, exchange, refund or repair (DESIGN.md "Which issue type").
_REFUSAL = re.compile(r"不给(?:我)?(?:退|换|修|赔|处理|办)|不让(?:我)?退|不肯退|不退|不换|不修|拒绝|被拒|拒了|驳回|"
                      r"不同意|不通过|不受理|不处理")


def keeps_after_sales(text: str | None) -> bool:
    """The refusal is the grievance ("这是质量问题凭什么不给退"): naming the item's defect while
    arguing a refused return does not turn an after-sales complaint into a quality one."""
    return bool(_REFUSAL.search(_flat(text)))

