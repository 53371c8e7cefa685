"""The test SMTP server itself: what Django sends arrives parsed; a refused recipient is refused."""

from smtplib import SMTPRecipientsRefused

import pytest
from django.core.mail import EmailMultiAlternatives


def test_it_receives_text_and_html_over_smtp(mail_server):
    message = EmailMultiAlternatives("Hello", "plain words", "from@example.com", ["a@example.com"])
    message.attach_alternative("<p>rich words</p>", "text/html")
    message.extra_headers["X-Test"] = "yes"
    message.send()

    received = mail_server.only_message()
    assert received.rcpt_tos == ["a@example.com"]
    assert received["Subject"] == "Hello"
    assert received["X-Test"] == "yes"
    assert received.text.strip() == "plain words"
    assert received.html.strip() == "<p>rich words</p>"


@pytest.mark.parametrize("code", [550, 450])
def test_it_refuses_a_recipient_it_was_told_to(mail_server, code):
    mail_server.refuse("gone@example.com", code=code)
    message = EmailMultiAlternatives("Hello", "words", "from@example.com", ["gone@example.com"])

    with pytest.raises(SMTPRecipientsRefused) as refusal:
        message.send()

    assert refusal.value.recipients["gone@example.com"][0] == code
    assert mail_server.messages == []
