"""E-mail settings from the environment: EMAIL_URL in one value, or the standard EMAIL_* ones;
SITE_URL for the links of e-mails. A malformed value stops start-up by name."""

import pytest

from policytracker.settings import BASE_DIR, email_url_settings
from tests.services import manage


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        (
            "smtp://user:secret@mail.example.org:2525",
            {
                "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
                "EMAIL_HOST": "mail.example.org",
                "EMAIL_PORT": 2525,
                "EMAIL_HOST_USER": "user",
                "EMAIL_HOST_PASSWORD": "secret",
            },
        ),
        ("smtp+tls://u:p@mail.example.org:587", {"EMAIL_USE_TLS": True, "EMAIL_PORT": 587}),
        (
            "smtps://u:p@mail.example.org:465",
            {"EMAIL_USE_SSL": True, "EMAIL_USE_TLS": False, "EMAIL_PORT": 465},
        ),
        ("consolemail://", {"EMAIL_BACKEND": "django.core.mail.backends.console.EmailBackend"}),
        (
            "filemail:///srv/mail",
            {
                "EMAIL_BACKEND": "django.core.mail.backends.filebased.EmailBackend",
                "EMAIL_FILE_PATH": "/srv/mail",
            },
        ),
        ("filemail://var/mail", {"EMAIL_FILE_PATH": str(BASE_DIR / "var/mail")}),
    ],
)
def test_email_url_sets_the_backend_and_server(url, expected):
    config = email_url_settings(url)
    assert {key: config.get(key) for key in expected} == expected
    assert None not in config.values()  # unset parts keep Django's defaults


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("EMAIL_URL", "carrier-pigeon://loft"),
        ("EMAIL_PORT", "twenty-five"),
        ("EMAIL_USE_TLS", "perhaps"),
        ("SITE_URL", "policytracker.example.org"),
        ("SITE_URL", "ftp://policytracker.example.org"),
    ],
)
def test_a_malformed_mail_setting_is_named(variable, value):
    result = manage("check", **{variable: value})
    assert result.returncode != 0
    assert f"{variable}={value!r}" in result.stderr


def test_the_settings_read_an_email_url_and_site_url(tmp_path):
    result = manage(
        "shell",
        "-c",
        "from django.conf import settings as s; "
        "print(s.EMAIL_BACKEND, s.EMAIL_FILE_PATH, s.SITE_URL, s.DEFAULT_FROM_EMAIL)",
        EMAIL_URL=f"filemail://{tmp_path}",
        SITE_URL="https://policytracker.example.org/",
        DEFAULT_FROM_EMAIL="alerts@example.org",
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[-1].split() == [
        "django.core.mail.backends.filebased.EmailBackend",
        str(tmp_path),
        "https://policytracker.example.org",
        "alerts@example.org",
    ]
