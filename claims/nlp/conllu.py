"""The one CoNLL-U reader and writer of claims' Document (:mod:`claims.nlp.document`).

Stored CoNLL-U is the contract between runs: what is written here is, byte for byte, what
stanza's writer (``f"{sentence:C}"``) wrote for the same parse, and what is read here is
what stanza's reader (``CoNLL.conll2doc``) read: the same words, heads, relations,
features, offsets from MISC, whitespace and sentences (tests/test_conllu_stored.py checks
both against stanza on the fixtures and on stored parses).

Lines are split here rather than by the ``conllu`` package: ``conllu.parse`` took 2.2 s CPU
(its line parser alone, with every field kept raw, 0.88 s) against 0.05 s for the split
itself on the 3,221 stored sentences (80,309 words) of the PolNeAR dev ingest, while a whole
re-extraction of them must stay under a tenth of the ingest (~2.5 s; docs/performance.md).

Two things stanza does are not copied: a MISC key naming one of its attributes (``lemma=``,
``upos=``...) overwrites that attribute in stanza and stays in MISC here, and enhanced
dependencies (DEPS) are kept as written rather than re-sorted; empty nodes are dropped, as
stanza's reader does by default.
"""

from __future__ import annotations

import re
import warnings

from ..errors import InputError
from .document import Document, Sentence, Token, Word, add_standard_comments

FIELDS = 10
_SPACE_KEYS = ("SpaceAfter=", "SpacesAfter=", "SpacesBefore=")
_ESCAPES = {" ": "\\s", "\t": "\\t", "\r": "\\r", "\n": "\\n", "|": "\\p", "\\": "\\\\", "\u00a0": "\\u00A0"}
_UNESCAPE = re.compile(r"\\(s|t|r|n|p|\\|u00A0)")
_UNESCAPES = {"s": " ", "t": "\t", "r": "\r", "n": "\n", "p": "|", "\\": "\\", "u00A0": "\u00a0"}


class CoNLLUError(ValueError):
    pass


# --- whitespace in MISC (UD's SpaceAfter / SpacesAfter / SpacesBefore) ------------------------


def escape_space(space: str) -> str:
    return "".join(_ESCAPES.get(c, c) for c in space)


def unescape_space(value: str) -> str:
    return _UNESCAPE.sub(lambda m: _UNESCAPES[m.group(1)], value)


def space_after_to_misc(space: str) -> str:
    if not space:
        return "SpaceAfter=No"
    if space == " ":
        return ""
    return "SpacesAfter=" + escape_space(space)


def space_before_to_misc(space: str) -> str:
    return "SpacesBefore=" + escape_space(space) if space else ""


def misc_space_after(misc: str | None) -> str:
    if not misc:
        return " "
    pieces = misc.split("|")
    if any(p.lower() == "spaceafter=no" for p in pieces) or "SpaceAfter=No~" in pieces:
        return ""
    if "SpaceAfter=Yes" in pieces:
        return " "
    for p in pieces:
        if p.startswith("SpaceAfter=") or p.startswith("SpacesAfter="):
            return unescape_space(p.split("=", 1)[1])
    return " "


def misc_space_before(misc: str | None) -> str:
    if not misc:
        return ""
    for p in misc.split("|"):
        if p.lower().startswith("spacesbefore="):
            return unescape_space(p.split("=", 1)[1])
    return ""


def _has_space_after(misc: str | None) -> bool:
    return bool(misc) and any(p.startswith("SpaceAfter=") or p.startswith("SpacesAfter=") for p in misc.split("|"))  # type: ignore[union-attr]


def _has_space_before(misc: str | None) -> bool:
    return bool(misc) and any(p.startswith("SpacesBefore=") for p in misc.split("|"))  # type: ignore[union-attr]


def _without_space(misc: str) -> str:
    return "|".join(p for p in misc.split("|") if not p.startswith(_SPACE_KEYS))


def consolidate_whitespace(token: Token) -> None:
    """The whitespace annotations of a token and its words moved onto the token (as stanza does)."""
    if not (token.misc and "Space" in token.misc):
        if len(token.words) == 1:
            misc = token.words[0].misc
            if not (misc and "Space" in misc):
                return
        elif not any(w.misc and "Space" in w.misc for w in token.words):
            return
    found_after = found_before = False
    last = len(token.words) - 1
    for i, word in enumerate(token.words):
        misc = word.misc
        if not misc:
            continue
        if i == 0 and _has_space_before(misc):
            token.spaces_before = misc_space_before(misc)
            found_before = True
        if i == last and _has_space_after(misc):
            token.spaces_after = misc_space_after(misc)
            found_after = True
        word.misc = _without_space(misc)
    misc = token.misc
    if misc:
        if _has_space_before(misc) and not found_before:
            token.spaces_before = misc_space_before(misc)
        if _has_space_after(misc) and not found_after:
            token.spaces_after = misc_space_after(misc)
        token.misc = _without_space(misc)


