from celery import shared_task

from jobs.tasklock import one_at_a_time

from .cache import recompute


@shared_task(name="comparisons.recompute_comparison")
@one_at_a_time()
def recompute_comparison(older_id: int, newer_id: int) -> bool:
    """Recompute one pair's cached comparison; idempotent (a fresh result is left alone)."""
    return recompute(older_id, newer_id)
