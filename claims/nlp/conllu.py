"""CoNLL-U in and out, through stanza's own reader and writer."""

from __future__ import annotations

import warnings
from typing import Any

from stanza.models.common.doc import (
    END_CHAR,
    FEATS,
    FIELD_TO_IDX,
    HEAD,
    ID,
    MISC,
    NER,
    START_CHAR,
    Document,
)
from stanza.utils.conll import CoNLL, CoNLLError

from ..errors import InputError


def read_conllu(raw: str, path: str = "<conllu>") -> Document:
    """A Document from pre-parsed CoNLL-U, its text and offsets rebuilt from the tokens."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # stanza warns when `# text` and SpaceAfter disagree
            doc = CoNLL.conll2doc(input_str=raw, reconstruct_text=True)
    except (CoNLLError, ValueError, IndexError, KeyError) as e:
        raise InputError(
            f"is not valid CoNLL-U ({e.__cause__ or e})",
            path=path,
            fix="check that every token line has 10 tab-separated columns",
        ) from None
    if not doc.sentences:
        raise InputError("has no sentences", path=path, fix="check that it is CoNLL-U")
    return doc


def sentence_conllu(doc: Document) -> list[str]:
    """Each sentence as CoNLL-U, with ``start_char``/``end_char`` in MISC."""
    return [f"{s:C}" for s in doc.sentences]


# MISC keys that the Token and Word constructors would read out of the MISC column themselves
# (offsets as ints, the token's NER tag) or leave in it (whitespace): a sentence whose MISC
# holds only these is read directly; any other sentence goes through stanza's reader.
_OFFSETS = (START_CHAR, END_CHAR)
_KEPT_IN_MISC = frozenset({"SpaceAfter", "SpacesAfter", "SpacesBefore"})


def _entries(conllu: str) -> tuple[list[dict[str, Any]], list[str]] | None:
    """One stored sentence as the token dicts and comments ``CoNLL.conll2dict`` would give, or None to let stanza read it.

    The offsets and NER tag in MISC are parsed here (the constructors would otherwise parse
    MISC of every token twice, once for the Token and once for its Word).
    """
    tokens: list[dict[str, Any]] = []
    comments: list[str] = []
    for raw in conllu.split("\n"):
        line = raw.lstrip().rstrip(" \n\r\t")
        if not line:
            if tokens:
                return None  # two sentences in one stored row: not what the store writes
            continue
        if line[0] == "#":
            comments.append(line)
            continue
        cols = line.split("\t")
        if len(cols) != 10 or "." in cols[0] or cols[1] == "_":
            return None  # empty nodes, bad lines, "_" forms: stanza's reader decides
        entry: dict[str, Any] = {}
        for key, i in _FIELDS:
            value = cols[i]
            if value != "_" and not (value == "" and key == FEATS):
                entry[key] = value
        token_id = cols[0]
        try:
            entry[ID] = tuple(int(x) for x in token_id.split("-", 1)) if "-" in token_id else (int(token_id),)
            if HEAD in entry:
                entry[HEAD] = int(entry[HEAD])
        except ValueError:
            return None
        misc = entry.get(MISC)
        if misc is not None:
            rest = []
            for item in misc.split("|"):
                key, eq, value = item.partition("=")
                if eq and key in _OFFSETS:
                    if not value.isdigit():
                        return None
                    entry[key] = int(value)
                elif eq and key == NER:
                    entry[NER] = value
                elif eq and key not in _KEPT_IN_MISC:
                    return None  # a key the constructors might set as an attribute
                else:
                    rest.append(item)
            entry[MISC] = "|".join(rest)
        tokens.append(entry)
    return (tokens, comments) if tokens else None


_FIELDS = tuple((k, i) for k, i in FIELD_TO_IDX.items() if k != ID)


def document_from_stored(text: str, conllus: list[str]) -> Document:
    """Rebuild a parsed Document from stored sentence CoNLL-U: no parser needed.

    Equivalent to ``CoNLL.conll2doc`` on the joined sentences (tests/test_extract_conllu.py
    compares the two), with the lines read here rather than by stanza's general reader.
    """
    parsed = [_entries(c) for c in conllus]
    if any(p is None for p in parsed):
        doc = CoNLL.conll2doc(input_str="\n\n".join(c.strip("\n") for c in conllus) + "\n")
    else:
        doc = Document([p[0] for p in parsed if p], text=None, comments=[p[1] for p in parsed if p], empty_sentences=[[] for _ in parsed])
    doc.text = text
    for sentence in doc.sentences:
        if len(sentence.tokens) > 0:
            sentence.text = text[sentence.tokens[0].start_char : sentence.tokens[-1].end_char]
    doc.build_ents()
    return doc
