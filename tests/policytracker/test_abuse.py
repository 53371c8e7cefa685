"""Abuse: per-client limits that a header cannot dodge, the admin's lockout, the
Content-Security-Policy of every page. (Start-up refusals and the deployment checks are in
test_settings.py; the same limits under gunicorn with DEBUG off in test_abuse_server.py.)"""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from axes.models import AccessAttempt
from django.contrib.auth.models import User
from django.db import connection
from django.test.utils import CaptureQueriesContext
from lxml import html

from policytracker.clientaddress import forwarded_client
from policytracker.csp import STRICT_POLICY, THIRD_PARTY_POLICY
from tests.factories import API


def queries_of(request) -> int:
    with CaptureQueriesContext(connection) as queries:
        request()
    return len(queries)


class TestClientAddress:
    @pytest.mark.parametrize(
        ("trusted", "remote", "forwarded", "client"),
        [
            # No trusted proxy: the header is ignored, whatever it says.
            ([], "203.0.113.7", "198.51.100.1", "203.0.113.7"),
            # The peer is a trusted proxy: the address it appended is the client's...
            (["10.0.0.0/8"], "10.0.0.2", "198.51.100.1", "198.51.100.1"),
            # ...and whatever the client wrote to the left of it is not believed.
            (["10.0.0.0/8"], "10.0.0.2", "1.2.3.4, 198.51.100.1", "198.51.100.1"),
            # Two trusted proxies in a row: the right-most address that is not one of them.
            (
                ["10.0.0.0/8", "192.0.2.9"],
                "10.0.0.2",
                "1.2.3.4, 198.51.100.1, 192.0.2.9",
                "198.51.100.1",
            ),
            # An untrusted peer cannot make itself trusted by its header.
            (["10.0.0.0/8"], "203.0.113.7", "10.0.0.3", "203.0.113.7"),
            # Garbage where a trusted proxy would have written an address: the nearest hop known.
            (["10.0.0.2"], "10.0.0.2", "not-an-address", "10.0.0.2"),
            # A trusted proxy that forwarded no header: itself.
            (["10.0.0.2"], "10.0.0.2", "", "10.0.0.2"),
            (["2001:db8::/32"], "2001:db8::1", "2001:db8::5, 2a00:1450::1", "2a00:1450::1"),
        ],
    )
    def test_the_client_is_the_right_most_address_not_of_a_trusted_proxy(
        self, settings, trusted, remote, forwarded, client
    ):
        settings.TRUSTED_PROXIES = trusted
        assert forwarded_client(remote, forwarded) == client


@pytest.mark.django_db
class TestTheAnonymousThrottle:
    def test_a_new_forwarded_for_per_request_is_the_same_client(self, client, settings):
        settings.API_ANONYMOUS_RATE = "5/minute"
        statuses = [
            client.get(f"{API}/topics/", HTTP_X_FORWARDED_FOR=f"198.51.100.{n}").status_code
            for n in range(7)
        ]
        assert statuses == [200] * 5 + [429] * 2

    def test_behind_a_trusted_proxy_each_forwarded_client_has_its_own_allowance(
        self, client, settings
    ):
        settings.API_ANONYMOUS_RATE = "2/minute"
        settings.TRUSTED_PROXIES = ["127.0.0.1"]  # the test client's REMOTE_ADDR

        def status(forwarded: str) -> int:
            return client.get(f"{API}/topics/", HTTP_X_FORWARDED_FOR=forwarded).status_code

        assert [status("198.51.100.1") for _ in range(3)] == [200, 200, 429]
        assert status("198.51.100.2") == 200
        # A forged entry to the left of what the proxy appended changes nothing.
        assert status("1.1.1.1, 198.51.100.1") == 429


