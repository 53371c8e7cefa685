"""Services of a test's own, on free ports, that the test may stop, hang and start again.

The machine's PostgreSQL and Redis are shared by the whole suite and must never be stopped: a
test of a failure starts its own with these. `AppServer` serves the project with gunicorn and
DEBUG off, as in production, against whatever services it is given.

    with RedisServer() as redis, AppServer(REDIS_URL=redis.url(1)) as app:
        redis.pause()           # hung: the process is stopped, its port still accepts
        app.get("/measures/")   # -> (status, headers, body, seconds)
        redis.resume()

A Celery worker can share such an app's database and broker: `Workers(app.env, queue="celery")`
(tests/workers.py).
"""

from __future__ import annotations

import atexit
import contextlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Self

PROJECT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_until(ready, seconds: float = 30, what: str = "service") -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if ready():
            return
        time.sleep(0.1)
    raise TimeoutError(f"{what} not ready after {seconds} s")


def accepts(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return True
    except OSError:
        return False


def children(pid: int) -> set[int]:
    """The processes whose parent is `pid`."""
    found = set()
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue  # ended meanwhile
        if int(fields[1]) == pid:
            found.add(int(stat.parent.name))
    return found


def descendants(pid: int) -> list[int]:
    """`pid`'s children, theirs, and so on, parents before their children."""
    found: list[int] = []
    generation = children(pid)
    while generation:
        found += sorted(generation)
        generation = set().union(*(children(child) for child in generation))
    return found


class Service:
    """A server process in a process group of its own, so pausing it pauses its children."""

    name = "service"
    process: subprocess.Popen | None = None
    # The signal that asks the server to stop.
    stop_signal = signal.SIGTERM

    def __init__(self) -> None:
        self.port = free_port()

    def command(self) -> list[str]:
        raise NotImplementedError

    def ready(self) -> bool:
        return accepts(self.port)

    def start(self) -> Self:
        self.process = subprocess.Popen(
            self.command(),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
            **self.popen_options(),
        )
        wait_until(self.ready, what=self.name)
        return self

    def popen_options(self) -> dict:
        return {}

    def pause(self) -> None:
        """Hang it: every process of the server stops, while the kernel still accepts
        connections on its port (the case a timeout, not a refusal, must handle). Children
        that left the process group (PostgreSQL's backends do) are stopped too, or a kept
        connection would still be answered."""
        assert self.process is not None
        os.killpg(self.process.pid, signal.SIGSTOP)  # first: no new children meanwhile
        for pid in descendants(self.process.pid):
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGSTOP)

    def resume(self) -> None:
        assert self.process is not None
        for pid in descendants(self.process.pid):
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGCONT)
        os.killpg(self.process.pid, signal.SIGCONT)

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.resume()
        os.killpg(self.process.pid, self.stop_signal)
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            for pid in descendants(self.process.pid):
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()


class RedisServer(Service):
    """A Redis of the test's own, keeping nothing on disk."""

    name = "redis"

    def command(self) -> list[str]:
        return [
            "redis-server",
            "--bind",
            "127.0.0.1",
            "--port",
            str(self.port),
            "--save",
            "",
            "--appendonly",
            "no",
        ]

    def url(self, db: int = 0) -> str:
        return f"redis://127.0.0.1:{self.port}/{db}"


def _postgres_bin(name: str) -> str:
    found = shutil.which(name)
    if found:
        return found
    versions = sorted(Path("/usr/lib/postgresql").glob("*/bin"), reverse=True)
    for folder in versions:
        if (folder / name).exists():
            return str(folder / name)
    raise FileNotFoundError(f"{name}: PostgreSQL's server programs are not installed")