# --- reading ------------------------------------------------------------------------------


def _misc(value: str, unit: Word | Token) -> str:
    """MISC with ``start_char``/``end_char`` (and, for a token, ``ner``) taken into ``unit``."""
    if "=" not in value:
        return value
    rest = []
    # the store writes "start_char=N|end_char=M|ner=T" (after any other MISC): read that directly
    if value.startswith("start_char="):
        end_at = value.find("|end_char=")
        ner_at = value.find("|ner=", end_at)
        if end_at > 0 and ner_at > 0 and "|" not in value[ner_at + 5 :] and value[11:end_at].isdecimal() and value[end_at + 10 : ner_at].isdecimal():
            unit.start_char, unit.end_char = int(value[11:end_at]), int(value[end_at + 10 : ner_at])
            if isinstance(unit, Token):
                ner = value[ner_at + 5 :]
                unit.ner = ner if ner != "_" else None
            return ""
    for item in value.split("|"):
        key, eq, v = item.partition("=")
        if eq and (key == "start_char" or key == "end_char"):
            try:
                setattr(unit, key, int(v))
            except ValueError:
                raise CoNLLUError(f"{key}={v!r} in MISC is not a number") from None
            continue
        if eq and key == "ner":
            if isinstance(unit, Token):
                unit.ner = v if v != "_" else None
            continue
        rest.append(item)
    return "|".join(rest)


def _field(value: str) -> str | None:
    return None if value == "_" else value


def _sentence(lines: list[list[str]], comments: list[str]) -> Sentence:
    """One sentence from its token lines (already split in 10 columns) and comment lines."""
    sentence = Sentence([], [])
    for c in comments:
        sentence.add_comment(c)
    end = -1
    for cols in lines:
        token_id = cols[0]
        if "." in token_id:
            continue  # an empty node
        form = cols[1]
        if not form:
            raise CoNLLUError(f"token {token_id} has no form")
        misc_raw = _field(cols[9])
        if "-" in token_id:
            try:
                first, last = (int(x) for x in token_id.split("-", 1))
            except ValueError:
                raise CoNLLUError(f"{token_id!r} is not a token id") from None
            token = Token((first, last), form)
            if misc_raw is not None:
                token.misc = _misc(misc_raw, token)
            sentence.tokens.append(token)
            end = last
            continue
        try:
            wid = int(token_id)
            head = None if cols[6] == "_" else int(cols[6])
        except ValueError:
            raise CoNLLUError(f"bad id or head in the line of token {token_id!r}") from None
        feats = cols[5]
        word = Word(
            wid,
            form,
            cols[2] if cols[2] != "_" or form == "_" else None,
            _field(cols[3]),
            _field(cols[4]),
            feats if feats and feats != "_" else None,
            head,
            _field(cols[7]),
            _field(cols[8]),
        )
        if sentence.words and sentence.words[-1].id == wid:
            raise CoNLLUError(f"word {wid} is there twice")
        sentence.words.append(word)
        if wid <= end:
            token = sentence.tokens[-1]
            token.words.append(word)
            if misc_raw is not None:
                word.misc = _misc(misc_raw, word)
        else:
            token = Token((wid,), form, [word])
            if misc_raw is not None:  # read once for the token and its word: the same line
                token.misc = word.misc = _misc(misc_raw, token)
                word.start_char, word.end_char = token.start_char, token.end_char
            sentence.tokens.append(token)
        word.parent = token
    for token in sentence.tokens:
        if not token.words:
            raise CoNLLUError(f"multi-word token {token.id[0]}-{token.id[-1]} has no words")
        consolidate_whitespace(token)
    return sentence


def _blocks(raw: str) -> list[tuple[list[list[str]], list[str]]]:
    """Sentences as (token lines split in columns, comment lines); bad lines raise CoNLLUError."""
    blocks: list[tuple[list[list[str]], list[str]]] = []
    lines: list[list[str]] = []
    comments: list[str] = []
    for n, raw_line in enumerate(raw.split("\n"), 1):
        line = raw_line.lstrip().rstrip(" \n\r\t")
        if not line:
            if lines:
                blocks.append((lines, comments))
                lines, comments = [], []
            continue
        if line[0] == "#":
            comments.append(line)
            continue
        cols = line.split("\t")
        if "." in cols[0]:
            continue  # empty nodes are dropped (stanza's reader's default)
        if len(cols) != FIELDS:
            raise CoNLLUError(f"line {n} has {len(cols)} tab-separated columns, not {FIELDS}")
        lines.append(cols)
    if lines:
        blocks.append((lines, comments))
    return blocks


