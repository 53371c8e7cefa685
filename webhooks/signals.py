"""Changes committed to the log are queued for the endpoints, through the task outbox, so that
a broker outage loses nothing (jobs/outbox.py)."""

from typing import Any

from jobs.outbox import queue_after_commit

from .models import Endpoint
from .tasks import dispatch


def changes_to_dispatch(sender: Any, last_id: int, **kwargs: Any) -> None:
    # Sent after the changes' transaction committed; with no endpoint waiting for them there is
    # nothing to queue (an endpoint registered later starts after them).
    if Endpoint.objects.behind(last_id).exists():
        queue_after_commit(dispatch, last_id)
