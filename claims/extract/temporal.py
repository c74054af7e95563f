"""When: time expressions in a claim, resolved against the document date.

Expressions are found first (NER DATE/TIME spans, then patterns for relative
phrases the NER misses) and only those spans go to dateparser, with the
document date as ``RELATIVE_BASE``. Running ``search_dates`` over whole
sentences turns words like "a" or "Do" into dates, so it is never done.
"""

from __future__ import annotations

import re
from datetime import datetime
from functools import lru_cache

from stanza.models.common.doc import Document

from .entities import entities_within
from .types import TimeRef

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


@lru_cache(maxsize=4096)
def resolve(text: str, doc_date: str) -> tuple[str | None, str | None]:
    """ISO value and granularity of one time expression, relative to the document date."""
    from dateparser.date import DateDataParser

    base = datetime.fromisoformat(doc_date)
    cleaned = LEAD.sub("", text.strip())
    cleaned = re.sub(r"\b(?:earlier|later)\s+", "", cleaned, flags=re.I)
    cleaned = re.sub(r"^(?:in\s+)?(?:the\s+)?(?:recent|past|last|previous)\s+(?:few\s+|several\s+)?(days|weeks|months|years)$", r"1 \1 ago", cleaned, flags=re.I)
    parser = DateDataParser(languages=["en"], settings={"RELATIVE_BASE": base, "PREFER_DATES_FROM": "past", "RETURN_TIME_AS_PERIOD": True})
    data = parser.get_date_data(cleaned)
    if data is None or data.date_obj is None:
        return None, None
    period = data.period or "day"
    if re.fullmatch(r"(?:" + MONTHS + r")\.?\s+\d{1,2}(?:st|nd|rd|th)?", cleaned, re.I) and data.date_obj > base:
        data.date_obj = data.date_obj.replace(year=data.date_obj.year - 1)  # "On January 25" in a report is in the past
    d = data.date_obj
    if period == "year":
        return f"{d.year:04d}", "year"
    if period == "month":
        return f"{d.year:04d}-{d.month:02d}", "month"
    if period == "week":
        return d.date().isoformat(), "week"
    return d.date().isoformat(), "day" if period != "time" else "time"


def time_refs(doc: Document, start: int, end: int, doc_date: str) -> list[TimeRef]:
    """Time expressions inside ``[start, end)`` of the document text, resolved."""
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
        value, granularity = resolve(phrase, doc_date)
        out.append(TimeRef(phrase, s, e, value, granularity, bool(RELATIVE.search(phrase))))
    return out