def document_from_stored(text: str, conllus: list[str]) -> Document:
    """A parsed Document from stored sentence CoNLL-U (offsets in MISC) and the document text."""
    doc = Document(text)
    for conllu in conllus:
        for lines, comments in _blocks(conllu):
            sentence = _sentence(lines, comments)
            if sentence.tokens:
                first, last = sentence.tokens[0], sentence.tokens[-1]
                if first.start_char is not None and last.end_char is not None:
                    sentence.text = text[first.start_char : last.end_char]
            doc.sentences.append(sentence)
    for i, sentence in enumerate(doc.sentences):
        if sentence.comment("sent_id") is None:
            sentence.add_comment(f"# sent_id = {i}")
    doc.build_ents()
    return doc


def read_conllu(raw: str, path: str = "<conllu>") -> Document:
    """A Document from pre-parsed CoNLL-U, its text and offsets rebuilt from the tokens."""
    try:
        blocks = _blocks(raw)
        sentences = [(_sentence(lines, []), lines, comments) for lines, comments in blocks]
    except CoNLLUError as e:
        raise InputError(
            f"is not valid CoNLL-U ({e})",
            path=path,
            fix="check that every token line has 10 tab-separated columns",
        ) from None
    if not sentences:
        raise InputError("has no sentences", path=path, fix="check that it is CoNLL-U")
    doc = Document(None)
    text = _add_offsets(sentences)
    for sentence, _, comments in sentences:
        for c in comments:
            sentence.add_comment(c)
        doc.sentences.append(sentence)
    add_standard_comments(doc)
    doc.text = text
    for sentence in doc.sentences:
        if sentence.text is None and sentence.tokens:
            sentence.text = text[sentence.tokens[0].start_char : sentence.tokens[-1].end_char]
    doc.build_ents()
    return doc


def _raw_space_after(misc: str | None) -> str | None:
    if misc and any(p.lower().startswith(("spaceafter=", "spacesafter=")) for p in misc.split("|")):
        return misc_space_after(misc)
    return None


def _raw_space_before(misc: str | None) -> str | None:
    if misc and any(p.lower().startswith("spacesbefore=") for p in misc.split("|")):
        return misc_space_before(misc)
    return None


def _units(lines: list[list[str]]) -> list[tuple[list[str], list[list[str]]]]:
    """(token line, its word lines if a multi-word token) for each token."""
    units: list[tuple[list[str], list[list[str]]]] = []
    i = 0
    while i < len(lines):
        cols = lines[i]
        i += 1
        if "-" in cols[0]:
            last = int(cols[0].split("-", 1)[1])
            words = []
            while i < len(lines) and "-" not in lines[i][0] and int(lines[i][0]) <= last:
                words.append(lines[i])
                i += 1
            units.append((cols, words))
        else:
            units.append((cols, []))
    return units


def _add_offsets(sentences: list[tuple[Sentence, list[list[str]], list[str]]]) -> str:
    """Offsets for every token (and the words of a multi-word token) and the text they index.

    As stanza's ``CoNLL.add_char_offsets``: a sentence's tokens are laid over its ``# text``
    comment where they fit it, else the text is rebuilt from the tokens and their SpaceAfter /
    SpacesAfter annotations (read from the lines as written).
    """
    pieces: list[str] = []
    offset = 0
    previous_after: str | None = None
    for sent_idx, (sentence, lines, comments) in enumerate(sentences):
        units = _units(lines)
        if not units:
            continue
        first_cols, first_words = units[0]
        before = next((s for s in (_raw_space_before(c[9]) for c in ([first_words[0]] if first_words else []) + [first_cols]) if s is not None), "")
        afters = [
            next((s for s in (_raw_space_after(c[9]) for c in ([words[-1]] if words else []) + [cols]) if s is not None), " ")
            for cols, words in units
        ]
        forms = [cols[1] for cols, _ in units]
        sent_text = next((m.group(2) for m in map(_COMMENT.match, comments) if m and m.group(1) == "text"), None)
        spans = _align(forms, sent_text) if sent_text is not None else None
        if sent_text is not None and spans is None:
            warnings.warn(f"could not align the tokens of sentence {sent_idx} with its `# text` comment", stacklevel=2)
        if spans is None:
            spans, local, built = [], 0, []
            for i, form in enumerate(forms):
                spans.append((local, local + len(form)))
                built.append(form)
                local += len(form)
                if i < len(forms) - 1:
                    built.append(afters[i])
                    local += len(afters[i])
            sent_text = "".join(built)
        assert sent_text is not None
        if previous_after is None:
            separator = before
        elif previous_after != " ":
            separator = previous_after
        else:
            separator = before or " "
        pieces.append(separator)
        offset += len(separator)
        for token, (cols, words), (start, end) in zip(sentence.tokens, units, spans, strict=True):
            # offsets written in MISC win over the rebuilt ones (stanza reads MISC last)
            _set_offsets(token, cols[9], offset + start, offset + end)
            if len(token.words) == 1:
                _set_offsets(token.words[0], (words[0] if words else cols)[9], offset + start, offset + end)
            elif len(token.id) > 1:
                _mwt_offsets(token, offset + start, words)
        pieces.append(sent_text)
        offset += len(sent_text)
        previous_after = afters[-1]
    if previous_after and previous_after != " ":
        pieces.append(previous_after)
    return "".join(pieces)


