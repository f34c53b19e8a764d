"""Pure rules for collaboration: message types, @mentions, document limits and records.

Like `domain`, nothing here touches the database, Textual or litellm, so the store, the
CLI, the scheduler's agent tools and the TUI composer all apply the same rules.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from maos_tui.domain import DomainError, iso_z, parse_enum

DOCUMENT_MAX_BYTES = 5 * 1024 * 1024
DOC_ID_PREFIX = "DOC-"
# The status reason of a task parked on an agent's question to the human (the card badge).
NEEDS_HUMAN = "needs human: answer the question in the task's thread"
# The start of the status reason of a task whose run was stopped for looping (the evidence
# follows); it waits the same way, on a question in its thread.
LOOPING = "needs human: the agent was looping"


class MessageType(StrEnum):
    COMMENT = "comment"
    STATUS_UPDATE = "status_update"
    QUESTION = "question"
    ANSWER = "answer"


class DocumentType(StrEnum):
    DELIVERABLE = "deliverable"
    RESEARCH = "research"
    PROTOCOL = "protocol"


def parse_message_type(text: str) -> MessageType:
    return parse_enum(MessageType, text, "message type")


def parse_document_type(text: str) -> DocumentType:
    return parse_enum(DocumentType, text, "document type")


def validate_message_text(text: str) -> str:
    if not text.strip():
        raise DomainError("message is empty")
    return text.strip("\n")


def parse_doc_id(text: str | int) -> int:
    """Accept `3`, `DOC-3` and `doc-003` for document 3."""
    raw = str(text).strip()
    if raw.upper().startswith(DOC_ID_PREFIX):
        raw = raw[len(DOC_ID_PREFIX) :]
    if not raw.isdigit() or int(raw) < 1:
        raise DomainError(f"invalid document ID {text!r} (expected e.g. DOC-1 or 1)")
    return int(raw)


def format_doc_id(doc_id: int) -> str:
    return f"{DOC_ID_PREFIX}{doc_id}"


def validate_document_content(content: str) -> str:
    check_document_size(len(content.encode("utf-8")), "document")
    return content


def check_document_size(size: int, what: str) -> None:
    if size > DOCUMENT_MAX_BYTES:
        limit = DOCUMENT_MAX_BYTES // 1024 // 1024
        raise DomainError(
            f"{what} is {size / 1024 / 1024:.1f} MB (documents are at most {limit} MB)"
        )


def decode_document(data: bytes, source: str) -> str:
    """File bytes to document text: UTF-8 only, size checked before decoding."""
    check_document_size(len(data), source)
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise DomainError(f"{source} is not UTF-8 text (byte {exc.start})") from None


# `@name` preceded by start, whitespace or opening punctuation: `me@host.com` is no mention.
_MENTION = re.compile(r"(?<![\w@/.])@([A-Za-z0-9][A-Za-z0-9:_.-]{0,63})")
# Mentions inside code are examples, not calls for attention.
_CODE = re.compile(r"```.*?(?:```|\Z)|`[^`\n]*`", re.DOTALL)


def find_mentions(text: str) -> list[str]:
    """Names mentioned in `text`, in order, without duplicates or trailing punctuation."""
    names: dict[str, None] = {}
    for match in _MENTION.finditer(_CODE.sub(" ", text)):
        names[match.group(1).rstrip(".:-")] = None
    return list(names)


@dataclass(frozen=True, slots=True)
class Mentions:
    """How the names in a text resolved: agents and the human get notified, the rest is text."""

    agents: tuple[str, ...] = ()
    human: bool = False
    unknown: tuple[str, ...] = ()

    @property
    def warnings(self) -> list[str]:
        return [f"@{name} is not an agent or the user; kept as plain text" for name in self.unknown]


@dataclass(frozen=True, slots=True)
class MessageRecord:
    id: int
    task_id: str
    author: str
    text: str
    type: MessageType
    reply_to: int | None
    created_at: datetime
    mentions: Mentions = Mentions()

    def to_json(self) -> dict[str, object]:
        return {
            "id": self.id,
            "task_id": self.task_id,
            "author": self.author,
            "type": self.type.value,
            "text": self.text,
            "reply_to": self.reply_to,
            "created_at": iso_z(self.created_at),
        }


@dataclass(frozen=True, slots=True)
class DocumentRecord:
    """A document at one version; `content` is None in listings."""

    id: int
    task_id: str
    title: str
    doc_type: DocumentType
    created_by: str
    created_at: datetime
    updated_at: datetime
    version: int
    latest: int
    author: str
    content: str | None = None

    @property
    def ref(self) -> str:
        return format_doc_id(self.id)

    def to_json(self) -> dict[str, object]:
        data: dict[str, object] = {
            "id": self.id,
            "ref": self.ref,
            "task_id": self.task_id,
            "title": self.title,
            "doc_type": self.doc_type.value,
            "version": self.version,
            "latest": self.latest,
            "author": self.author,
            "created_by": self.created_by,
            "created_at": iso_z(self.created_at),
            "updated_at": iso_z(self.updated_at),
        }
        if self.content is not None:
            data["content"] = self.content
        return data


@dataclass(frozen=True, slots=True)
class VersionRecord:
    document_id: int
    version: int
    author: str
    created_at: datetime
    size: int

    def to_json(self) -> dict[str, object]:
        return {
            "document_id": self.document_id,
            "version": self.version,
            "author": self.author,
            "created_at": iso_z(self.created_at),
            "size": self.size,
        }


@dataclass(frozen=True, slots=True)
class NotificationRecord:
    id: int
    recipient: str
    task_id: str | None
    message_id: int | None
    text: str
    created_at: datetime
    delivered_at: datetime | None
    read_at: datetime | None

    @property
    def unread(self) -> bool:
        return self.read_at is None

    def to_json(self) -> dict[str, object]:
        return {
            "id": self.id,
            "recipient": self.recipient,
            "task_id": self.task_id,
            "message_id": self.message_id,
            "text": self.text,
            "created_at": iso_z(self.created_at),
            "delivered_at": iso_z(self.delivered_at),
            "read_at": iso_z(self.read_at),
        }


@dataclass(frozen=True, slots=True)
class SearchHit:
    kind: str  # task | message | document
    ref: str  # TASK-007, message id, DOC-3
    task_id: str
    title: str
    snippet: str
    score: float

    def to_json(self) -> dict[str, object]:
        return {
            "kind": self.kind,
            "ref": self.ref,
            "task_id": self.task_id,
            "title": self.title,
            "snippet": self.snippet,
            "score": round(self.score, 4),
        }
