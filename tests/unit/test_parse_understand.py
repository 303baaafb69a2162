"""`bot.integrations.parse.understand`: Rasa's parse result → the shop's view of one message,
including how sure the classifier is of the issue type and the runners-up (issue 12)."""
from bot.integrations.parse import issue_type_candidates, understand

PATTERNS = (r"(?<!\d)\d{12}(?!\d)",)


def nlu(text, ranking, entities=()):
    return {"text": text, "intent": ranking[0], "intent_ranking": ranking, "entities": list(entities)}


def test_a_confident_complaint_names_its_type_and_the_runners_up():
    result = understand(nlu("快递一个字慢", [
        {"name": "complain_logistics_delay", "confidence": 0.81},
        {"name": "inform", "confidence": 0.09},
        {"name": "complain_package_damaged_or_lost", "confidence": 0.05},
        {"name": "complain_courier_attitude", "confidence": 0.03},
        {"name": "complain_other", "confidence": 0.02},
    ]), PATTERNS)
    assert (result["issue_type"], result["issue_type_confidence"]) == ("logistics_delay", 0.81)
    assert [c["issue_type"] for c in result["issue_type_candidates"]] == [
        "logistics_delay", "package_damaged_or_lost", "courier_attitude"]  # non-complaints skipped, three at most
    assert result["issue_type_candidates"][1] == {"issue_type": "package_damaged_or_lost", "label": "包裹破损丢件",
                                                  "score": 0.05}
    assert result["is_complaint"] and result["intent"] == "complain_logistics_delay"


def test_a_non_complaint_has_no_confidence_but_still_lists_what_it_might_be():
    result = understand(nlu("价保怎么申请", [
        {"name": "ask_policy", "confidence": 0.55},
        {"name": "complain_price_dispute", "confidence": 0.30},
    ]), PATTERNS)
    assert result["issue_type"] is None and result["issue_type_confidence"] is None
    assert result["issue_type_candidates"] == [{"issue_type": "price_dispute", "label": "价格争议", "score": 0.3}]


def test_the_fallback_keeps_the_best_real_intent_and_its_candidates():
    result = understand(nlu("嗯那个", [
        {"name": "nlu_fallback", "confidence": 0.45},
        {"name": "complain_product_quality", "confidence": 0.31},
        {"name": "complain_not_as_described", "confidence": 0.29},
    ]), PATTERNS)
    assert result["fallback"] is True and result["issue_type"] == "product_quality"
    assert result["issue_type_confidence"] == 0.31
    assert [c["issue_type"] for c in result["issue_type_candidates"]] == ["product_quality", "not_as_described"]


def test_candidates_of_an_empty_ranking_are_empty():
    assert issue_type_candidates([]) == []
    assert issue_type_candidates([{"name": "greet", "confidence": 1.0}]) == []
