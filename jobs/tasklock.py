"""One run at a time: a Celery task holds PostgreSQL advisory locks while it runs.

A worker killed whole (SIGKILL, out of memory, a lost machine) never acknowledges its task, so
the broker hands the task to another worker once the visibility timeout has passed; and a task
that runs longer than that timeout is handed out again while it still runs. Either way a second
copy may start. Each task therefore names the work it must not share (`Claim`s, from its
arguments), and `one_at_a_time` takes those locks before the task body runs:

- The locks are *session-level* advisory locks on the worker's own database connection. When
  the worker dies, its connection drops and PostgreSQL releases them at once (a lost machine:
  within the keepalive time set below), so the copy that comes back is never locked out.
- A copy that finds a lock taken does not run and is not lost: it is sent again to the same
  queue to run in RETRY_SECONDS, and so on until the first run ends (then it runs once more,
  which is harmless: every task is idempotent).
- A claim is exclusive or shared, as PostgreSQL's own advisory locks are: an exclusive one
  excludes every other holder of its key, shared ones exclude only an exclusive one.
- Inline (no broker: `make run`, the SQLite test run) and on a database other than PostgreSQL
  there are no locks: an inline task runs in the request that asked for it, exactly once, and is
  never delivered a second time; concurrent requests stay exact through the constraints and row
  locks the tasks already rely on.

Advisory locks live in the server's shared memory, not in any table: no migration, no rows.
"""

from __future__ import annotations

import functools
import hashlib
import inspect
import json
import logging
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Protocol

from celery import current_task
from celery.exceptions import Retry
from django.conf import settings
from django.db import connection

logger = logging.getLogger(__name__)

# A copy that found its work running looks again this much later (a retry's wait, which the
# visibility timeout must outlast: see settings.py).
RETRY_SECONDS = min(5, settings.TASK_RETRY_DELAY_MAX)
# TCP keepalive of the worker's database session, set on the server side while a task holds a
# lock: a worker's machine that vanishes (no FIN, no RST) lets go of its locks after about
# idle + interval × count seconds instead of the kernel's two hours.
KEEPALIVE = {"tcp_keepalives_idle": 30, "tcp_keepalives_interval": 10, "tcp_keepalives_count": 3}


@dataclass(frozen=True)
class Claim:
    """A piece of work a task run holds: `key` names it; `shared` ones may overlap each other."""

    key: str
    shared: bool = False

    @property
    def lock_id(self) -> int:
        """PostgreSQL's advisory lock id: a signed 64-bit hash of the key (a collision would
        only make two unrelated tasks take turns)."""
        digest = hashlib.blake2b(self.key.encode(), digest_size=8).digest()
        return int.from_bytes(digest, "big", signed=True)


def exclusive(key: str) -> Claim:
    return Claim(key)


def shared(key: str) -> Claim:
    return Claim(key, shared=True)


class Cursor(Protocol):
    connection: Any  # the DB-API connection

    def execute(self, sql: str, params: Any = ...) -> Any: ...
    def fetchone(self) -> Any: ...


def try_lock(cursor: Cursor, claims: Iterable[Claim]) -> bool:
    """Take every claim's lock, or none: False (holding nothing) if any is taken elsewhere.
    Never waits, so two tasks taking locks in different orders cannot deadlock."""
    taken: list[Claim] = []
    for claim in claims:
        function = "pg_try_advisory_lock_shared" if claim.shared else "pg_try_advisory_lock"
        cursor.execute(f"SELECT {function}(%s)", [claim.lock_id])
        if not cursor.fetchone()[0]:
            unlock(cursor, taken)
            return False
        taken.append(claim)
    return True


def unlock(cursor: Cursor, claims: Iterable[Claim]) -> None:
    for claim in claims:
        function = "pg_advisory_unlock_shared" if claim.shared else "pg_advisory_unlock"
        cursor.execute(f"SELECT {function}(%s)", [claim.lock_id])


@contextmanager
def held(cursor: Cursor, claims: list[Claim]) -> Iterator[bool]:
    """Yields whether the claims were taken; releases them after the block if so."""
    assignments = ", ".join("set_config(%s, %s, false)" for _ in KEEPALIVE)
    values = [str(part) for item in KEEPALIVE.items() for part in item]
    cursor.execute(f"SELECT {assignments}", values)
    taken = try_lock(cursor, claims)
    try:
        yield taken
    finally:
        if taken:
            try:
                unlock(cursor, claims)
            except Exception as error:
                # Locks left on a session kept open would hold the work back for good: end
                # the session (the server then lets go of its locks; Django reconnects).
                logger.warning("could not release %s (%s): closing the session", claims, error)
                cursor.connection.close()


def default_claims(task_name: str, *args: Any, **kwargs: Any) -> list[Claim]:
    """The same task with the same arguments: one run at a time."""
    return [exclusive(f"{task_name}:{json.dumps([args, kwargs], sort_keys=True, default=str)}")]


Claims = Callable[..., Iterable[Claim]]


def one_at_a_time(claims: Claims | None = None) -> Callable[[Callable], Callable]:
    """Run the task only while holding its claims (`claims(*args, **kwargs)`; by default the
    task's name and arguments); see the module docstring. Goes under `@shared_task`."""

    def decorate(function: Callable) -> Callable:
        @functools.wraps(function)
        def run(*args: Any, **kwargs: Any) -> Any:
            task = current_task
            if task is None or task.request.is_eager or connection.vendor != "postgresql":
                return function(*args, **kwargs)
            wanted = list(
                claims(*args, **kwargs) if claims else default_claims(task.name, *args, **kwargs)
            )
            with connection.cursor() as cursor, held(cursor, wanted) as taken:
                if taken:
                    return function(*args, **kwargs)
            raise again_later(task, wanted)

        # Celery checks a call's arguments against the task's signature: keep the function's.
        run.__signature__ = inspect.signature(function)  # type: ignore[attr-defined]
        return run

    return decorate


def again_later(task: Any, claims: list[Claim]) -> Retry:
    """Send this delivery again, to the same queue, in RETRY_SECONDS, with its retry count
    unchanged (waiting is not a failure: `max_retries` counts failures only); the Retry raised
    then acknowledges this delivery."""
    logger.warning(
        "%s[%s] is already running elsewhere (%s): trying again in %d s",
        task.name,
        task.request.id,
        ", ".join(claim.key for claim in claims),
        RETRY_SECONDS,
    )
    copy = task.signature_from_request(countdown=RETRY_SECONDS)
    copy.apply_async()
    return Retry("already running elsewhere", when=RETRY_SECONDS, sig=copy)
