"""Evidence photos: `POST /api/chat/{session_id}/attachments` (multipart `file`) → 201 with the
attachment; the type is decided by the bytes (415 otherwise), the size (413) and the count per
session (429) are limited, EXIF (GPS) is removed, files are 0600, and only the same session (or
an agent) can fetch one: another session's URL is 404. The ticket lists the session's photos."""
from __future__ import annotations

import io
import stat
from pathlib import Path

import pytest
import requests
from PIL import Image

from tests.support.live_app import AgentClient, LiveApp, add_agent, make_settings, ticket_body


@pytest.fixture()
def live(tmp_path):
    running = LiveApp(make_settings(tmp_path, MAX_ATTACHMENT_MB="1", MAX_ATTACHMENTS_PER_SESSION="3")).start()
    add_agent(running.store, "lily", display_name="丽丽")
    yield running
    running.stop()


def photo(fmt: str = "JPEG", size=(64, 48), gps: bool = False) -> bytes:
    image = Image.new("RGB", size, (200, 30, 30))
    out = io.BytesIO()
    if gps:
        exif = Image.Exif()
        exif[0x010F] = "PhoneMaker"  # Make
        exif[0x8825] = {1: "N", 2: (39.0, 54.0, 26.0), 3: "E", 4: (116.0, 23.0, 30.0)}  # GPSInfo
        image.save(out, format=fmt, exif=exif)
    else:
        image.save(out, format=fmt)
    return out.getvalue()


def upload(live, session: str, data: bytes, name: str = "photo.jpg", mime: str = "image/jpeg") -> requests.Response:
    return requests.post(f"{live.base}/api/chat/{session}/attachments", files={"file": (name, data, mime)},
                         timeout=30)


def test_a_photo_is_stored_without_exif_shown_in_the_chat_and_on_the_ticket(live):
    sent = upload(live, "s-photo", photo(gps=True))
    assert sent.status_code == 201, sent.text
    attachment = sent.json()["attachment"]
    assert set(attachment) == {"id", "url", "content_type", "bytes"}
    assert attachment["content_type"] == "image/jpeg"
    assert attachment["url"] == f"/api/chat/s-photo/attachments/{attachment['id']}"

    fetched = requests.get(f"{live.base}{attachment['url']}", timeout=10)
    assert fetched.status_code == 200 and fetched.headers["content-type"] == "image/jpeg"
    assert len(fetched.content) == attachment["bytes"]
    with Image.open(io.BytesIO(fetched.content)) as image:
        assert not image.getexif() and image.size == (64, 48)
    assert b"PhoneMaker" not in fetched.content

    stored = Path(live.settings.attachments_dir)
    assert stored.parent == Path(live.settings.database_url[len("sqlite:///"):]).parent
    [file] = list(stored.iterdir())
    assert stat.S_IMODE(file.stat().st_mode) == 0o600

    messages = requests.get(f"{live.base}/api/chat/s-photo/messages", timeout=10).json()["messages"]
    assert messages[-1]["sender"] == "customer" and messages[-1]["meta"]["attachment"]["id"] == attachment["id"]

    ticket = live.call("POST", "/api/tickets", json=ticket_body("photo-1", session_id="s-photo")).json()["ticket"]
    detail = AgentClient(live, "lily").call("GET", f"/api/tickets/{ticket['id']}").json()["ticket"]
    assert [a["id"] for a in detail["attachments"]] == [attachment["id"]]
    assert detail["attachments"][0]["width"] == 64
    assert AgentClient(live, "lily").call("GET", attachment["url"]).status_code == 200  # agents fetch it too


def test_png_and_webp_are_accepted_by_their_bytes(live):
    png = upload(live, "s-types", photo("PNG"), "a.png", "image/png")
    assert png.json()["attachment"]["content_type"] == "image/png"
    webp = upload(live, "s-types", photo("WEBP"), "b.jpg", "image/jpeg")  # the name and the label lie
    assert webp.status_code == 201 and webp.json()["attachment"]["content_type"] == "image/webp"


@pytest.mark.parametrize("data, name, mime", [
    (b"%PDF-1.7 not a photo", "invoice.pdf", "application/pdf"),
    (b"<svg xmlns='http://www.w3.org/2000/svg'><script>alert(1)</script></svg>", "x.jpg", "image/jpeg"),
    (b"GIF89a" + b"\x00" * 20, "a.gif", "image/gif"),
    (b"\xff\xd8\xff\xe0 broken jpeg", "broken.jpg", "image/jpeg"),
])
def test_anything_but_a_real_jpeg_png_or_webp_is_415(live, data, name, mime):
    refused = upload(live, "s-bad", data, name, mime)
    assert refused.status_code == 415, refused.text
    assert refused.json()["error"] in {"unsupported_type", "invalid_image"}
    assert "图片" in refused.json()["message"]


def test_too_large_is_413_with_the_limit(live):
    big = b"\xff\xd8\xff" + b"\x00" * (1024 * 1024 + 10)
    refused = upload(live, "s-big", big)
    assert refused.status_code == 413 and refused.json()["error"] == "file_too_large"
    assert "最多 1 MB" in refused.json()["message"]
    way_too_big = upload(live, "s-big", b"\xff\xd8\xff" + b"\x00" * (3 * 1024 * 1024))  # over the request limit
    assert way_too_big.status_code == 413 and "最多 1 MB" in way_too_big.json()["message"]


def test_the_count_per_session_is_limited(live):
    for _ in range(3):
        assert upload(live, "s-many", photo()).status_code == 201
    refused = upload(live, "s-many", photo())
    assert refused.status_code == 429 and "最多可以发送 3 张" in refused.json()["message"]
    assert upload(live, "s-other", photo()).status_code == 201


def test_missing_file_or_not_multipart_is_explained(live):
    missing = requests.post(f"{live.base}/api/chat/s-x/attachments", files={"photo": ("a.jpg", photo())}, timeout=10)
    assert missing.status_code == 422 and missing.json()["field"] == "file"
    as_json = requests.post(f"{live.base}/api/chat/s-x/attachments", json={"file": "abc"}, timeout=10)
    assert as_json.status_code == 415 and "multipart/form-data" in as_json.json()["message"]


def test_another_session_cannot_fetch_a_photo(live):
    attachment = upload(live, "s-owner", photo()).json()["attachment"]
    assert requests.get(f"{live.base}/api/chat/s-owner/attachments/{attachment['id']}", timeout=10).status_code == 200
    stolen = requests.get(f"{live.base}/api/chat/s-thief/attachments/{attachment['id']}", timeout=10)
    assert stolen.status_code == 404 and stolen.json()["error"] == "attachment_not_found"
    for bad in ("0" * 32, "../../desk.sqlite3", attachment["id"].upper()):
        assert requests.get(f"{live.base}/api/chat/s-owner/attachments/{bad}", timeout=10).status_code == 404
