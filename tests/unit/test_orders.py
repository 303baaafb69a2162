"""Order numbers found in Chinese text without word boundaries, phones kept apart."""
import pytest

from bot.domain.orders import find_order_number, find_order_numbers, is_valid_order_number, normalise_order_number


@pytest.mark.parametrize("text, expected", [
    ("我订单4512345678901234567的羽绒服拉链坏了", "4512345678901234567"),  # 淘宝 19, glued to 汉字
    ("订单号：238765432109876543 还没发货", "238765432109876543"),  # 天猫 18
    ("京东单号31234567890怎么还没到", "31234567890"),  # 京东 11
    ("单号 301234567890", "301234567890"),  # 京东 12
    ("拼多多的 240612-123456789012345 少发了一件", "240612-123456789012345"),
    ("不对，订单号是4512345678901234567，不是4512345678901234000", "4512345678901234000"),
])
def test_order_numbers_are_found_in_running_text(text, expected):
    assert expected in find_order_numbers(text)


def test_a_correction_takes_the_last_number():
    assert find_order_number("之前说错了 4512345678901234567 应该是4512345678901234999") == "4512345678901234999"


@pytest.mark.parametrize("text", [
    "我的手机13812345678，快点联系我",  # a mobile number is not an order number
    "买了3件才100块",
    "订单号12345",  # too short for every platform, and under the 6 digits the customer's word counts from
    "45123456789012345678901",  # 23 digits: part of nothing we know
])
def test_no_false_order_numbers(text):
    assert find_order_numbers(text) == []


def test_a_mobile_shaped_number_counts_after_order_context():
    assert find_order_numbers("京东订单号13812345678") == ["13812345678"]


def test_configured_patterns_replace_the_defaults():
    assert find_order_numbers("我的单号SO20261123", patterns=[r"SO\d{8}"]) == ["SO20261123"]
    assert find_order_numbers("4512345678901234567", patterns=[r"SO\d{8}"]) == []


def test_validation_and_normalisation():
    assert normalise_order_number(" 4512 3456 7890 1234 567 ") == "4512345678901234567"
    assert normalise_order_number("２４０６１２－123456789012345") == "240612-123456789012345"
    assert is_valid_order_number("240612-123456789012345")
    assert not is_valid_order_number("12345")


# -- personal numbers are not order numbers (issue 13, finding 4) ------------------------------------

ID_NUMBER = "110101199003074514"  # check digit right, born 1990-03-07
CARD = "6222020200001234562"  # 19-digit UnionPay debit card, passes Luhn


def test_an_id_number_never_becomes_the_order_number():
    text = "订单号 4512345678901234077，我身份证号 110101199003074514"
    assert find_order_numbers(text) == ["4512345678901234077"]
    assert find_order_number(text) == "4512345678901234077"  # not the last number: that is the ID
    assert find_order_numbers(f"订单号{ID_NUMBER}") == []  # an ID even where an order number should be
    assert find_order_numbers(ID_NUMBER, answering=True) == []


def test_an_id_shaped_number_with_a_wrong_check_digit_stays_an_order_number_unless_called_an_id():
    assert find_order_numbers("110101199003071234") == ["110101199003071234"]
    assert find_order_numbers("身份证号：110101199003071234") == []


def test_a_bank_card_counts_only_when_given_as_the_order_number():
    assert find_order_numbers(f"钱退到我的卡{CARD}里就行") == []
    assert find_order_numbers(f"银行卡 {CARD[:-1]}3") == []  # after card words, whatever the checksum
    assert find_order_numbers(f"订单号{CARD}") == [CARD]
    assert find_order_numbers(CARD, answering=True) == [CARD]  # the answer to "which order?"


def test_full_width_digits_are_read_as_digits():
    assert find_order_numbers("订单号４５１２３４５６７８９０１２３４５６７") == ["4512345678901234567"]
    assert find_order_numbers("我的身份证１１０１０１１９９００３０７４５１４") == []
    assert find_order_numbers("电话１３８１２３４５６７８") == []


def _annotated_order_numbers() -> list[tuple[str, str]]:
    """(message, order number) for every order number annotated in the NLU data and test sets."""
    import re
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    annotation = re.compile(r"\[([^\]]+)\]\((\w+)\)|\[([^\]]+)\]\{[^}]*\"entity\":\s*\"(\w+)\"[^}]*\}")
    pairs = []
    for path in [*sorted((root / "data" / "nlu").glob("*.yml")), *sorted((root / "tests" / "nlu").glob("*.yml"))]:
        for line in path.read_text(encoding="utf-8").splitlines():
            line = line.strip()
            if not line.startswith("- ") or "order_number" not in line:
                continue
            plain = annotation.sub(lambda m: m.group(1) or m.group(3), line[2:])
            pairs += [(plain, m.group(1)) for m in annotation.finditer(line[2:]) if m.group(2) == "order_number"]
    return pairs


def test_no_real_order_number_in_the_nlu_data_is_refused():
    """The measurement behind the ID and card rules (bot/domain/orders.py): every annotated order
    number in data/nlu and tests/nlu is still found in its message."""
    pairs = _annotated_order_numbers()
    assert len(pairs) > 300
    refused = [(text, number) for text, number in pairs if number not in find_order_numbers(text)]
    assert refused == []


@pytest.mark.parametrize("text, expected", [
    ("4490 0138 2746 5510 982", ["4490013827465510982"]),  # pasted in groups for reading
    ("订单号 4512 3456 7890 1234 567 麻烦看下", ["4512345678901234567"]),
    ("电话 138 1234 5678", []), ("2026 11 30 买的", []), ("1101 0119 9003 0745 14", [])])  # an ID stays out
def test_a_number_typed_in_groups_is_read_whole(text, expected):
    assert find_order_numbers(text, answering=True) == expected
