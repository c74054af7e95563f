"""When: time expressions in a claim, resolved against the document date.

Expressions are found first (NER DATE/TIME spans, then patterns for relative
phrases the NER misses) and only those spans go to dateparser, with the
document date as ``RELATIVE_BASE``. Running ``search_dates`` over whole
sentences turns words like "a" or "Do" into dates, so it is never done.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime, timedelta
from functools import lru_cache

from ..nlp.document import Document, Word
from ..nlp.tree import Tree, base, feats, word_span
from .entities import entities_within
from .lexicons import lexicons
from .types import Span, TimeRef

MONTHS = "january|february|march|april|may|june|july|august|september|october|november|december|jan|feb|mar|apr|jun|jul|aug|sep|sept|oct|nov|dec"
WEEKDAYS = "monday|tuesday|wednesday|thursday|friday|saturday|sunday"
PATTERNS = [
    r"\b(?:last|this|next|past|previous|coming)\s+(?:night|week|weekend|month|year|morning|evening|afternoon|" + WEEKDAYS + r")\b",
    r"\b(?:earlier|later)\s+(?:today|this\s+(?:week|month|year))\b",
    r"\b(?:today|yesterday|tomorrow|tonight)\b",
    r"\b(?:in\s+)?recent\s+(?:days|weeks|months|years)\b",
    r"\b(?:the\s+)?(?:past|last|previous)\s+(?:few\s+|two\s+|three\s+|several\s+)?(?:days|weeks|months|years)\b",
    r"\b\d+\s+(?:days|weeks|months|years)\s+ago\b",
    r"\b(?:on\s+)?(?:" + WEEKDAYS + r")\b",
    r"\b(?:" + MONTHS + r")\.?\s+\d{1,2}(?:st|nd|rd|th)?(?:,?\s+\d{4})?\b",
    r"\b\d{1,2}\s+(?:" + MONTHS + r")(?:\s+\d{4})?\b",
    r"\b(?:" + MONTHS + r")\s+\d{4}\b",
    r"\b\d{4}-\d{2}-\d{2}\b",
]
PATTERN = re.compile("|".join(f"(?:{p})" for p in PATTERNS), re.I)
RELATIVE = re.compile(r"\b(?:last|this|next|past|previous|coming|earlier|later|today|yesterday|tomorrow|tonight|recent|ago|" + WEEKDAYS + r")\b", re.I)
# Spans the NER labels DATE that name no time we can place.
VAGUE = re.compile(r"^(?:the\s+)?(?:recent|ongoing|current|future|now|once|daily|annual|weekly|the\s+time|the\s+day|decades?|years?|days?|months?|weeks?)$", re.I)
LEAD = re.compile(r"^(?:on|in|at|during|since|by|until|from|of)\s+", re.I)


WEEKEND = re.compile(r"^(?:(this|last|past|previous|next|coming|the)\s+)?weekend$", re.I)


def weekend(word: str | None, base: datetime, future: bool) -> datetime:
    """The Saturday of "this/last/next weekend": the one under way on a Saturday or Sunday, else
    the one before (past events) or after (future ones) the document date."""
    wd = base.weekday()  # Monday 0 ... Saturday 5, Sunday 6
    word = (word or "").lower()
    if wd >= 5:
        saturday = base - timedelta(days=wd - 5)
        if word in ("last", "past", "previous"):
            return saturday - timedelta(days=7)
        if word in ("next", "coming"):
            return saturday + timedelta(days=7)
        return saturday
    if word in ("last", "past", "previous") or (not future and word not in ("next", "coming")):
        return base - timedelta(days=wd + 2)
    return base + timedelta(days=5 - wd)


@lru_cache(maxsize=4096)
def resolve(text: str, doc_date: str, future: bool = False) -> tuple[str | None, str | None]:
    """ISO value and granularity of one time expression, relative to the document date.

    ``future``: the expression dates an event still to come ("is planning to attend ... on
    Friday"), so a bare weekday or "this weekend" is the next one, not the last.
    """
    from dateparser.date import DateDataParser

    base = datetime.fromisoformat(doc_date)
    cleaned = LEAD.sub("", text.strip())
    end = WEEKEND.match(cleaned)
    if end:
        return weekend(end.group(1), base, future).date().isoformat(), "weekend"
    cleaned = re.sub(r"\b(?:earlier|later)\s+", "", cleaned, flags=re.I)
    cleaned = re.sub(r"^(?:in\s+)?(?:the\s+)?(?:recent|past|last|previous)\s+(?:few\s+|several\s+)?(days|weeks|months|years)$", r"1 \1 ago", cleaned, flags=re.I)
    prefer = "future" if future else "past"
    parser = DateDataParser(languages=["en"], settings={"RELATIVE_BASE": base, "PREFER_DATES_FROM": prefer, "RETURN_TIME_AS_PERIOD": True})
    data = parser.get_date_data(cleaned)
    if data is None or data.date_obj is None:
        return None, None
    period = data.period or "day"
    if not future and re.fullmatch(r"(?:" + MONTHS + r")\.?\s+\d{1,2}(?:st|nd|rd|th)?", cleaned, re.I) and data.date_obj > base:
        data.date_obj = data.date_obj.replace(year=data.date_obj.year - 1)  # "On January 25" in a report is in the past
    d = data.date_obj
    if period == "year":
        return f"{d.year:04d}", "year"
    if period == "month":
        return f"{d.year:04d}-{d.month:02d}", "month"
    if period == "week":
        return d.date().isoformat(), "week"
    return d.date().isoformat(), "day" if period != "time" else "time"


def time_refs(doc: Document, start: int, end: int, doc_date: str, future_at: Callable[[int], bool] | None = None) -> list[TimeRef]:
    """Time expressions inside ``[start, end)`` of the document text, resolved.

    ``future_at(offset)`` says whether the expression at that offset dates an event to come
    (see ``is_future``); without it every expression is read as past, as news reports mostly are.
    """
    text = doc.text or ""
    spans = [(s, e) for s, e, kind, _ in entities_within(doc, start, end) if kind in ("DATE", "TIME")]
    for m in PATTERN.finditer(text, start, end):
        if not any(s <= m.start() < e or s < m.end() <= e for s, e in spans):
            spans.append((m.start(), m.end()))
    out = []
    for s, e in sorted(spans):
        phrase = text[s:e]
        if VAGUE.match(LEAD.sub("", phrase.strip())):
            continue
        value, granularity = resolve(phrase, doc_date, bool(future_at and future_at(s)))
        out.append(TimeRef(phrase, s, e, value, granularity, bool(RELATIVE.search(phrase))))
    return out


def time_span(tree: Tree, words: list[Word]) -> Span | None:
    """The first time expression among these words (a pattern match or a DATE/TIME entity)."""
    if not words:
        return None
    start, end = word_span(words[0])[0], word_span(words[-1])[1]
    m = PATTERN.search(tree.text, start, end)
    if m and not VAGUE.match(LEAD.sub("", m.group(0).strip())):
        return Span(m.group(0), m.start(), m.end())
    tagged = [w for w in words if (w.parent.ner or "O")[2:] in ("DATE", "TIME")]
    if tagged:
        s, e = word_span(tagged[0])[0], word_span(tagged[-1])[1]
        phrase = tree.text[s:e]
        if not VAGUE.match(LEAD.sub("", phrase.strip())):
            return Span(phrase, s, e)
    return None


FUTURE_AUX = {"will", "shall", "'ll", "wo"}


def _predicate_of(tree: Tree, w: Word) -> Word | None:
    """The nearest verb (or copular predicate) a word depends on, the word itself included."""
    for x in [w, *tree.ancestors(w)]:
        if x.upos in ("VERB", "AUX") or tree.children(x, "cop"):
            return x
    return None


def _past(tree: Tree, w: Word) -> bool:
    verbs = [w, *tree.children(w, "aux", "aux:pass", "cop")]
    return any(feats(x).get("Tense") == "Past" and x.xpos != "VBN" or x.xpos == "VBD" for x in verbs) or any(
        (a.lemma or "").lower() == "have" for a in tree.children(w, "aux")
    )


def is_future(tree: Tree, w: Word) -> bool:
    """Whether the event a time word dates is still to come, from its predicate's tense: "will
    attend", "is planning to attend", "is attending on Friday" are; past tenses, the perfect and
    the simple present are not."""
    p = _predicate_of(tree, w)
    if p is None:
        return False
    if any((a.lemma or a.text).lower() in FUTURE_AUX for a in tree.children(p, "aux")):
        return True
    if _past(tree, p):
        return False
    frames = lexicons().hedges["irrealis_frames"]
    if base(p.deprel) == "xcomp":
        frame = tree.head_of(p)
        if frame is not None and (frame.lemma or "").lower() in frames and not _past(tree, frame):
            return True  # "is planning to attend", "wants to meet", "is going to announce"
    # the present progressive of an event: "is attending on Friday" (not the simple present,
    # which headlines use for past events: "Iran attacks base on Sunday")
    progressive = p.xpos == "VBG" or feats(p).get("Aspect") == "Prog"
    return progressive and p.upos == "VERB" and any((a.lemma or "").lower() == "be" for a in tree.children(p, "aux"))


def future_at(tree: Tree) -> Callable[[int], bool]:
    """``time_refs``'s ``future_at`` for a sentence: the tense of the word at an offset."""
    starts = [(word_span(w)[0], word_span(w)[1], w) for w in tree.words]

    def at(offset: int) -> bool:
        for s, e, w in starts:
            if s <= offset < e:
                return is_future(tree, w)
        return False

    return at
