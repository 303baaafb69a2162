"""Suggested next steps for a ticket: solution options for the agent, by issue type and expectation.

Every combination of issue type and expectation (including "no expectation given") gets at least
two options, so the agent always has a choice to make. Each option has a short title for the
agent, a draft reply to the customer and, where it matters, a note for the agent (what to check,
who approves money). The desk shows them as buttons that fill the reply box: nothing here is
ever sent to a customer automatically, a person reads, edits and sends.

Options come from three small tables: what the customer asked for (EXPECTATION_OPTIONS), what
went wrong (ISSUE_OPTIONS) and risk flags that change how to handle the case (RISK_OPTIONS).
Blanks the agent must fill in are written ＿＿ so an unfinished draft is easy to spot.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass

from bot.domain.taxonomy import EXPECTATIONS, ISSUE_TYPES

MAX_SUGGESTIONS = 5
ORDER = "{order}"  # replaced by 「订单 1234…」 or 「您的订单」


@dataclass(frozen=True)
class Suggestion:
    key: str  # stable id, e.g. "return_refund.pickup"
    title: str  # the option, as the agent sees it on the button
    reply: str  # a draft to the customer; the agent edits and sends it
    note: str = ""  # for the agent only: what to check first, who must approve

    def as_dict(self) -> dict[str, str]:
        return asdict(self)


def _s(key: str, title: str, reply: str, note: str = "") -> Suggestion:
    return Suggestion(key, title, reply, note)


SORRY = "非常抱歉给您带来不便。"

# No or an unclear wish: find out what the customer wants, and say when they will hear from us.
GENERAL_OPTIONS: tuple[Suggestion, ...] = (
    _s("general.ask", "联系顾客，确认具体诉求",
       "您好，我是负责处理您问题的客服。为了尽快帮您解决，想跟您确认一下：您希望我们怎样处理"
       "（退款、退货退款、换货、补发或其他）？"),
    _s("general.timeline", "先致歉并告知处理时限",
       f"{SORRY}您的问题我已经接手，会在＿＿前给您明确的处理结果，有任何进展我都会第一时间告诉您。"),
)

# What the customer asked for. Every expectation has at least two options (the promise).
EXPECTATION_OPTIONS: dict[str, tuple[Suggestion, ...]] = {
    "refund": (
        _s("refund.full", "同意仅退款，原路退回，商品无需寄回",
           f"{SORRY}关于{ORDER}，我们同意为您办理仅退款，款项原路退回，一般 1–3 个工作日到账，商品不用寄回。",
           "核对实付金额后在后台发起退款；金额较大时请主管确认。"),
        _s("refund.partial", "部分退款，顾客保留商品",
           f"{SORRY}如果商品还能使用，我们可以为您办理部分退款＿＿元，商品您继续保留；"
           "如果您更希望全额退款，也请告诉我。您看哪种方式更合适？",
           "先填写金额再发送；顾客不同意时改为全额退款或退货退款。"),
    ),
    "return_refund": (
        _s("return_refund.pickup", "同意退货退款，提供上门取件并承担运费",
           f"{SORRY}关于{ORDER}，我们同意为您办理退货退款，会安排快递上门取件，运费由我们承担；"
           "仓库签收后 24 小时内为您退款。请问您方便取件的时间是？",
           "在后台登记退货并预约上门取件。"),
        _s("return_refund.keep_with_bonus", "先补偿小额红包请顾客保留商品",
           "真的很抱歉这次让您不满意。如果您愿意保留商品，我们为您补偿＿＿元红包表示歉意；"
           "如果您还是希望退货退款，我们也马上为您安排上门取件。您看哪种方式更方便？",
           "红包金额按店铺补偿标准；顾客坚持退货时按「同意退货退款」处理。"),
    ),
    "exchange": (
        _s("exchange.pickup", "同意换货，上门取件并优先发出新品",
           f"{SORRY}关于{ORDER}，我们同意为您换货：新商品优先发出，旧商品由快递上门取回，来回运费由我们承担。"
           "麻烦您确认一下收货地址和需要的规格（颜色/尺码）。",
           "先确认库存再答复顾客。"),
        _s("exchange.refund_if_none", "无货可换时改为退货退款",
           f"{SORRY}您要换的规格目前暂时缺货。我们可以为您办理退货退款（上门取件，运费由我们承担），"
           "也可以等到货后第一时间为您换货。您更倾向哪种？"),
    ),
    "resend": (
        _s("resend.now", "立即补发，发出后把单号告诉顾客",
           f"{SORRY}关于{ORDER}，我们马上为您补发，发出后会把快递单号发给您，预计＿＿天内送达。",
           "先核对出库记录和收货地址再补发。"),
        _s("resend.refund", "不便补发时退还对应金额",
           f"{SORRY}如果您不想再等补发，我们也可以直接退还这部分商品的金额，原路退回，1–3 个工作日到账。"
           "您看哪种方式更合适？"),
    ),
    "compensation": (
        _s("compensation.coupon", "致歉并按店铺标准补偿红包/优惠券",
           "真的很抱歉这次让您不满意。为表歉意，我们为您申请了＿＿元的补偿（红包/优惠券），稍后发放到您的账户。",
           "金额按店铺补偿标准填写，超出权限请主管确认后再发送。"),
        _s("compensation.partial_refund", "以部分退款作为补偿",
           f"真的很抱歉这次让您不满意。关于{ORDER}，我们为您申请＿＿元的部分退款作为补偿，原路退回，1–3 个工作日到账。",
           "金额超出权限请主管确认。"),
        _s("compensation.ask", "先问清顾客希望的补偿方式",
           "真的很抱歉这次让您不满意。想先听听您的想法：您更希望以哪种方式补偿（部分退款、优惠券或其他）？"
           "我们会尽量按您的意愿处理。"),
    ),
    "repair": (
        _s("repair.ship", "安排售后维修，往返运费由店铺承担",
           f"{SORRY}关于{ORDER}，我们为您安排售后维修：快递上门取件，往返运费由我们承担，修好后寄回给您，"
           "一般＿＿个工作日内完成。"),
        _s("repair.replace", "无法维修或不想等待时换新/退款",
           f"{SORRY}如果维修后仍有问题，或者您不想等待维修，我们可以直接为您换新或办理退货退款。"
           "您看哪种方式更方便？",
           "换新或退款前确认是否在保修/退换期内。"),
    ),
    "expedite": (
        _s("expedite.chase", "联系仓库/快递加急，并给出明确回复时间",
           f"{SORRY}关于{ORDER}，我已经联系仓库和快递加急处理，今天＿＿点前给您回复最新进度。",
           "先查物流轨迹，只承诺能兑现的时间。"),
        _s("expedite.cancel", "无法按时送达时同意拦截/取消订单并全额退款",
           f"{SORRY}如果您等不及了，我们可以为您拦截包裹或取消订单并全额退款，原路退回。您看需要吗？"),
    ),
    "explanation": (
        _s("explanation.apology", "正式道歉并说明原因和改进措施",
           "非常抱歉这次让您有不好的体验。经过核实，原因是＿＿。我们已经＿＿，以后会避免再出现类似情况。"
           "感谢您指出问题。",
           "先核实原因再发送，不要推卸给顾客或快递。"),
        _s("explanation.apology_bonus", "道歉并附小额补偿表示诚意",
           "非常抱歉这次让您有不好的体验，这是我们做得不够好。为表歉意，我们为您准备了＿＿元的红包/优惠券，"
           "稍后发放到您的账户。",
           "金额按店铺补偿标准。"),
    ),
    "other": GENERAL_OPTIONS,
}

# What went wrong: an option specific to the problem, offered after the customer's own wish.
ISSUE_OPTIONS: dict[str, tuple[Suggestion, ...]] = {
    "product_quality": (
        _s("product_quality.evidence", "请顾客补充照片/视频，核实后按质量问题处理",
           f"{SORRY}麻烦您拍几张商品问题部位的照片或一段视频发给我，我们核实后按质量问题为您处理，相关运费由我们承担。",
           "照片到位前不要驳回；过期、破损类问题同时通知仓库排查同批次。"),
    ),
    "not_as_described": (
        _s("not_as_described.check", "核对商品详情页，确认不符则退货退款（运费店铺承担）",
           f"{SORRY}麻烦您拍一下收到的商品（包括吊牌/标签）发给我，我们对照商品详情页核实，"
           "确认与描述不符会为您退货退款，运费由我们承担。"),
    ),
    "wrong_or_missing_item": (
        _s("wrong_or_missing_item.resend", "核对出库记录，确认后补发缺少/正确的商品",
           f"{SORRY}麻烦您拍一下收到的商品和外包装（含快递面单），我们核对出库记录后马上为您补发，"
           "错发的商品我们安排上门取回，运费由我们承担。",
           "核对出库称重和拣货记录。"),
    ),
    "out_of_stock": (
        _s("out_of_stock.refund_bonus", "说明缺货，全额退款并附小额补偿",
           "非常抱歉，您下单的商品暂时缺货，是我们库存没有及时同步。我们会为您全额退款，"
           "并送上＿＿元优惠券表示歉意。"),
        _s("out_of_stock.alternative", "推荐同款/相近商品，差价由店铺承担",
           "非常抱歉，您下单的商品暂时缺货。我们为您找到一款相近的商品（＿＿），如果您愿意更换，差价由我们承担，"
           "今天就能发出。"),
    ),
    "logistics_delay": (
        _s("logistics_delay.chase", "查询物流并向快递催件，当天回复进度",
           f"{SORRY}我查了一下{ORDER}的物流，目前＿＿。我已经向快递公司催件，今天＿＿点前给您回复最新进度。"),
    ),
    "package_damaged_or_lost": (
        _s("package_damaged_or_lost.resend_first", "先行补发，店铺向快递理赔",
           f"{SORRY}您不用等快递那边的理赔结果，我们先为您补发一份，发出后把单号告诉您。"
           "破损的包裹麻烦拍照留存。",
           "同时向快递公司发起理赔。"),
    ),
    "courier_attitude": (
        _s("courier_attitude.report", "向快递公司投诉该快递员并回访顾客",
           "非常抱歉让您受委屈了。我们已经向快递公司反馈并投诉了这位快递员，要求他们整改；"
           "如果包裹还没送到，我们会要求送货上门。处理结果会告诉您。"),
    ),
    "service_attitude": (
        _s("service_attitude.lead_apology", "由主管致歉并接手跟进",
           "非常抱歉我们同事的服务让您不满意，这是我们的问题。我是＿＿，这件事由我负责跟进，"
           "您之前的问题我会直接帮您处理到底。",
           "先看之前的对话记录；事后内部复盘。"),
    ),
    "after_sales_refund": (
        _s("after_sales_refund.expedite", "核查退款/售后进度，加急并告知到账时间",
           f"{SORRY}我查到{ORDER}的退款目前处于＿＿阶段，已经帮您加急处理，预计＿＿前到账，到账前有任何问题随时找我。"),
    ),
    "payment_issue": (
        _s("payment_issue.verify", "核对支付流水，重复扣款原路退回",
           f"{SORRY}麻烦您提供一下扣款记录的截图（请遮住卡号），我们核对支付流水，确认重复扣款会原路退回，"
           "一般 1–3 个工作日到账。",
           "不要让顾客发送完整卡号或验证码。"),
    ),
    "promotion_issue": (
        _s("promotion_issue.honour", "核对活动规则，补发优惠券或退还差额",
           f"{SORRY}我核对了活动规则，{ORDER}应享受＿＿优惠，我们为您退还差额＿＿元（或补发优惠券）。"),
    ),
    "price_dispute": (
        _s("price_dispute.price_protection", "按价保规则核实，符合则退还差价",
           f"{SORRY}我们核实了一下，{ORDER}在价保期内，差价＿＿元会原路退还给您。",
           "先确认价保期和降价时间。"),
    ),
    "other_complaint": (),
}

# Risks that change how to handle the case; offered first when flagged.
RISK_OPTIONS: tuple[tuple[frozenset[str], Suggestion], ...] = (
    (frozenset({"safety"}), _s(
        "risk.safety", "先关心顾客身体情况，建议就医并保留凭证，主管跟进",
        "非常抱歉！请问您现在身体情况怎么样？如有不适请先就医，相关凭证请保留好；商品请先停止使用。"
        "这件事由我们负责人亲自跟进，后续事宜会认真和您商量处理。",
        "立即通知主管；同批次商品暂停销售并排查。")),
    (frozenset({"regulator", "platform_dispute", "legal", "media_exposure"}), _s(
        "risk.lead_call", "主管优先处理：电话联系顾客，书面确认处理方案",
        "您好，我是店铺售后负责人＿＿。您反映的问题我们非常重视，由我亲自跟进。想和您电话沟通一下具体情况，"
        "您方便的时间是？",
        "语气诚恳、不争辩；处理方案以书面形式确认；保留沟通记录。")),
    (frozenset({"counterfeit"}), _s(
        "risk.counterfeit", "核查进货凭证：能证明正品则出示凭证，否则退货退款",
        "非常理解您的担心。我们会核查这批商品的进货凭证和授权证明，核实后把凭证发给您；"
        "如果无法证明是正品，我们为您退货退款。",
        "不要在核查前下结论。")),
)


def _order_ref(order_number: str | None) -> str:
    return f"订单 {order_number}" if order_number else "您的订单"


def _filled(option: Suggestion, order_number: str | None) -> Suggestion:
    reply = option.reply.replace(ORDER, _order_ref(order_number))
    return Suggestion(option.key, option.title, reply, option.note)


def suggestions_for(issue_type: str | None, expectation: str | None, risk_flags: list[str] | tuple = (),
                    order_number: str | None = None, limit: int = MAX_SUGGESTIONS) -> list[Suggestion]:
    """Solution options, best first: risk handling, the customer's own wish, then the problem's
    own remedy; never fewer than two, whatever the input."""
    flags = set(risk_flags or ())
    chosen: list[Suggestion] = [option for trigger, option in RISK_OPTIONS if trigger & flags][:1]
    wish = EXPECTATION_OPTIONS.get(expectation or "", GENERAL_OPTIONS)
    problem = ISSUE_OPTIONS.get(issue_type or "", ())
    # The wish's two options always fit; the problem's own remedy comes in place of a third wish option.
    candidates = [*wish[:2], *problem, *wish[2:]]
    if len(candidates) < 2:  # defensive: an empty table entry must not leave the agent without a choice
        candidates += GENERAL_OPTIONS
    seen = {option.key for option in chosen}
    for option in candidates:
        if option.key not in seen:
            chosen.append(option)
            seen.add(option.key)
    return [_filled(option, order_number) for option in chosen[:max(limit, 2)]]


def suggestions_for_ticket(ticket: dict) -> list[Suggestion]:
    return suggestions_for(ticket.get("issue_type"), ticket.get("expectation"), ticket.get("risk_flags") or [],
                           ticket.get("order_number"))


def every_combination() -> list[tuple[str, str | None]]:
    """(issue_type, expectation) pairs the desk can meet, with None for "no wish given"."""
    return [(issue, wish) for issue in ISSUE_TYPES for wish in (*EXPECTATIONS, None)]
