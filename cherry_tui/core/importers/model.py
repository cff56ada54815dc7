"""What a Cherry Studio backup holds for cherry-tui, whatever its format."""

from __future__ import annotations

from dataclasses import dataclass, field


class ImportProblem(Exception):
    """The backup cannot be read. The message names the file, what is wrong and what to do."""


@dataclass(frozen=True)
class CherryProvider:
    """One provider as Cherry Studio stored it (address as typed, keys split)."""

    id: str
    name: str
    type: str
    address: str
    keys: tuple[str, ...] = ()
    models: tuple[str, ...] = ()
    enabled: bool = False
    system: bool = False
    headers: tuple[str, ...] = ()  # names of extra headers (values are never kept)
    anthropic_address: str = ""
    no_api_version: bool = False  # Cherry's apiOptions.isNotSupportAPIVersion
    api_version: str = ""  # Azure OpenAI's api-version
    notes: tuple[str, ...] = ()  # reader's remarks, e.g. an encrypted key left out


@dataclass
class CherryMessage:
    role: str
    content: str
    reasoning: str = ""
    provider: str | None = None  # Cherry's provider id
    model: str | None = None
    created: float = 0.0


@dataclass
class CherryTopic:
    id: str
    title: str
    system_prompt: str = ""
    messages: list[CherryMessage] = field(default_factory=list)
    other_answers: int = 0  # further answers to a question (several models) not kept


@dataclass
class Backup:
    """A read backup. ``broken`` lists the provider entries that could not be read."""

    path: str
    version: int
    providers: list[CherryProvider] = field(default_factory=list)
    topics: list[CherryTopic] = field(default_factory=list)
    broken: list[str] = field(default_factory=list)  # "NAME: why" per unreadable provider
