"""Text encoding of landed CSV and JSONL files: detect, and re-encode to UTF-8 for DuckDB."""

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


def as_utf8_file(path: Path, fallbacks: tuple[str, ...], scratch: Path) -> tuple[Path, str]:
    """The file itself when it is UTF-8, else a UTF-8 copy in `scratch`; and the encoding found."""
    data = path.read_bytes()
    encoding = detect_encoding(data, fallbacks)
    if encoding in ("utf-8", "utf-8-sig"):
        return path, encoding
    scratch.mkdir(parents=True, exist_ok=True)
    digest = hashlib.sha1(str(path).encode()).hexdigest()[:12]
    copy = scratch / f"{digest}_{path.name}"
    copy.write_text(data.decode(encoding), encoding="utf-8")
    return copy, encoding
