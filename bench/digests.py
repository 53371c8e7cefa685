"""The morning's digest run at scale: `python -m bench.jobs digests_10000 [SUBSCRIPTIONS]`.

Builds confirmed subscriptions (a mix of searches, firm profiles, documents, measures and
targets, drawn from the corpus so that many share an interest, as readers do) and a day of
changes (goals moved on measures across the corpus), then times `alerts.delivery.send_due` with
Django's in-memory mail backend, so the figure is the run's own work, not a mail server's.
"""

from __future__ import annotations

import datetime
import random
import time

SUBSCRIPTIONS = 10_000
CHANGED_TARGETS = 2_000
SEARCH_WORDS = ("罕见病", "医保", "临床试验", "审评", "创新药", "数据", "商保", "器械")
PROFILES = (
    {"entity_type": ["innovative_drug_firm"], "location": ["beijing"], "stage": ["clinical_trial"]},
    {"entity_type": ["innovative_drug_firm"], "location": ["china_other"], "stage": ["approved"]},
    {"entity_type": ["device_firm"], "location": ["beijing"], "stage": ["approved"]},
    {"entity_type": ["hospital"], "location": ["beijing"]},
    {"entity_type": ["foreign_mah"], "location": ["abroad"], "stage": ["approved"]},
)


def digests(subscriptions: int = SUBSCRIPTIONS, changed_targets: int = CHANGED_TARGETS) -> dict:
    """Time one run; the subscriptions made for it are removed afterwards."""
    from django.conf import settings
    from django.core import mail
    from django.db import connection
    from django.utils import timezone

    from alerts.delivery import send_due
    from alerts.models import Digest, Subscription, period_end
    from measures.changelog import recording, values_of
    from measures.models import Change, Document, Measure, Target

    rng = random.Random(20)  # noqa: S311 (reproducible data, no secret)
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    mail.outbox = []
    Subscription.objects.filter(email__endswith="@bench.example").delete()
    Change.objects.filter(process="bench").delete()  # a run left by one that failed

    now = timezone.now()
    # Whatever the time of day, every subscription is due (sent up to a day before the weekly
    # period's end, which is never after the daily one's) and the day's changes are in its
    # period (an hour before the weekly period's end).
    weekly_end = period_end("weekly", now - settings.DIGEST_SETTLE)
    sent_through = weekly_end - datetime.timedelta(days=1)
    changed_at = weekly_end - datetime.timedelta(hours=1)
    slugs = list(Document.objects.values_list("slug", flat=True)[:200])
    measures = list(Measure.objects.select_related("document").order_by("?")[:500])
    target_ids = list(Target.objects.order_by("?").values_list("pk", flat=True)[:1000])

    def criteria(kind: str) -> object:
        if kind == "search":
            return {"q": [rng.choice(SEARCH_WORDS)]}
        if kind == "profile":
            return rng.choice(PROFILES)
        if kind == "document":
            return rng.choice(slugs)
        if kind == "measure":
            return rng.choice(measures).public_id
        return rng.choice(target_ids)

    kinds = ["search"] * 3 + ["profile"] * 2 + ["document"] * 2 + ["measure"] * 2 + ["target"]
    rows = []
    for n in range(subscriptions):
        kind = rng.choice(kinds)
        rows.append(
            Subscription(
                email=f"reader{n}@bench.example",
                kind=kind,
                criteria=criteria(kind),
                language=rng.choice(["zh-hans", "en"]),
                frequency="daily" if n % 7 else "weekly",
                confirmed_at=sent_through,
                last_sent_through=sent_through,
            )
        )
    Subscription.objects.bulk_create(rows, batch_size=2000)

    # A day of changes: goals moved, written as a bulk writer does.
    changed = list(Target.objects.order_by("?")[:changed_targets])
    with recording(process="bench", bulk=True) as log:
        for target in changed:
            old = values_of(target)
            target.goal_value += 1
            log.changed(target, old)
        Target.objects.bulk_update(changed, ["goal_value"], batch_size=2000)
    Change.objects.filter(process="bench").update(at=changed_at)

    started = time.monotonic()
    queries = 0

    def count(execute, sql, params, many, context):  # every statement, however many
        nonlocal queries
        queries += 1
        return execute(sql, params, many, context)

    with connection.execute_wrapper(count):
        outcome = send_due(now)
    seconds = time.monotonic() - started
    sent = len(mail.outbox)
    result = {
        "seconds": round(seconds, 2),
        "subscriptions": subscriptions,
        "changes": Change.objects.filter(process="bench").count(),
        "sent": outcome.sent,
        "empty": outcome.empty,
        "interests": outcome.interests,
        "messages": sent,
        "queries": queries,
        "digests_recorded": Digest.objects.filter(subscription__email__endswith="@bench.example")
        .filter(status="sent")
        .count(),
    }
    Subscription.objects.filter(email__endswith="@bench.example").delete()
    Change.objects.filter(process="bench").delete()
    return result