@pytest.mark.django_db
class TestForcedFreshReads:
    def test_past_its_allowance_no_cache_is_answered_from_the_cache(
        self, client, reference_data, settings
    ):
        settings.API_FORCED_FRESH_RATE = "2/minute"
        url = f"{API}/measures/beijing-2025/1/"
        kept = client.get(url)
        fresh = {"HTTP_CACHE_CONTROL": "no-cache"}
        computed = [queries_of(lambda: client.get(url, **fresh)) for _ in range(2)]
        assert all(count > 0 for count in computed)
        with CaptureQueriesContext(connection) as queries:
            answer = client.get(url, **fresh)
        assert len(queries) == 0  # not computed: the kept answer, of the current data version
        assert answer.status_code == 200
        assert answer.content == kept.content

    def test_another_client_still_gets_a_fresh_answer(self, client, reference_data, settings):
        settings.API_FORCED_FRESH_RATE = "1/minute"
        url = f"{API}/measures/beijing-2025/1/"
        client.get(url, HTTP_CACHE_CONTROL="no-cache")
        assert queries_of(lambda: client.get(url, HTTP_CACHE_CONTROL="no-cache")) == 0
        other = {"HTTP_CACHE_CONTROL": "no-cache", "REMOTE_ADDR": "198.51.100.9"}
        assert queries_of(lambda: client.get(url, **other)) > 0


@pytest.mark.django_db
class TestPageLimit:
    def test_past_the_limit_a_translated_429_page_with_retry_after(self, client, settings):
        settings.PAGE_RATE = "3/minute"
        assert [client.get("/documents/").status_code for _ in range(3)] == [200] * 3
        refused = client.get("/documents/", HTTP_X_FORWARDED_FOR="198.51.100.1")
        assert refused.status_code == 429
        assert 0 < int(refused["Retry-After"]) <= 60
        assert "请求过多" in refused.content.decode()
        english = client.get("/documents/", HTTP_ACCEPT_LANGUAGE="en")
        assert english.status_code == 429
        assert "Too many requests" in english.content.decode()

    def test_signed_in_users_the_api_and_static_files_are_not_limited(self, client, settings):
        settings.PAGE_RATE = "1/minute"
        client.get("/documents/")
        assert client.get("/documents/").status_code == 429
        assert client.get(f"{API}/health/").status_code in (200, 503)  # never 429
        assert client.get(f"{API}/topics/").status_code == 200  # the API's own rate
        assert client.get("/static/css/site.css").status_code != 429
        client.force_login(User.objects.create_user("reader"))
        assert client.get("/documents/").status_code == 200


@pytest.mark.django_db
class TestAdminLockout:
    @pytest.fixture
    def admin_user(self):
        return User.objects.create_superuser("boss", password="the-right-password-42")

    def log_in(self, client, password: str, **extra):
        return client.post(
            "/admin/login/?next=/admin/",
            {"username": "boss", "password": password},
            **extra,
        )

    def test_ten_wrong_passwords_lock_the_address_out_until_the_cool_off(
        self, client, admin_user, settings
    ):
        assert settings.AXES_FAILURE_LIMIT == 10
        # A new X-Forwarded-For each time is still the same client. Each failure shows the form
        # again with its error; the tenth locks the pair out at once.
        statuses = [
            self.log_in(client, "guess", HTTP_X_FORWARDED_FOR=f"198.51.100.{n}").status_code
            for n in range(10)
        ]
        assert statuses == [200] * 9 + [429]
        refused = self.log_in(client, "the-right-password-42")
        assert refused.status_code == 429
        assert int(refused["Retry-After"]) == settings.AXES_COOLOFF_MINUTES * 60
        assert "登录已锁定" in refused.content.decode()
        assert "_auth_user_id" not in client.session
        # Another address is not locked out of the same account.
        elsewhere = self.log_in(client, "the-right-password-42", REMOTE_ADDR="203.0.113.5")
        assert elsewhere.status_code == 302
        client.logout()

        # The cool-off passes: the failures are now that long ago.
        AccessAttempt.objects.update(
            attempt_time=AccessAttempt.objects.get().attempt_time
            - timedelta(minutes=settings.AXES_COOLOFF_MINUTES, seconds=1)
        )
        assert self.log_in(client, "the-right-password-42").status_code == 302
        assert client.get("/admin/").status_code == 200

    def test_the_lockout_page_is_in_english_too(self, client, admin_user, settings):
        settings.AXES_FAILURE_LIMIT = 2
        for _ in range(2):
            self.log_in(client, "guess")
        refused = self.log_in(client, "guess", HTTP_ACCEPT_LANGUAGE="en")
        assert refused.status_code == 429
        assert "Sign-in locked" in refused.content.decode()


