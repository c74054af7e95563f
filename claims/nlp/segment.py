"""Lines that stand alone: a title, heading, byline or dateline line is its own segment.

A sentence splitter reads "Israel and Hamas Conflict In Brief\\nUpdated October 4, 2024\\n\\nSince
October 7, ..." as one sentence, so one stored sentence (and one claim) holds a title, a date and
the first statement. :func:`forced_starts` gives the offsets where a sentence must begin because
the line before ends a standalone line; both parsers start a sentence there
(:mod:`claims.nlp.parse`). It never splits wrapped prose: a line that ends mid-sentence and whose
next line goes on in lowercase, or a line that is not title-cased, stays joined.
"""

from __future__ import annotations

import re

# Bumped when the rule changes where sentences start (recorded in the parser's version).
SEGMENT_VERSION = "1"

# A line ending in one of these ends a sentence already (the parser splits there) ...
TERMINAL = frozenset(".?!…")
# ... one ending in these goes on into the next line ("The report found:", "Iraq,", "and -").
CONTINUES = frozenset(",;:-–—/&(+=")
# Closers looked through to find a line's last real character ("... said.\u201d").
CLOSERS = "\"'”’»“‘«)]}*_"  # opening quotes too: texts put them where closers belong
# Share of capitalised words (function words aside) that makes a line title-cased.
TITLE_SHARE = 0.75
# Words a title leaves lowercase ("Options for Congress", "Israel and Hamas").
TITLE_FUNCTION_WORDS = frozenset(
    {"a", "an", "the", "and", "or", "nor", "but", "of", "in", "on", "for", "to", "at", "by",
     "with", "from", "as", "into", "vs", "via", "per", "over", "after", "since", "about", "its"}
)
WORD = re.compile(r"[^\W\d_][\w'’.-]*")
LINE = re.compile(r"[^\n]*(?:\n|$)")


def _last_char(line: str) -> str:
    stripped = line.rstrip().rstrip(CLOSERS)
    return stripped[-1:] or line.rstrip()[-1:]


def title_cased(line: str) -> bool:
    """Most words capitalised, function words aside (a title, a name, a date)."""
    words = [w for w in WORD.findall(line) if w.lower() not in TITLE_FUNCTION_WORDS]
    if not words:
        return True  # figures, codes and dates only ("2024-01-29", "R47828")
    return sum(1 for w in words if w[0].isupper()) / len(words) >= TITLE_SHARE


def _full(line: str, next_line: str, width: int) -> bool:
    """The next line's first word would not have fitted on this line within the block's width:
    the break is where a wrapping program put it (greedy wrapping breaks only such lines)."""
    word = next_line.split()[0] if next_line.split() else ""
    return len(line.rstrip()) + 1 + len(word) > width


def stands_alone(line: str, next_line: str | None, width: int | None = None, next_alone: bool = False) -> bool:
    """The line is a segment of its own: no terminal punctuation, nothing says it goes on (a comma,
    colon or dash, a last word such as "and" or "of"), and it is followed by a blank line or the
    end, or it is title-cased (a title, byline or date), the next line does not go on in lowercase,
    and either the next line stands alone too (a title over its dateline) or this line is not full
    (``width``, the longest line of its block: wrapped prose breaks only lines that are full). A
    line of prose that breaks before a capital ("... in\nIraq and Syria") is not title-cased, or
    is full, so it stays joined."""
    body = line.strip()
    if not body:
        return False
    last = _last_char(body)
    if last in TERMINAL or last in CONTINUES:
        return False
    words = WORD.findall(body)
    if words and words[-1] in TITLE_FUNCTION_WORDS:
        return False  # "... Mike Huckabee and": the sentence goes on
    if next_line is None or not next_line.strip():
        return True
    first = next_line.lstrip()[:1]
    if first.islower():
        return False  # wrapped prose: the sentence goes on
    if not title_cased(body):
        return False
    return next_alone or width is None or not _full(line, next_line, width)


def forced_starts(text: str) -> list[int]:
    """Offsets (into ``text``) of the first character of each line that follows a standalone
    line; a sentence must start there. Offsets are in increasing order."""
    lines: list[tuple[int, str]] = []
    for m in LINE.finditer(text):
        if m.start() == len(text) and not m.group():
            break
        lines.append((m.start(), m.group()))
    # the width of each line's block (the run of non-blank lines it is in)
    width = [0] * len(lines)
    i = 0
    while i < len(lines):
        j = i
        while j < len(lines) and lines[j][1].strip():
            j += 1
        w = max((len(lines[k][1].rstrip()) for k in range(i, j)), default=0)
        for k in range(i, j):
            width[k] = w
        i = j + 1 if j == i else j
    # from the last line back: whether each line stands alone (it may depend on the next one)
    alone = [False] * len(lines)
    for i in range(len(lines) - 1, -1, -1):
        nxt = lines[i + 1][1] if i + 1 < len(lines) else None
        alone[i] = stands_alone(lines[i][1], nxt, width[i], i + 1 < len(lines) and alone[i + 1])
    starts: list[int] = []
    pending = False  # the last non-blank line stood alone
    ended = False  # the last non-blank line ended a sentence
    for i, (at, line) in enumerate(lines):
        body = line.strip()
        if not body:
            continue
        begin = at + len(line) - len(line.lstrip())
        # a standalone line after a finished sentence starts one too ("... 2024.\nNext Steps\n")
        if (pending or (alone[i] and ended)) and begin > 0:
            starts.append(begin)
        pending = alone[i]
        ended = _last_char(body) in TERMINAL
    return starts


def segments(text: str) -> list[tuple[int, int]]:
    """``text`` cut at :func:`forced_starts`: (start, end) pieces that cover it end to end."""
    cuts = [0, *(s for s in forced_starts(text) if s > 0), len(text)]
    return [(a, b) for a, b in zip(cuts, cuts[1:], strict=False) if b > a] or [(0, len(text))]


def mark_sentence_starts(doc):  # a spaCy Doc (spaCy is not imported here)
    """Set ``is_sent_start`` on the first token at each :func:`forced_starts` offset (a spaCy
    pipeline component placed before the parser, which keeps preset starts)."""
    starts = forced_starts(doc.text)
    if not starts:
        return doc
    k = 0
    for token in doc:
        while k < len(starts) and starts[k] < token.idx:
            k += 1  # an offset inside a token (never expected: starts follow whitespace)
        if k == len(starts):
            break
        if token.idx == starts[k] and token.i > 0:
            token.is_sent_start = True
            k += 1
    return doc