class PostgresServer(Service):
    """A PostgreSQL cluster of the test's own in a temporary folder, with trust auth and one
    database, `policytracker`. PostgreSQL refuses to run as root: then it runs as `postgres`."""

    name = "postgresql"
    database = "policytracker"
    # Fast shutdown, as `pg_ctl stop` and service managers do: open sessions are ended. SIGTERM
    # (smart shutdown) would wait for every client to leave, e.g. an app keeping connections.
    stop_signal = signal.SIGINT

    def __init__(self) -> None:
        super().__init__()
        self.folder = Path(tempfile.mkdtemp(prefix="pt-pg-"))
        self.data = self.folder / "data"
        self.as_user = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        if self.as_user:
            shutil.chown(self.folder, "postgres")

    def start(self) -> Self:
        if not self.data.exists():
            subprocess.run(
                [
                    *self.as_user,
                    _postgres_bin("initdb"),
                    *("-D", str(self.data), "-A", "trust", "-U", "postgres", "--no-sync"),
                ],
                check=True,
                capture_output=True,
            )
        super().start()
        subprocess.run(
            [
                _postgres_bin("createdb"),
                *("-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres", self.database),
            ],
            capture_output=True,  # exists already after a restart: fine
        )
        return self

    def command(self) -> list[str]:
        return [
            *self.as_user,
            _postgres_bin("postgres"),
            "-D",
            str(self.data),
            "-p",
            str(self.port),
            "-k",
            str(self.folder),
            "-c",
            "listen_addresses=127.0.0.1",
            "-c",
            "fsync=off",
        ]

    def ready(self) -> bool:
        return (
            subprocess.run(
                [_postgres_bin("pg_isready"), "-q", "-h", "127.0.0.1", "-p", str(self.port)],
                check=False,
            ).returncode
            == 0
        )

    def url(self) -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/{self.database}"

    def remove(self) -> None:
        self.stop()
        shutil.rmtree(self.folder, ignore_errors=True)

    def __exit__(self, *exc) -> None:
        self.remove()


# Made once per test run, when an app server first needs them, and removed when the run ends.
_STATIC_ROOT: Path | None = None
_MIGRATED_SQLITE: Path | None = None


def _app_environment(**env: str) -> dict[str, str]:
    """The test process's environment without the suite's services, in production mode."""
    base = {
        key: value
        for key, value in os.environ.items()
        if key not in {"DATABASE_URL", "REDIS_URL", "CELERY_BROKER_URL"}
    }
    return {**base, **production_env(), **env}


def _temporary_folder(prefix: str) -> Path:
    folder = Path(tempfile.mkdtemp(prefix=prefix))
    atexit.register(shutil.rmtree, folder, ignore_errors=True)
    return folder


