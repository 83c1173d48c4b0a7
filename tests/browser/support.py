"""What the browser tests share: a page with its console errors."""

from __future__ import annotations

from dataclasses import dataclass, field

from playwright.sync_api import ConsoleMessage, Error, Page


@dataclass
class ConsoleErrors:
    """Every console error and uncaught exception of the page, as text."""

    seen: list[str] = field(default_factory=list)

    def console(self, message: ConsoleMessage) -> None:
        if message.type == "error":
            self.seen.append(f"console: {message.text} ({message.location.get('url')})")

    def exception(self, error: Error) -> None:
        self.seen.append(f"uncaught: {error}")


@dataclass
class Tab:
    page: Page
    errors: ConsoleErrors
