"""Which reply a question back deserves once a complaint is on record, so the answer addresses what
was asked instead of repeating the contact time to everything.

Customers in the middle of a complaint ask back in a few recurring ways; each gets its own honest
reply (domain.yml `utter_answer_*`, always with the ticket number and the promised contact time,
never a promise of an outcome nobody has checked):
- `nudge`: "？", "在吗", "人呢" — only checking that someone is there;
- `contact`: "多久能有人联系我", "什么时候回复我" — the promised contact time is the answer;
- `timing`: "补发要多久", "什么时候能到", "周五前能换好吗", "钱多久退回来" — when something will
  *happen*: the assistant cannot know, says so, and names who will tell them and by when; `subject`
  names what they asked about (到货, 发货, 补发, 换货, 退款到账, 处理结果);
- `request`: "能加急吗", "能帮我找回来吗" — a request put as a question: it is on the ticket, a person
  decides;
- `grievance`: "这不是骗人吗", "这合理吗", "凭什么…" — a complaint phrased as a question: the feeling
  is acknowledged and the words are on the ticket, with no fault admitted;
- `other`: anything else (the contact time, as before).

The FAQ is tried before any of these (actions.answers), and progress / "需要订单号吗" questions are
told apart earlier by bot.domain.dialogue.question_kind.
"""
from __future__ import annotations

import re
import unicodedata

_NUDGE = re.compile(r"[?？!！。.、~～\s]*|(?:在吗|在不在|在么|人呢|有人吗|有人在吗|还在吗|hello|喂)[?？!！。.~～\s]*")
_CONTACT = re.compile(r"(?:多久|什么时候|啥时候|几点|何时|多长时间).{0,6}"
                      r"(?:联系我|回复我|回我|找我|有人|答复我|回电话)|"
                      r"(?:联系我|回复我|回我|有人联系|有人回复|有人处理).{0,6}(?:多久|什么时候|啥时候|几点)|"
                      r"人工.{0,4}(?:多久|什么时候|啥时候)")
_GRIEVANCE = re.compile(r"不是.{1,12}[吗么嘛][?？!！~～。.\s]*$|合理吗|公平吗|骗人|坑人|忽悠|凭什么|为什么|为啥|"
                        r"搞错了吗|是不是搞错|有没有搞错|什么意思|什么态度|讲不讲理|当.{0,8}傻子|当新的卖")
_WHEN = re.compile(r"什么时候|啥时候|何时|多久|多长时间|几天|几号|几点|今天能|明天能|[周星期礼拜].{0,3}前能|号前能|"
                   r"前能.{0,6}[吗么]|来得及")
# What the timing question is about, first match wins (a refund's "到账" before a parcel's "到").
_SUBJECTS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("退款到账", re.compile(r"退款|退钱|钱.{0,8}(?:退|回来|返还|到账)|到账|返还")),
    ("补发", re.compile(r"补发|重发|补寄")),
    ("换货", re.compile(r"换好|换货|换新|换一个|换个|换过来")),
    ("发货", re.compile(r"发货|发出|发走|什么时候发|几时发|多久发|能发")),
    ("到货", re.compile(r"到货|送到|能到|到吗|送达|派送|收到|到家|到手|到不了|到底什么时候到")),
    ("处理结果", re.compile(r"结果|处理好|处理完|解决|答复|给说法|定下来")),
)
_REQUEST = re.compile(r"能不能|可不可以|可以.{1,10}[吗么]|能.{1,10}[吗么]|行不行|行吗|帮我.{1,10}[吗么]|"
                      r"给我.{0,6}(?:准确|具体)")


def _flat(text: str | None) -> str:
    return re.sub(r"\s+", " ", unicodedata.normalize("NFKC", text or "")).strip().lower()


def question_reply(text: str | None) -> tuple[str, str | None]:
    """(kind, subject) for a question asked while a complaint is on record; see the module docstring.
    `subject` is set only for `timing`."""
    flat = _flat(text)
    if _NUDGE.fullmatch(flat):
        return "nudge", None
    if _CONTACT.search(flat):
        return "contact", None
    if _GRIEVANCE.search(flat):
        return "grievance", None
    if _WHEN.search(flat):
        subject = next((name for name, pattern in _SUBJECTS if pattern.search(flat)), "处理结果")
        return "timing", subject
    if _REQUEST.search(flat):
        return "request", None
    return "other", None


# "稍等", "等下我找找", "我去看看订单号": the customer is looking something up. Nothing else in the
# message (a number, a problem, a wish) — then it is an answer, not a pause.
_HOLD_ON = re.compile(
    r"(?:好的?|嗯嗯?|行|ok|哦|那)?[,，、 ]*(?:稍等一?下?|等一?下|等等|等会儿?|等我一?下|你等下|马上|一会儿?)?[,，、 ]*"
    r"(?:我)?(?:去|先)?(?:找找|找一?下|找一找|翻翻|翻一?下|查查|查一?下|看看|看一?下|瞅瞅|问问|问一?下)?"
    r"(?:订单号?|单号|订单记录|记录|手机|我老公|我老婆|家里人)?(?:在哪)?[,，、 ]*(?:再|找到)?(?:发你|发给你|给你)?"
    r"吧?[~～。.!！ ]*")


def is_hold_on(text: str | None) -> bool:
    """The customer asks for a moment to look something up ("好 等下我找找", "稍等", "我去查查订单号")."""
    flat = _flat(text)
    if not flat or re.search(r"\d{4}", flat):
        return False
    match = _HOLD_ON.fullmatch(flat)
    return bool(match) and bool(re.search(r"稍等|等|找|翻|查|看看|看一|瞅|问|马上|一会", flat))

