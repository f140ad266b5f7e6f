"""Data helpers the benchmark scripts share."""

import gzip
import json


def spamassassin_rows(path):
    """Every message of the SpamAssassin corpus file, as a list of dicts with the
    keys ``subject``, ``text``, ``label`` ("ham"/"spam"), ``group`` and ``split``
    ("train" for the ``*-1`` groups, "test" for the ``*-2`` groups)."""
    with gzip.open(path, "rt", encoding="utf-8") as f:
        return [json.loads(line) for line in f]


def load_spamassassin(path):
    """(train documents, labels), (test documents, labels): subject and body."""
    rows = spamassassin_rows(path)
    return [
        (
            [r["subject"] + "\n" + r["text"] for r in rows if r["split"] == split],
            [r["label"] for r in rows if r["split"] == split],
        )
        for split in ("train", "test")
    ]
