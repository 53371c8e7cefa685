import pytest

from tests.webhooks.receiver import Receiver, start


@pytest.fixture
def receiver():
    """A webhook receiver on 127.0.0.1."""
    server = Receiver()
    httpd = start(server)
    yield server
    httpd.shutdown()
    httpd.server_close()


@pytest.fixture
def loopback_allowed(settings):
    """The receiver runs on 127.0.0.1, which production refuses: allowed here, as a deployment
    that sends webhooks inside its own network would allow its network."""
    settings.WEBHOOK_ALLOWED_NETWORKS = ["127.0.0.1/32"]
    settings.WEBHOOK_READ_TIMEOUT = 1
    settings.WEBHOOK_CONNECT_TIMEOUT = 1