SITE_PAGES = [
    "/",
    "/documents/",
    "/documents/beijing-2025/",
    "/agencies/",
    "/agencies/bj-health/",
    "/measures/",
    "/measures/?sort=title",
    "/measures/beijing-2025/1/",
    "/data-quality/",
    "/progress/",
    "/applicability/",
    "/applicability/?entity_type=innovative_drug_company&location=beijing",
    "/compare/",
    "/compare/beijing-2024/beijing-2025/",
    "/no-such-page/",
    "/progress/?as_of=not-a-day",
    "/progress/?document=%00",
]
THIRD_PARTY_PAGES = ["/admin/login/", f"{API}/topics/?format=api", "/api/docs/"]


def inline_code(page: bytes) -> dict[str, list]:
    """What in an HTML page a strict policy would block: inline script, style, handlers."""
    tree = html.fromstring(page)
    return {
        "scripts": tree.xpath("//script[not(@src)]"),
        "style elements": tree.xpath("//style"),
        "style attributes": tree.xpath("//*[@style]"),
        "handlers": [
            name for element in tree.iter() for name in element.attrib if name[:2] == "on"
        ],
        "javascript: links": tree.xpath('//a[starts-with(@href, "javascript:")]'),
    }


@pytest.mark.django_db
class TestContentSecurityPolicy:
    # One test walks all pages: the reference data is loaded once, not once a page.
    def test_our_pages_have_the_strict_policy_and_no_inline_script_or_style(
        self, client, reference_data
    ):
        for path in SITE_PAGES:
            response = client.get(path)
            assert response.status_code < 500, path
            policy = response["Content-Security-Policy"]
            assert policy == STRICT_POLICY, path
            if response["Content-Type"].startswith("text/html"):
                found = {
                    kind: items for kind, items in inline_code(response.content).items() if items
                }
                assert found == {}, path
        for directive in (
            "default-src 'self'",
            "script-src 'self'",
            "style-src 'self'",
            "object-src 'none'",
            "frame-ancestors 'none'",
            "base-uri 'self'",
            "form-action 'self'",
        ):
            assert directive in STRICT_POLICY.split("; ")
        assert "unsafe" not in STRICT_POLICY

    def test_third_party_pages_allow_inline_style_but_never_inline_script(
        self, client, reference_data
    ):
        assert "script-src 'self'" in THIRD_PARTY_POLICY.split("; ")
        for path in THIRD_PARTY_PAGES:
            response = client.get(path)
            assert response.status_code == 200, path
            assert response["Content-Security-Policy"] == THIRD_PARTY_POLICY, path
            # Scripts are files; a <script> without src only carries JSON data, which never runs.
            scripts = inline_code(response.content)["scripts"]
            assert all(script.get("type") == "application/json" for script in scripts), path
            assert inline_code(response.content)["handlers"] == [], path

    def test_the_docs_setup_script_is_a_separate_request(self, client, reference_data):
        page = client.get("/api/docs/").content.decode()
        setup = re.search(r'<script src="(/api/docs/\?[^"]*script=[^"]*)"', page).group(1)
        script = client.get(setup.replace("&amp;", "&"))
        assert script.status_code == 200
        assert script["Content-Type"].startswith("application/javascript")
        assert "SwaggerUIBundle" in script.content.decode()

    def test_json_answers_and_cached_ones_carry_it_too(self, client, reference_data):
        for _ in range(2):  # computed, then from the cache
            answer = client.get(f"{API}/measures/beijing-2025/1/")
            assert answer["Content-Security-Policy"] == THIRD_PARTY_POLICY
