"""The fenced blocks of the project's Markdown pages and the markers that say whether the docs test runs them.

A shell block (```sh, bash, shell or console) must sit right under one of
    <!-- runnable -->
    <!-- runnable in the background; ready when http://127.0.0.1:8000/readyz answers -->
    <!-- not-runnable: why it cannot run in CI -->
A block without a language whose first command looks like a shell command (ypa, build/..., cmake, curl ...)
must be a shell block too; output, usage synopses and diagrams are ```text or have no language.
"""
import os
import re
from dataclasses import dataclass, field

SHELL_LANGUAGES = {"sh", "bash", "shell", "console"}
# The pages whose blocks the docs test runs, in this order: README.md first, then docs/ by name.
RUN_PAGES = ["README.md"]
# Pages whose shell blocks must be marked as well; bench/README's benchmarks are checked by hand.
MARKED_PAGES_EXTRA = ["bench/README.md", "src/README.md"]

_FENCE = re.compile(r"^( {0,3})(`{3,}|~{3,})\s*([^`\s]*)")
_MARKER = re.compile(r"^\s*<!--\s*(runnable|not-runnable)(.*?)-->\s*$")
_BACKGROUND = re.compile(r"^in the background; ready when (\S+) answers$")
_COMMAND = re.compile(
    r"^(?:\$ )?(?:sudo )?(?:[A-Z_][A-Z0-9_]*=\S* )*"
    r"(?:ypa|build/|scripts/|bench/|\.cache/|cmake|ctest|eval|export|cd|curl|psql|clickhouse-client|python3|"
    r"/usr/bin/python3|/usr/local/bin/ypa|systemctl|journalctl|apt-get)(?:\s|$)")


@dataclass
class Block:
    path: str  # relative to the repository root
    fence_line: int  # 1-based line number of the opening fence
    language: str
    lines: list = field(default_factory=list)
    marker: str = None  # "runnable", "not-runnable" or None
    detail: str = ""  # what follows the marker word, without the leading ":" or space
    marker_line: int = 0

    @property
    def is_shell(self):
        return self.language in SHELL_LANGUAGES

    @property
    def ready_url(self):
        """The readiness URL of a block that runs in the background, else None."""
        m = _BACKGROUND.match(self.detail)
        return m.group(1) if m else None

    def first_command(self):
        for line in self.lines:
            text = line.strip()
            if text and not text.startswith("#"):
                return text
        return ""

    def looks_like_commands(self):
        return bool(_COMMAND.match(self.first_command()))


def run_pages(root):
    docs = sorted(name for name in os.listdir(os.path.join(root, "docs")) if name.endswith(".md"))
    return RUN_PAGES + ["docs/" + name for name in docs]


def marked_pages(root):
    return run_pages(root) + [p for p in MARKED_PAGES_EXTRA if os.path.exists(os.path.join(root, p))]


def parse(root, rel):
    """Every fenced block of the page, with the marker on the last non-blank line above its fence."""
    with open(os.path.join(root, rel), encoding="utf-8") as f:
        text = f.read().splitlines()
    blocks = []
    i = 0
    while i < len(text):
        m = _FENCE.match(text[i])
        if not m:
            i += 1
            continue
        fence = m.group(2)
        block = Block(rel, i + 1, m.group(3).lower())
        j = i - 1
        while j >= 0 and not text[j].strip():
            j -= 1
        if j >= 0:
            mm = _MARKER.match(text[j])
            if mm:
                block.marker = mm.group(1)
                block.detail = mm.group(2).strip().lstrip(":").strip()
                block.marker_line = j + 1
        i += 1
        indent = len(m.group(1))
        while i < len(text):
            line = text[i]
            if line.lstrip().startswith(fence[0] * len(fence)) and not line.strip().strip(fence[0]):
                break
            block.lines.append(line[indent:] if line[:indent].strip() == "" else line)
            i += 1
        blocks.append(block)
        i += 1
    return blocks


def marker_problems(root, rel):
    """One "path:line: problem" string per block whose marker is missing, malformed or misplaced."""
    problems = []
    for b in parse(root, rel):
        where = f"{rel}:{b.fence_line}"
        if b.is_shell:
            if b.marker is None:
                problems.append(f"{where}: shell block without <!-- runnable --> or <!-- not-runnable: why --> "
                                f"on the line above it ({b.first_command()!r})")
            elif b.marker == "not-runnable" and not b.detail:
                problems.append(f"{where}: <!-- not-runnable --> must say why (<!-- not-runnable: why -->)")
            elif b.marker == "runnable" and b.detail and not b.ready_url:
                problems.append(f"{where}: unknown runnable marker {b.detail!r}; use <!-- runnable --> or "
                                f"<!-- runnable in the background; ready when URL answers -->")
        else:
            if b.marker is not None:
                problems.append(f"{where}: a {b.marker} marker above a ```{b.language or '(no language)'} block; "
                                f"only ```sh blocks are run")
            if b.language == "" and b.looks_like_commands():
                problems.append(f"{where}: commands in a block without a language ({b.first_command()!r}): "
                                f"make it ```sh with a marker, or ```text if it is not meant to run")
    return problems
