"""What every CLI dialect shares: a line goes in, text comes out, then the prompt. Dialects raise
`Refused(word)` when a line does not parse; `invalid()` renders that in the platform's style."""
from __future__ import annotations

import re

from tests.switch.emulator.state import SwitchState


class Refused(Exception):
    """The line is not valid here; `word` is where the platform's caret points."""

    def __init__(self, word: str = "", message: str = ""):
        super().__init__(message or word)
        self.word, self.message = word, message


class Dialect:
    greeting = ""

    def __init__(self, state: SwitchState, username: str, secret: str):
        self.state, self.username, self.secret = state, username, secret
        self.echo, self.closed, self.question = True, False, None
        self._answer = None

    def prompt(self) -> str:
        raise NotImplementedError

    def command(self, line: str) -> str:
        raise NotImplementedError

    def invalid(self, line: str, refused: Refused) -> str:
        raise NotImplementedError

    def line(self, text: str) -> str:
        """One line the client typed (without its end of line) -> what the switch prints before its prompt."""
        if self._answer is not None:
            handler, self._answer, self.question, self.echo = self._answer, None, None, True
            return handler(text.strip())
        line = text.strip()
        if not line:
            return ""
        self.state.log.append(line)
        try:
            return self.command(line)
        except Refused as refused:
            return self.invalid(line, refused)

    def ask(self, question: str, handler, echo: bool = True) -> str:
        """Print `question` instead of the prompt; the next line goes to `handler`."""
        self.question, self._answer, self.echo = question, handler, echo
        return ""

    def caret(self, line: str, word: str, indent: int) -> str:
        at = line.find(word) if word else 0
        return " " * (indent + max(at, 0)) + "^"


def filtered(output: str, pipe: str) -> str:
    """`| include X`, `| exclude X`, `| begin X`, `| section X` on a show command's output."""
    found = re.match(r"^(include|exclude|begin|section|i|e|b|s)\s+(.*)$", pipe.strip())
    if not found:
        raise Refused(pipe.strip().split()[0] if pipe.strip() else "|")
    verb, pattern = found.group(1)[0], found.group(2)
    lines = output.splitlines()
    if verb == "i":
        lines = [line for line in lines if re.search(pattern, line)]
    elif verb == "e":
        lines = [line for line in lines if not re.search(pattern, line)]
    elif verb == "b":
        start = next((n for n, line in enumerate(lines) if re.search(pattern, line)), len(lines))
        lines = lines[start:]
    else:
        lines = section(lines, pattern)
    return "\n".join(lines) + ("\n" if lines else "")


def section(lines: list[str], pattern: str) -> list[str]:
    kept, inside = [], False
    for line in lines:
        if not line.startswith(" "):
            inside = bool(re.search(pattern, line))
        if inside:
            kept.append(line)
    return kept


def natural(text: str) -> list:
    return [int(part) if part.isdigit() else part for part in re.split(r"(\d+)", text)]
