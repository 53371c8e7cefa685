"""From the bytes of an uploaded file to text, or a message saying why not.

Strict decodes are tried in order — UTF-8 (with or without a byte-order mark), then GB18030,
which contains GBK and GB2312 — and the first that succeeds wins. A file with NUL bytes or many
control characters is binary; one that no decode accepts is in an encoding we do not read, and
the message names the first byte that failed and its line.
"""

from __future__ import annotations

import codecs
import re
from dataclasses import dataclass


class ImportInputError(ValueError):
    """The file cannot be read as a document; the message says why and where."""


@dataclass(frozen=True)
class Decoded:
    text: str
    encoding: str
    is_html: bool


_HTML = re.compile(rb"<\s*(!doctype\s+html|html|body|head|div|p|table|meta)\b", re.IGNORECASE)
# C0 controls other than tab, newline, carriage return and form feed.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0e-\x1f\x7f]")


def decode(data: bytes, *, max_bytes: int) -> Decoded:
    if len(data) > max_bytes:
        raise ImportInputError(
            f"the file is {len(data):,} bytes; the limit is {max_bytes:,} (IMPORT_MAX_BYTES)"
        )
    if not data.strip():
        raise ImportInputError("the file is empty")
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return _checked(data.decode("utf-16"), "utf-16", data)
    nul = data.find(b"\x00")
    if nul >= 0:
        raise ImportInputError(f"the file is binary (a NUL byte at offset {nul}), not a text")
    if data.startswith(codecs.BOM_UTF8):
        return _checked(_strict(data[3:], "utf-8"), "utf-8-sig", data)
    failures = []
    for encoding in ("utf-8", "gb18030"):
        try:
            return _checked(data.decode(encoding), encoding, data)
        except UnicodeDecodeError as error:
            failures.append((encoding, error))
    encoding, error = failures[0]
    if error.end == len(data) and error.reason == "unexpected end of data":
        raise ImportInputError("the file is truncated: it ends in the middle of a UTF-8 character")
    line = data.count(b"\n", 0, error.start) + 1
    raise ImportInputError(
        f"unknown encoding: neither UTF-8 (byte 0x{data[error.start]:02x} at offset "
        f"{error.start}, line {line}) nor GB18030/GBK "
        f"(offset {failures[1][1].start}); save the file as UTF-8"
    )


def _strict(data: bytes, encoding: str) -> str:
    try:
        return data.decode(encoding)
    except UnicodeDecodeError as error:
        line = data.count(b"\n", 0, error.start) + 1
        raise ImportInputError(
            f"the file starts with a UTF-8 byte-order mark but is not UTF-8 "
            f"(offset {error.start + 3}, line {line})"
        ) from error


def _checked(text: str, encoding: str, data: bytes) -> Decoded:
    controls = len(_CONTROL.findall(text))
    # A stray control character happens in saved pages; many mean the bytes are not a text.
    if controls > max(8, len(text) // 200):
        raise ImportInputError(
            f"the file looks binary: {controls} control characters after decoding as {encoding}"
        )
    text = _CONTROL.sub("", text).replace("\r\n", "\n").replace("\r", "\n")
    return Decoded(text=text, encoding=encoding, is_html=bool(_HTML.search(data[:4096])))