_COMMENT = re.compile(r"^#\s*([^=]+?)\s*=\s*(.*?)\s*$")


def _align(forms: list[str], text: str) -> list[tuple[int, int]] | None:
    pos, spans = 0, []
    for form in forms:
        at = text.find(form, pos)
        if at < 0 or text[pos:at].strip():
            return None
        spans.append((at, at + len(form)))
        pos = at + len(form)
    return None if text[pos:].strip() else spans


def _set_offsets(unit: Token | Word, misc: str, start: int, end: int) -> None:
    if "start_char=" not in misc:
        unit.start_char = start
    if "end_char=" not in misc:
        unit.end_char = end


def _mwt_offsets(token: Token, start: int, lines: list[list[str]]) -> None:
    """The words of a multi-word token laid over its text, when they spell it."""
    pattern = "^" + "\\s*".join(f"({re.escape(w.text)})" for w in token.words) + "$"
    m = re.match(pattern, token.text)
    if m:
        for i, (word, cols) in enumerate(zip(token.words, lines, strict=True)):
            _set_offsets(word, cols[9], m.start(i + 1) + start, m.end(i + 1) + start)


# --- writing ------------------------------------------------------------------------------


def _with_spaces(misc: str | None, token: Token) -> str | None:
    """A single-word token's MISC with its whitespace added back (sorted when both are there)."""
    needs_sorting = False
    for space in (
        space_after_to_misc(token.spaces_after) if token.spaces_after != " " else "",
        space_before_to_misc(token.spaces_before) if token.spaces_before else "",
    ):
        if space:
            if misc:
                misc, needs_sorting = misc + "|" + space, True
            else:
                misc = space
    return "|".join(sorted(misc.split("|"))) if needs_sorting and misc else misc


def _line(cols_id: str, text: str, lemma: str | None, upos: str | None, xpos: str | None, feats: str | None,
          head: int | None, deprel: str | None, deps: str | None, misc: str | None,
          start: int | None, end: int | None, ner: str | None, word: bool) -> str:
    parts = [misc] if misc else []
    if start is not None:
        parts.append(f"start_char={start}")
    if end is not None:
        parts.append(f"end_char={end}")
    if ner is not None:
        parts.append(f"ner={ner}")
    if feats:
        feats = "|".join(sorted(feats.split("|"), key=str.casefold))
    if head is None and word:
        head = int(cols_id) - 1  # stanza writes a dummy head for a word without one
    return "\t".join((
        cols_id, text, _out(lemma), _out(upos), _out(xpos), _out(feats),
        str(head) if head is not None else "_", _out(deprel), _out(deps), "|".join(parts) if parts else "_",
    ))


def _out(value: str | None) -> str:
    return "_" if value is None else value


def sentence_text(sentence: Sentence) -> str:
    """One sentence as CoNLL-U: its comments, then a line per token range and per word."""
    out = list(sentence.comments)
    for token in sentence.tokens:
        if len(token.id) > 1:
            out.append(_line("-".join(map(str, token.id)), token.text, None, None, None, None, None, None, None,
                             _with_spaces(token.misc, token), token.start_char, token.end_char, token.ner, False))
            for w in token.words:
                out.append(_line(str(w.id), w.text, w.lemma, w.upos, w.xpos, w.feats, w.head, w.deprel, w.deps,
                                 w.misc, w.start_char, w.end_char, None, True))
        else:
            w = token.words[0]
            out.append(_line(str(w.id), w.text, w.lemma, w.upos, w.xpos, w.feats, w.head, w.deprel, w.deps,
                             _with_spaces(w.misc, token), w.start_char, w.end_char, token.ner, True))
    return "\n".join(out)


def sentence_conllu(doc: Document) -> list[str]:
    """Each sentence as CoNLL-U, with ``start_char``/``end_char`` in MISC."""
    return [sentence_text(s) for s in doc.sentences]
