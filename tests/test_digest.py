"""The daily digest, delivered to a real SMTP server (aiosmtpd) on loopback."""

from __future__ import annotations

import shutil
import socket
import sqlite3
from email import message_from_bytes
from email.policy import default

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword
from click.testing import CliRunner

from tracker.cli import EXIT_FEEDS_FAILED, EXIT_USAGE, cli
from tracker.digest.settings import load_digest_settings
from tracker.errors import ConfigError

from .conftest import KATO_PARAGRAPHS, Item, feed_reply, page, rss, write_feeds
from .httpserver import Reply

DAY = "2025-05-09"
PASSWORD = "s3cret-Pa55"


class Mailbox:
    def __init__(self) -> None:
        self.messages: list[tuple[list[str], bytes]] = []
        self.refuse = False

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd's name)
        if self.refuse:
            return "554 5.7.1 Message refused by policy"
        self.messages.append((list(envelope.rcpt_tos), envelope.original_content or envelope.content))
        return "250 OK"


def _authenticator(server, session, envelope, mechanism, auth_data):
    ok = isinstance(auth_data, LoginPassword) and auth_data.password.decode() == PASSWORD
    return AuthResult(success=ok, handled=False)  # handled=True (the default) would leave the reply unsent


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def smtp(monkeypatch):
    box = Mailbox()
    port = _free_port()
    controller = Controller(box, hostname="127.0.0.1", port=port, authenticator=_authenticator, auth_require_tls=False)
    controller.start()
    monkeypatch.setenv("TRACKER_SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv("TRACKER_SMTP_PORT", str(port))
    monkeypatch.setenv("TRACKER_SMTP_SECURITY", "none")
    monkeypatch.setenv("TRACKER_DIGEST_FROM", "tracker@desk.example")
    monkeypatch.setenv("TRACKER_DIGEST_TO", "ana@desk.example, ben@desk.example")
    for name in ("TRACKER_SMTP_USER", "TRACKER_SMTP_PASSWORD", "TRACKER_DIGEST_QUIET_DAY", "TRACKER_CONFIG"):
        monkeypatch.delenv(name, raising=False)
    yield box
    controller.stop()


@pytest.fixture
def db(demo_db, tmp_path):
    copy = tmp_path / "tracker.db"
    shutil.copy(demo_db, copy)
    return copy


def digest(db, *args):
    return CliRunner().invoke(cli, ["digest", "--db", str(db), *args], catch_exceptions=False)


def parse(raw: bytes):
    return message_from_bytes(raw, policy=default)


def test_digest_is_a_real_email_with_parts_image_and_headers(smtp, db):
    result = digest(db, "--date", DAY)
    assert result.exit_code == 0, result.stderr
    assert len(smtp.messages) == 1
    recipients, raw = smtp.messages[0]
    assert recipients == ["ana@desk.example", "ben@desk.example"]
    message = parse(raw)
    assert message.get_content_type() == "multipart/alternative"
    text, related = message.get_payload()
    assert text.get_content_type() == "text/plain" and related.get_content_type() == "multipart/related"
    html, image = related.get_payload()
    assert html.get_content_type() == "text/html" and image.get_content_type() == "image/png"
    assert image["Content-ID"] == "<week-chart@tracker>" and image.get_payload(decode=True)[:4] == b"\x89PNG"
    assert 'src="cid:week-chart@tracker"' in html.get_content()
    assert message["Message-ID"] == f"<tracker-digest-{DAY}@desk.example>"
    assert message["From"] == "tracker@desk.example" and "ana@desk.example" in message["To"]
    with sqlite3.connect(db) as conn:  # the subject names the day's strongest spike, whoever the model makes it
        top = conn.execute("SELECT name FROM spikes WHERE day = ? ORDER BY z DESC LIMIT 1", [DAY]).fetchone()[0]
    assert DAY in message["Subject"] and f"{top}: highest escalation in 30 days" in message["Subject"]
    assert "Katsunobu Kato" in html.get_content()  # the day's story: Kato's remarks on Treasury holdings
    assert message["Date"]
    with sqlite3.connect(db) as conn:
        top_text = conn.execute("SELECT text FROM timeline WHERE day = ? ORDER BY escalation DESC LIMIT 1", [DAY]).fetchone()[0]
        row = conn.execute("SELECT status, message_id, recipients, attempts FROM digests WHERE day = ?", [DAY]).fetchone()
    assert top_text in text.get_content()
    assert top_text.replace("'", "&#39;").replace("’", "’") in html.get_content() or top_text in html.get_content()
    assert 'style="' in html.get_content()  # CSS inlined for mail clients
    assert row == ("sent", f"<tracker-digest-{DAY}@desk.example>", "ana@desk.example, ben@desk.example", 1)


def test_feed_text_is_escaped_and_only_http_links_are_links(smtp, db):
    with sqlite3.connect(db) as conn:
        article = conn.execute("SELECT article_id FROM timeline WHERE day = ? ORDER BY escalation DESC LIMIT 1", [DAY]).fetchone()[0]
        conn.execute("UPDATE articles SET title = ?, url = ? WHERE id = ?",
                     ["<script>alert('x')</script> Kato & co", "javascript:alert(1)", article])
    assert digest(db, "--date", DAY).exit_code == 0
    html = parse(smtp.messages[0][1]).get_payload()[1].get_payload()[0].get_content()
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert "javascript:" not in html and "Kato &amp; co" in html


def test_a_day_is_sent_once_unless_forced(smtp, db):
    assert digest(db, "--date", DAY).exit_code == 0
    again = digest(db, "--date", DAY)
    assert again.exit_code == 0 and "already sent" in again.stderr
    assert len(smtp.messages) == 1
    assert digest(db, "--date", DAY, "--force").exit_code == 0
    assert len(smtp.messages) == 2


def test_a_refused_digest_is_recorded_and_delivered_by_the_next_run(smtp, db):
    smtp.refuse = True
    failed = digest(db, "--date", DAY)
    assert failed.exit_code == EXIT_FEEDS_FAILED and "554" in failed.stderr
    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT status, attempts FROM digests WHERE day = ?", [DAY]).fetchone() == ("failed", 1)
    smtp.refuse = False
    next_run = digest(db, "--date", "2025-05-12")
    assert next_run.exit_code == 0, next_run.stderr
    days = sorted(parse(raw)["X-Tracker-Digest-Date"] for _, raw in smtp.messages)
    assert days == [DAY, "2025-05-12"]
    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT status, attempts FROM digests WHERE day = ?", [DAY]).fetchone() == ("sent", 2)


def test_quiet_day_sends_a_short_digest_or_none_by_configuration(smtp, db, monkeypatch):
    assert digest(db, "--date", "2025-06-30").exit_code == 0
    message = parse(smtp.messages[0][1])
    assert "quiet day" in message["Subject"] and "No statements" in message.get_payload()[0].get_content()
    monkeypatch.setenv("TRACKER_DIGEST_QUIET_DAY", "skip")
    skipped = digest(db, "--date", "2025-07-01")
    assert skipped.exit_code == 0 and "skipped" in skipped.stderr and len(smtp.messages) == 1


def test_login_works_and_the_password_is_never_stored_or_logged(smtp, db, monkeypatch, tmp_path):
    monkeypatch.setenv("TRACKER_SMTP_USER", "desk")
    monkeypatch.setenv("TRACKER_SMTP_PASSWORD", PASSWORD)
    assert digest(db, "--date", DAY).exit_code == 0 and len(smtp.messages) == 1
    monkeypatch.setenv("TRACKER_SMTP_PASSWORD", "wrong-" + PASSWORD)
    refused = digest(db, "--date", "2025-05-12")
    assert refused.exit_code == EXIT_FEEDS_FAILED and "SMTPAuthenticationError" in refused.stderr
    assert PASSWORD not in refused.stderr + refused.stdout
    dump = "\n".join(sqlite3.connect(db).iterdump())
    assert PASSWORD not in dump
    logs = (db.parent / "tracker.log").read_text()
    assert "digest day=2025-05-09 status=sent" in logs and PASSWORD not in logs


def test_dry_run_and_html_write_files_without_sending(smtp, db, tmp_path):
    eml, html = tmp_path / "d.eml", tmp_path / "d.html"
    assert digest(db, "--date", DAY, "--dry-run", "--out", str(eml)).exit_code == 0
    assert digest(db, "--date", DAY, "--html", str(html)).exit_code == 0
    assert smtp.messages == []
    assert parse(eml.read_bytes())["Message-ID"] == f"<tracker-digest-{DAY}@desk.example>"
    page = html.read_text()
    assert "Top statements" in page and 'src="d-week.png"' in page and (tmp_path / "d-week.png").exists()
    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT count(*) FROM digests").fetchone()[0] == 0


def test_ingest_with_digest_does_both(smtp, server, workdir):
    server.routes["/a/1.html"] = Reply(body=page("Kato on holdings", KATO_PARAGRAPHS))
    server.routes["/a.xml"] = feed_reply(rss([Item("Kato on holdings", "/a/1.html", guid="a-1")], server))
    write_feeds(workdir / "feeds.yaml", [("Wire A", server.url("/a.xml"))])
    result = CliRunner().invoke(cli, ["ingest", "--digest"], catch_exceptions=False)
    assert result.exit_code == 0, result.stderr
    assert "new_articles=1" in result.stderr and ": sent:" in result.stderr
    assert len(smtp.messages) == 1  # yesterday's digest (a quiet day here)


def test_settings_come_from_the_file_then_the_environment():
    table = {"host": "mail.example", "port": 2525, "security": "ssl", "from": "t@x.example", "to": ["a@x.example"]}
    settings = load_digest_settings(table, {"TRACKER_SMTP_PORT": "465", "TRACKER_SMTP_PASSWORD": "pw"})
    assert (settings.host, settings.port, settings.security, settings.recipients) == ("mail.example", 465, "ssl", ("a@x.example",))
    assert settings.password == "pw" and "pw" not in repr(settings)
    with pytest.raises(ConfigError, match="only from the environment"):
        load_digest_settings({"password": "x"}, {})
    with pytest.raises(ConfigError, match="none, starttls or ssl"):
        load_digest_settings({}, {"TRACKER_SMTP_SECURITY": "tls1"})


def test_sending_without_a_server_configured_is_a_one_line_error(db, monkeypatch):
    for name in ("TRACKER_SMTP_HOST", "TRACKER_DIGEST_TO", "TRACKER_CONFIG"):
        monkeypatch.delenv(name, raising=False)
    result = digest(db, "--date", DAY)
    assert result.exit_code == EXIT_USAGE and "no SMTP server" in result.stderr
