"""The team's canned replies over the API (bot/web/routes/canned.py): any agent adds, lists,
edits and deletes; bad input is a clear 4xx; anonymous callers get nothing."""
from __future__ import annotations

import pytest
import requests

from tests.support.live_app import AgentClient, LiveApp, add_agent, make_settings


@pytest.fixture(scope="module")
def live(tmp_path_factory):
    running = LiveApp(make_settings(tmp_path_factory.mktemp("canned")))
    running.start()
    add_agent(running.store, "lily", display_name="丽丽")
    add_agent(running.store, "max", display_name="小马")
    yield running
    running.stop()


def test_agents_share_one_library_of_canned_replies(live):
    lily, max_ = AgentClient(live, "lily"), AgentClient(live, "max")
    added = lily.call("POST", "/api/desk/canned-replies",
                      json={"title": "补发说明", "text": "已为您安排补发，单号稍后短信通知。",
                            "issue_type": "wrong_or_missing_item"})
    assert added.status_code == 201, added.text
    reply = added.json()["reply"]
    assert reply["created_by"] == "lily" and reply["issue_type"] == "wrong_or_missing_item"
    listed = max_.call("GET", "/api/desk/canned-replies").json()["replies"]
    assert [r["title"] for r in listed] == ["补发说明"]

    edited = max_.call("PATCH", f"/api/desk/canned-replies/{reply['id']}", json={"text": "已补发，请留意短信。",
                                                                                  "issue_type": None})
    assert edited.status_code == 200, edited.text
    assert edited.json()["reply"]["text"] == "已补发，请留意短信。"
    assert edited.json()["reply"]["issue_type"] is None and edited.json()["reply"]["title"] == "补发说明"
    assert max_.call("DELETE", f"/api/desk/canned-replies/{reply['id']}").status_code == 204
    assert lily.call("GET", "/api/desk/canned-replies").json()["replies"] == []


@pytest.mark.parametrize("method, path, body, status", [
    ("POST", "/api/desk/canned-replies", {"title": "", "text": "内容"}, 422),
    ("POST", "/api/desk/canned-replies", {"title": "标题", "text": "   "}, 422),
    ("POST", "/api/desk/canned-replies", {"title": "标题", "text": "内容", "issue_type": "nope"}, 422),
    ("POST", "/api/desk/canned-replies", {"title": "标" * 61, "text": "内容"}, 413),
    ("POST", "/api/desk/canned-replies", {"title": "标题", "text": "内容", "extra": 1}, 422),
    ("PATCH", "/api/desk/canned-replies/999999", {"text": "内容"}, 404),
    ("PATCH", "/api/desk/canned-replies/abc", {"text": "内容"}, 404),
    ("DELETE", "/api/desk/canned-replies/999999", None, 404),
])
def test_bad_canned_reply_requests_are_clear_4xx(live, method, path, body, status):
    response = AgentClient(live, "lily").call(method, path, json=body)
    assert response.status_code == status, response.text
    assert response.json()["error"]


def test_only_agents_see_canned_replies(live):
    assert requests.get(f"{live.base}/api/desk/canned-replies", timeout=10).status_code == 401
