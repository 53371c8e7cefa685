"""The digest benchmark runs, on a small size, so its code cannot rot (no timing asserted)."""

import pytest

from alerts.models import Subscription
from bench.digests import digests


@pytest.mark.django_db
def test_the_digest_run_sends_what_matched_and_cleans_up(reference_data):
    result = digests(subscriptions=60, changed_targets=20)
    assert result["subscriptions"] == 60
    assert result["changes"] == 20
    assert result["sent"] + result["empty"] == 60
    assert result["sent"] > 0
    assert result["messages"] == result["sent"] == result["digests_recorded"]
    # Readers share interests: fewer worked out than subscriptions.
    assert result["interests"] < 60
    assert not Subscription.objects.exists()
