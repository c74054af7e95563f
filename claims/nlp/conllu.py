"""CoNLL-U in and out, through stanza's own reader and writer."""

from __future__ import annotations

import warnings

from stanza.models.common.doc import Document
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


def text_of_conllu(raw: str, path: str = "<conllu>") -> str:
    return str(read_conllu(raw, path).text or "")


def sentence_conllu(doc: Document) -> list[str]:
    """Each sentence as CoNLL-U, with ``start_char``/``end_char`` in MISC."""
    return [f"{s:C}" for s in doc.sentences]


def document_from_stored(text: str, conllus: list[str]) -> Document:
    """Rebuild a parsed Document from stored sentence CoNLL-U: no parser needed."""
    doc = CoNLL.conll2doc(input_str="\n\n".join(c.strip("\n") for c in conllus) + "\n")
    doc.text = text
    for sentence in doc.sentences:
        if len(sentence.tokens) > 0:
            sentence.text = text[sentence.tokens[0].start_char : sentence.tokens[-1].end_char]
    doc.build_ents()
    return doc
