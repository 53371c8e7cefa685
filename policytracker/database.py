"""What the web process does about its database: knowing an outage when it meets one, and
bounding the time a connection and a statement may take."""

from __future__ import annotations

from django.db import InterfaceError, OperationalError

# Errors that say the database cannot be reached or cannot answer now (refused, timed out,
# closed under us, a statement cancelled by its timeout): the request may succeed later, so it
# is answered 503. Other database errors (a constraint, bad SQL) are the application's, a 500.
UNAVAILABLE = (OperationalError, InterfaceError)


def is_unavailable(error: BaseException | None) -> bool:
    """Whether `error`, or an error it was raised from or while handling, is an outage: code
    meeting a dead connection may fail in its own way (a template, a lazy object)."""
    seen: set[int] = set()
    while error is not None and id(error) not in seen:
        if isinstance(error, UNAVAILABLE):
            return True
        seen.add(id(error))
        error = error.__cause__ or error.__context__
    return False


def with_server_setting(options: str, name: str, value: str) -> str:
    """libpq's `options` (server settings sent with each new connection) with `-c name=value`
    added after those already there (PostgreSQL applies them in order: the last one wins)."""
    return f"{options} -c {name}={value}".strip()


def bound_statements(database: dict, seconds: int) -> None:
    """Have PostgreSQL cancel any statement of `database`'s new connections after `seconds`
    (0: no limit). Settings are sent with the connection, so this costs no round trip."""
    if seconds <= 0 or not database["ENGINE"].endswith("postgresql"):
        return
    options = database.setdefault("OPTIONS", {})
    options["options"] = with_server_setting(
        options.get("options", ""), "statement_timeout", f"{seconds}s"
    )
