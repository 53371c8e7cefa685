"""A real SMTP server for tests of e-mail: Django's SMTP backend talks to it over TCP, and the test
reads what arrived as parsed messages (headers, text and HTML parts).

    def test_it_mails(mail_server):
        ...                                 # something sends mail
        message = mail_server.only_message()
        message["To"], message.text, message.html

`mail_server.refuse("a@example.com")` makes the server refuse that recipient with a permanent
550 (as a mailbox that does not exist); `refuse(..., code=450)` refuses it for now (a full
mailbox, greylisting). The fixture points Django's e-mail settings at the server for the test.
"""

from __future__ import annotations

import email
import email.policy
import threading
from dataclasses import dataclass, field
from email.message import EmailMessage

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session

from tests.services import free_port


@dataclass
class Received:
    """One message as the server received it: the envelope and the parsed message."""

    mail_from: str
    rcpt_tos: list[str]
    message: EmailMessage
    # The client's address and port: messages sent over one connection share it.
    peer: object = None

    def __getitem__(self, header: str) -> str | None:
        """The header's value as a mail client reads it: a long one is folded onto a second
        line (`Subject:\n =?utf-8?…`), and the unfolded value keeps the fold's leading space."""
        value = self.message[header]
        return None if value is None else str(value).strip()

    def _body(self, subtype: str) -> str:
        part = self.message.get_body(preferencelist=(subtype,))
        assert part is not None, f"the message has no text/{subtype} part"
        return part.get_content()

    @property
    def text(self) -> str:
        return self._body("plain")

    @property
    def html(self) -> str:
        return self._body("html")


@dataclass
class MailServer:
    """What the SMTP server received, and the recipients it refuses."""

    host: str
    port: int
    messages: list[Received] = field(default_factory=list)
    refused: dict[str, int] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def refuse(self, address: str, code: int = 550) -> None:
        self.refused[address.lower()] = code

    def only_message(self) -> Received:
        assert len(self.messages) == 1, f"{len(self.messages)} messages arrived, not one"
        return self.messages[0]

    def to(self, address: str) -> list[Received]:
        return [received for received in self.messages if address in received.rcpt_tos]

    # aiosmtpd handler hooks
    async def handle_RCPT(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, options: list
    ) -> str:
        code = self.refused.get(address.lower())
        if code is not None:
            status = "5.1.1" if code >= 500 else "4.2.2"
            return f"{code} {status} <{address}>: recipient refused"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        content = envelope.original_content or b""
        message = email.message_from_bytes(content, policy=email.policy.default)
        assert isinstance(message, EmailMessage)
        with self._lock:
            self.messages.append(
                Received(str(envelope.mail_from), list(envelope.rcpt_tos), message, session.peer)
            )
        return "250 Message accepted for delivery"


@pytest.fixture
def mail_server(settings):
    """A real SMTP server on a free port of 127.0.0.1, and Django's mail settings pointing at it."""
    server = MailServer(host="127.0.0.1", port=free_port())
    controller = Controller(server, hostname=server.host, port=server.port)
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = server.host
    settings.EMAIL_PORT = server.port
    settings.EMAIL_HOST_USER = ""
    settings.EMAIL_HOST_PASSWORD = ""
    settings.EMAIL_USE_TLS = False
    settings.EMAIL_USE_SSL = False
    settings.EMAIL_TIMEOUT = 10
    try:
        yield server
    finally:
        controller.stop()
