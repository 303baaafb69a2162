"""What the bot service itself says to customers and agents, in one place.

The assistant's dialogue lives in domain.yml (Rasa); this module holds the words the bot service
writes on its own: hand-off notices and the live queue, the satisfaction question and its thanks,
degraded-mode answers when the assistant is down, polite refusals (too long, too fast), internal
notes it adds to tickets, and the sentences of the ticket views. Constants for fixed texts, small
functions where a text needs numbers or names; nothing here decides *when* a text is said.
"""
from __future__ import annotations

# -- names ------------------------------------------------------------------------------------------
AGENT = "客服"  # an agent whose display name is unknown, as the customer sees them
NO_EXPECTATION = "未说明"  # the customer's wish was not said

# -- ticket views: where a ticket stands, told to its customer ---------------------------------------
SUMMARY_OVERDUE = "已登记，客服正在加急处理，非常抱歉让您久等了。"
SUMMARY_PENDING_CUSTOMER = "客服已回复，正在等您的答复，请查看客服发给您的消息。"
SUMMARY_RESOLVED = "已处理完毕。如果还有问题，随时告诉我。"
SUMMARY_CLOSED = "工单已关闭。"
SUMMARY_WITHDRAWN = "这次登记您已经撤销了，客服不会再为它联系您；如果还需要处理，随时告诉我。"


def summary_registered(first_response_due: str) -> str:
    return f"已登记，客服会在{first_response_due}联系您。"


def summary_in_progress(resolution_due: str) -> str:
    return f"客服正在处理，预计{resolution_due}给您处理结果。"


def repeat_contact_reason(flag_label: str, days: int, nth: int) -> str:
    """Why triage raised the priority: the customer's `nth` complaint within `days` days."""
    return f"{flag_label}：{days} 天内第 {nth} 次提交投诉"


# -- internal notes on tickets (agents read these) ----------------------------------------------------
NOTE_ASSISTANT_DOWN = "智能助手暂时无法应答：顾客此后的留言都在对话记录里，请人工查看。"
# A record the customer withdrew while it was being collected: the reason of its closing.
REASON_WITHDRAWN = "顾客在登记过程中撤销了投诉"
# The customer withdrew, but the ticket was already claimed, answered or filed: it stays open.
NOTE_WITHDRAWAL_KEPT = ("顾客在聊天中表示不再投诉。这张工单已有客服处理或已经提交，系统没有自动关闭，"
                        "请按情况跟进或关闭。")


def note_merged_into(ticket_id: str) -> str:
    return f"智能助手恢复后顾客完成了登记，已合并到 {ticket_id}（对话记录相同）。"


# -- hand-off: an agent joins, leaves, finishes ----------------------------------------------------------
def agent_joined(name: str) -> str:
    return f"客服「{name}」已接入，接下来由TA在这里为您服务，您直接发消息就可以。"


def agent_transferred(name: str) -> str:
    return f"已转由客服「{name}」继续为您服务。"


AGENT_LEFT = "客服暂时离开了，您的问题仍在处理中。这段时间由智能助手为您服务。"


def agent_done(ticket_id: str) -> str:
    return f"客服已处理完您的问题（工单 {ticket_id}），本次人工服务结束。"


def agent_done_because(ticket_id: str, reason: str) -> str:
    """Closing a ticket no agent answered in the chat: say what happened instead."""
    return f"关于您的问题（工单 {ticket_id}）：{reason.rstrip('。.')}。本次人工服务结束，如还有疑问可以随时再联系我们。"


def agent_away(name: str | None) -> str:
    return f"客服「{name}」暂时不在电脑前，您的消息已经转给TA，TA回来后会在这里回复您。"


# -- the live queue for 转人工 -----------------------------------------------------------------------------
def queue_joined(ahead: int, wait_minutes: int) -> str:
    where = f"您前面还有 {ahead} 位顾客" if ahead else "您前面没有其他顾客"
    return (f"已为您排队转人工：{where}，预计等待约 {wait_minutes} 分钟。"
            "客服接入后会直接在这个窗口和您对话，请不要关闭页面。")


def queue_reminder(ahead: int, wait_minutes: int) -> str:
    where = f"前面还有 {ahead} 位" if ahead else "下一位就是您"
    return f"收到，客服接入后都能看到。您{where}，预计还要约 {wait_minutes} 分钟。"


def nobody_online(ticket_id: str, due: str) -> str:
    return (f"现在客服都在忙，暂时没有人在线。您的工单 {ticket_id} 已经登记好了，"
            f"客服会在{due}联系您，回复会显示在这个窗口里，您也可以先去忙。")


def queue_unstaffed(ticket_id: str, due: str) -> str:
    return (f"抱歉，客服刚好都不在线了。您的工单 {ticket_id} 已经登记，客服会在{due}联系您；"
            "这段时间我先陪您，有什么补充直接告诉我。")


# -- satisfaction ratings ------------------------------------------------------------------------------------
RATING_PROMPT = "这次的服务您还满意吗？请点一个分数（1-5 分），也可以直接打字，比如「4分 处理得很快」。"
RATING_TITLES = {5: "5 非常满意", 4: "4 满意", 3: "3 一般", 2: "2 不满意", 1: "1 非常不满意"}
RATING_THANKS_GOOD = "谢谢您的评价！"
RATING_THANKS_BAD = "抱歉这次没让您满意，您的意见主管会认真看，也可能回访您。"
RATING_ASK_COMMENT = "想补充几句建议的话，直接输入就好（不需要可以忽略）。"
RATING_COMMENT_THANKS = "收到您的建议，谢谢！还有别的需要帮忙的，随时告诉我。"
RATING_FIX_ASK = "没关系，请问您想改成几分？点一下分数就好。"


def rating_corrected(score: int) -> str:
    """The one confirmation of a corrected rating."""
    return f"好的，已把您的评分改为 {score} 分，谢谢您的评价！"

# -- degraded mode: the assistant is down, the complaint is still recorded -------------------------------
DEGRADED = ("非常抱歉，系统暂时有点忙，您的留言已经完整记录下来了🙏 "
            "请继续把遇到的问题、订单号和您的诉求告诉我，客服同事会尽快跟进处理。")


def degraded_ticket_opened(ticket_id: str, due: str) -> str:
    return (f"非常抱歉，系统暂时有点忙，您的留言已经完整记录下来了🙏 工单号 {ticket_id}，"
            f"客服会在{due}联系您。您可以继续补充遇到的问题、订单号和诉求，都会一并转给客服。")


def degraded_added_to(ticket_id: str, due: str) -> str:
    return f"收到，已经记录到您的工单 {ticket_id} 里了，客服会一并处理（最晚{due}联系您）。"


# -- messages the assistant will not take ---------------------------------------------------------------
def too_long(limit: int) -> str:
    return f"消息有点长（超过 {limit} 字），已为您保存；麻烦分几条发送，方便我们准确处理。"


def too_fast(retry_after: int, kept: bool) -> str:
    if kept:
        return f"您发得有点快啦，请稍等 {retry_after} 秒再发～刚才这条已经为您保存，客服都能看到。"
    return f"您发得太快了，请稍等 {retry_after} 秒后再发送。"