def _manage_side_by_side(*commands: tuple[list[str], dict[str, str]]) -> None:
    """`manage.py` commands, (arguments, environment) each, run at the same time."""
    jobs = [
        subprocess.Popen(
            [sys.executable, "manage.py", *args],
            cwd=PROJECT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        for args, env in commands
    ]
    failed = []
    for job in jobs:
        output = job.communicate()[0]
        if job.returncode != 0:
            failed.append(f"manage.py {' '.join(job.args[2:])} failed:\n{output}")
    if failed:
        raise RuntimeError("\n".join(failed))


def prepare(sqlite: bool = False, migrate: dict[str, str] | None = None) -> None:
    """What an app server needs before it starts, run side by side: the static files collected
    (DEBUG off serves the hashed files of the manifest) and, if `sqlite`, a SQLite database
    migrated to copy, both once per test run; and `migrate`, an environment whose database is
    migrated now."""
    global _STATIC_ROOT, _MIGRATED_SQLITE
    commands = []
    static = migrated = None
    if _STATIC_ROOT is None:
        static = _temporary_folder("pt-static-")
        commands.append(
            (
                ["collectstatic", "--no-input", "-v", "0"],
                _app_environment(STATIC_ROOT=str(static)),
            )
        )
    if sqlite and _MIGRATED_SQLITE is None:
        migrated = _temporary_folder("pt-migrated-") / "db.sqlite3"
        commands.append(
            (
                ["migrate", "--no-input", "-v", "0"],
                _app_environment(DATABASE_URL=f"sqlite:///{migrated}"),
            )
        )
    if migrate is not None:
        commands.append((["migrate", "--no-input", "-v", "0"], migrate))
    _manage_side_by_side(*commands)
    _STATIC_ROOT = static or _STATIC_ROOT
    _MIGRATED_SQLITE = migrated or _MIGRATED_SQLITE


def collected_static() -> Path:
    """The static files, collected once per test run."""
    prepare()
    assert _STATIC_ROOT is not None
    return _STATIC_ROOT


def migrated_sqlite() -> Path:
    """A SQLite database migrated once per test run, to be copied, never used itself."""
    prepare(sqlite=True)
    assert _MIGRATED_SQLITE is not None
    return _MIGRATED_SQLITE


def production_env() -> dict[str, str]:
    return {
        "DEBUG": "0",
        "SECRET_KEY": "tests-only-" + "k3y" * 20,
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "SECURE_SSL_REDIRECT": "0",
        "SECURE_HSTS_SECONDS": "0",
    }


class AppServer(Service):
    """The project served by gunicorn with DEBUG off. `env` overrides the environment: give it
    DATABASE_URL (else a SQLite file of its own, a copy of one migrated once per test run),
    REDIS_URL, CELERY_BROKER_URL as the test needs; unset ones are removed, so the suite's own
    services are never used by accident. A DATABASE_URL given is migrated unless `migrate` is
    false."""

    name = "gunicorn"

    def __init__(self, migrate: bool = True, **env: str) -> None:
        super().__init__()
        self.folder = Path(tempfile.mkdtemp(prefix="pt-app-"))
        self.own_sqlite = "DATABASE_URL" not in env
        self.env = _app_environment(
            **{"DATABASE_URL": f"sqlite:///{self.folder / 'db.sqlite3'}", **env}
        )
        self.migrate = migrate

    def manage(self, *args: str) -> subprocess.CompletedProcess:
        return subprocess.run(
            [sys.executable, "manage.py", *args],
            cwd=PROJECT,
            env=self.env,
            check=True,
            capture_output=True,
            text=True,
        )

    def start(self) -> Self:
        database = self.folder / "db.sqlite3"
        copy = self.migrate and self.own_sqlite and not database.exists()  # a restart keeps it
        prepare(sqlite=copy, migrate=self.env if self.migrate and not self.own_sqlite else None)
        self.env["STATIC_ROOT"] = str(collected_static())
        if copy:
            shutil.copyfile(migrated_sqlite(), database)
        return super().start()

    def popen_options(self) -> dict:
        return {"cwd": PROJECT, "env": self.env}

    def command(self) -> list[str]:
        return [
            sys.executable,
            "-m",
            "gunicorn",
            "policytracker.wsgi",
            "--bind",
            f"127.0.0.1:{self.port}",
            "--workers",
            "1",
            "--threads",
            "4",
            "--timeout",
            "30",
        ]

    def workers(self) -> set[int]:
        """The process ids of gunicorn's workers: a test that sees the same ones before and
        after a fault knows the app came back without a restart (a worker killed by gunicorn's
        timeout is replaced by a new process)."""
        assert self.process is not None
        return children(self.process.pid)

    def get(
        self, path: str, headers: dict[str, str] | None = None, timeout: float = 30
    ) -> tuple[int, dict[str, str], str, float]:
        """(status, headers, body, seconds taken) of a GET; an error status is an answer too."""
        return self.send("GET", path, headers=headers, timeout=timeout)

    def post(
        self, path: str, body: dict, headers: dict[str, str] | None = None, timeout: float = 30
    ) -> tuple[int, dict[str, str], str, float]:
        """(status, headers, body, seconds taken) of a POST of `body` as JSON."""
        headers = {"Content-Type": "application/json", **(headers or {})}
        return self.send("POST", path, json.dumps(body).encode(), headers, timeout)

    def send(
        self,
        method: str,
        path: str,
        body: bytes | None = None,
        headers: dict[str, str] | None = None,
        timeout: float = 30,
    ) -> tuple[int, dict[str, str], str, float]:
        """(status, headers, body, seconds taken) of any request."""
        address = f"http://127.0.0.1:{self.port}{path}"
        request = urllib.request.Request(address, data=body, headers=headers or {}, method=method)
        started = time.monotonic()
        try:
            with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310
                status, head, body = response.status, dict(response.headers), response.read()
        except urllib.error.HTTPError as error:
            status, head, body = error.code, dict(error.headers), error.read()
        return status, head, body.decode("utf-8", "replace"), time.monotonic() - started

    def __exit__(self, *exc) -> None:
        self.stop()
        shutil.rmtree(self.folder, ignore_errors=True)


def manage(*args: str, **env: str) -> subprocess.CompletedProcess:
    ignored = {"DEBUG", "SECRET_KEY", "DJANGO_ALLOW_ASYNC_UNSAFE"}
    clean = {k: v for k, v in os.environ.items() if k not in ignored}
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        env={**clean, **env},
        cwd=PROJECT,
        capture_output=True,
        text=True,
        timeout=60,
    )
