"""Files on the server that an indicator source may read: only regular files inside the folders
configured in `INGEST_PATH_ROOTS`, and only up to a size cap.

A source is set up in the admin, and what it reads can come back into the admin (its runs'
problems); without these limits a source could read any file the server can (`/etc/…`, the
database's files, `/dev/zero` until memory ran out).
"""

from __future__ import annotations

import os
import stat
from collections.abc import Sequence
from pathlib import Path

from django.utils.translation import gettext as _


class PathRefused(ValueError):
    """The path names no file a source may read; the message says why, to an editor."""


class NotARegularFile(OSError):
    """A device, pipe, socket or folder: reading it could block, or never end."""


class TooLarge(OSError):
    """The file holds more bytes than the cap."""


def allowed_path(location: str, roots: Sequence[Path]) -> Path:
    """The file `location` names, symbolic links followed, if it lies inside one of `roots`."""
    if not roots:
        raise PathRefused(
            _("No folder on the server is open to indicator sources; give an http(s) URL.")
        )
    folders = ", ".join(str(root) for root in roots)
    if any(ord(character) < 32 or ord(character) == 127 for character in location):
        raise PathRefused(_("The path holds a control character."))
    path = Path(location)
    if not path.is_absolute():
        raise PathRefused(
            _("Give an http(s) URL or the full path of a file in: %(folders)s")
            % {"folders": folders}
        )
    # resolve() follows links and removes "..", so neither can lead out of a root.
    resolved = path.resolve()
    if not any(resolved.is_relative_to(Path(root).resolve()) for root in roots):
        raise PathRefused(_("Sources may only read files in: %(folders)s") % {"folders": folders})
    return resolved


def read_capped(path: Path, limit: int) -> bytes:
    """The bytes of a regular file of at most `limit` bytes; never more than limit + 1 read."""
    # O_NONBLOCK: opening a pipe with no writer would otherwise wait for ever.
    descriptor = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_NOCTTY", 0))
    if not stat.S_ISREG(os.fstat(descriptor).st_mode):
        os.close(descriptor)
        raise NotARegularFile(f"{path} is not a regular file")
    with os.fdopen(descriptor, "rb") as handle:
        content = handle.read(limit + 1)
    if len(content) > limit:
        raise TooLarge(f"the file is larger than {limit // 1024 // 1024} MB")
    return content
