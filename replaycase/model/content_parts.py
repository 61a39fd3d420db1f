"""Non-text parts of a message content (images, audio, files) named, never their bytes.

One place for every importer and for the model tape's key (``model.chat``):

- OpenAI Chat ``image_url {url}`` (a ``data:`` URL or a link), ``input_audio {data, format}``
  and ``file {file_data, filename, file_id}``;
- Anthropic ``image`` / ``document`` with a ``source`` (``base64`` with ``media_type`` and
  ``data``, or ``url``);
- OpenAI Responses ``input_image {image_url | file_id}``, ``input_file``, ``input_audio``;
- LangChain's standard blocks (``image`` / ``audio`` / ``file`` with ``base64`` or ``data``
  and ``mime_type``, or ``url``) and GenAI's ``blob`` / ``uri`` parts (``modality``).

:func:`part_label` names such a part ``[image: image/png, 34 KB]`` (a link or a file id in
place of the size when there are no bytes); with ``digest=True`` a stable digest of what was
sent follows (``, sha256:…`` of the base64 text or the link), which is what the tape keys by:
two requests that sent other images differ, the same image matches.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
from typing import Any

_KINDS = {"image_url": "image", "input_image": "image", "image": "image",
          "input_audio": "audio", "audio": "audio", "file": "file", "input_file": "file",
          "document": "document"}
_TEXT = ("text", "input_text", "output_text")
_DATA_URL = re.compile(r"^data:([^;,]*)(?:;[^,]*)?,", re.IGNORECASE)


def is_media_part(block: Any) -> bool:
    """The block is a non-text part this module names."""
    if not isinstance(block, dict):
        return False
    kind = block.get("type")
    if not isinstance(kind, str):  # any JSON value may stand here
        return False
    return kind in _KINDS or (kind in ("blob", "uri") and "modality" in block)


def part_label(block: dict[str, Any], digest: bool = False) -> str:
    """``[image: image/png, 34 KB]`` for a non-text part (see the module doc)."""
    kind = block.get("type")
    name = str(block.get("modality") or "") if kind in ("blob", "uri") else _KINDS.get(
        str(kind), str(kind))
    mime, data, link = _payload(block)
    if data is not None and mime is None:
        mime = _sniff(data)
    details = [mime] if mime else []
    if data is not None:
        details.append(_size(data))
    elif link is not None:
        details.append(link if not link.startswith("data:") else "data URL")
    if digest:
        sent = data if data is not None else (link or "")
        details.append("sha256:" + hashlib.sha256(sent.encode()).hexdigest()[:16])
    return f"[{name or 'file'}: {', '.join(details)}]" if details else f"[{name or 'file'}]"


def parts_text(blocks: list[Any], digest: bool = False,
               text_types: tuple[str, ...] = _TEXT) -> str:
    """The text of a list of parts: text parts (of ``text_types``) joined as they are, each
    non-text part named on its own line (other parts left out)."""
    pieces: list[str] = []
    last_text = False
    for block in blocks:
        if isinstance(block, dict) and block.get("type") in text_types and isinstance(
                block.get("text"), str):
            if last_text:
                pieces[-1] += block["text"]
            else:
                pieces.append(block["text"])
            last_text = True
        elif is_media_part(block):
            pieces.append(part_label(block, digest))
            last_text = False
    return "\n".join(pieces)


def readable_content(content: Any) -> Any:
    """A content as a run's input or a message shows it: a list of text and non-text parts
    as one text (:func:`parts_text`); any other value with each non-text part it holds
    replaced by its name, at any depth."""
    if isinstance(content, list) and content and any(map(is_media_part, content)) and all(
            is_media_part(b) or (isinstance(b, dict) and b.get("type") in _TEXT
                                 and isinstance(b.get("text"), str)) for b in content):
        return parts_text(content)
    return _named(content)


def _named(value: Any) -> Any:
    if isinstance(value, dict):
        if is_media_part(value):
            return part_label(value)
        return {k: readable_content(v) for k, v in value.items()}
    if isinstance(value, list):
        return [readable_content(v) for v in value]
    return value


def _payload(block: dict[str, Any]) -> tuple[str | None, str | None, str | None]:
    """(media type, base64 data, link or file id) of a part, each None when absent."""
    kind = block.get("type")
    inner = block.get(kind) if isinstance(kind, str) and isinstance(block.get(kind), dict) \
        else None
    source = block.get("source") if isinstance(block.get("source"), dict) else None
    holder = source or inner or block
    mime = _first(holder, "media_type", "mime_type") or _first(block, "mime_type",
                                                               "media_type")
    if isinstance(holder.get("format"), str) and mime is None:
        mime = f"{_name_of(kind)}/{holder['format']}"
    data = _first(holder, "data", "base64", "file_data", "content")
    link = _first(holder, "url", "image_url", "uri", "file_id", "filename") or _first(
        block, "image_url", "url", "file_id", "filename")
    for text in (data, link):
        match = _DATA_URL.match(text or "")
        if match:
            mime = mime or match.group(1) or None
            data = (text or "")[match.end():]
            link = None
    return mime, data, link


def _name_of(kind: Any) -> str:
    return _KINDS.get(str(kind), "file")


def _first(obj: dict[str, Any], *keys: str) -> str | None:
    return next((v for k in keys if isinstance(v := obj.get(k), str) and v), None)


_MAGIC = ((b"\x89PNG", "image/png"), (b"\xff\xd8\xff", "image/jpeg"), (b"GIF8", "image/gif"),
          (b"%PDF", "application/pdf"), (b"RIFF", "audio/wav"))


def _sniff(data: str) -> str | None:
    try:
        head = base64.b64decode(data[:16] + "=" * (-len(data[:16]) % 4))
    except (binascii.Error, ValueError):
        return None
    return next((mime for magic, mime in _MAGIC if head.startswith(magic)), None)


def _size(data: str) -> str:
    """The decoded size of base64 text: ``512 B``, ``34 KB``, ``1.2 MB``."""
    text = data.strip()
    count = len(text) * 3 // 4 - (len(text) - len(text.rstrip("=")))
    if count < 1024:
        return f"{count} B"
    if count < 1024 * 1024:
        return f"{round(count / 1024)} KB"
    return f"{count / (1024 * 1024):.1f} MB"
