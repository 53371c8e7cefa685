"""The webhooks' Celery tasks: thin, idempotent, and named for good (names are stored in the
outbox and in beat's table). They take no task lock: copies may run side by side, since each
endpoint's fan-out locks its row and each delivery is claimed before it is sent."""

from celery import shared_task

from . import delivery


@shared_task(name="webhooks.dispatch")
def dispatch(last_id: int) -> int:
    """New changes (up to at least `last_id`) into deliveries, then send what is due. Running
    it twice sends nothing twice: deliveries are unique per change and claimed before sending."""
    delivery.fan_out()
    return delivery.send_due()


@shared_task(name="webhooks.send_due")
def send_due() -> int:
    """Every minute: what a dispatch left (a gap, its time budget) and the retries now due."""
    delivery.fan_out()
    return delivery.send_due()
