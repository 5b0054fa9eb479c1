"""Text of landed CSV and JSONL files: detect the encoding, and hand DuckDB UTF-8 with one kind of
line ending."""

from __future__ import annotations

import hashlib
from pathlib import Path

UTF8_BOM = b"\xef\xbb\xbf"


class UnknownEncodingError(ValueError):
    pass


def detect_encoding(data: bytes, fallbacks: tuple[str, ...]) -> str:
    """UTF-8 (BOM or not) first; then the source's declared fallbacks, in order."""
    candidates = ("utf-8-sig",) if data.startswith(UTF8_BOM) else ("utf-8", *fallbacks)
    for encoding in candidates:
        try:
            data.decode(encoding)
        except UnicodeDecodeError:
            continue
        return encoding
    tried = ", ".join(candidates)
    raise UnknownEncodingError(f"not decodable as any of: {tried}")


def has_mixed_line_endings(data: bytes) -> bool:
    """Both `\\r\\n` and a bare `\\n` end lines: rows appended to a Windows export. DuckDB's strict
    CSV parser refuses the whole file. (`\\r` and `\\n` are never part of a multi-byte UTF-8 or
    GB18030 character, so the bytes tell.)"""
    return b"\r\n" in data and data.count(b"\n") != data.count(b"\r\n")


def as_parseable_text(path: Path, fallbacks: tuple[str, ...], scratch: Path) -> tuple[Path, str]:
    """The file itself when it is UTF-8 with one kind of line ending; else a UTF-8 copy in
    `scratch` with `\\n` line endings (also inside quoted values). And the encoding found."""
    data = path.read_bytes()
    encoding = detect_encoding(data, fallbacks)
    mixed = has_mixed_line_endings(data)
    if encoding in ("utf-8", "utf-8-sig") and not mixed:
        return path, encoding
    text = data.decode(encoding)
    if mixed:
        text = text.replace("\r\n", "\n")
    scratch.mkdir(parents=True, exist_ok=True)
    digest = hashlib.sha1(str(path).encode()).hexdigest()[:12]
    copy = scratch / f"{digest}_{path.name}"
    copy.write_text(text, encoding="utf-8")
    return copy, encoding
