"""The classification tasks of benchmarks/accuracy.py, each with its own train/test
split (imported from the benchmarks directory).

A task is a :class:`Task`: its training and test samples, whether they are text
(read by words or by characters) or numeric sequences, and the budget every
recurrent model gets on it. Numeric samples are arrays of shape (n, T, d) when all
sequences have the same length, else lists of arrays of shape (T_i, d).

Sources, all read from this machine (nothing is downloaded):

- ``spam``: the SpamAssassin corpus file given on the command line (see
  ``_data.load_spamassassin``): its ``train`` split (the ``*-1`` groups) against its
  ``test`` split (``*-2``), each document its subject and body.
- ``sentences``: the tutorial's sentences bundled in ``sklearn_rnn.datasets``
  (``load_sentiment``), 58 train and 20 test.
- ``words``: the language of a single word. The words are those of the translated
  names of countries, subdivisions, languages, currencies and scripts in the
  iso-codes project (Debian's ``iso-codes`` package installs its translations as
  ``LOCALE_DIR/<lang>/LC_MESSAGES/iso_*.mo``, LGPL-2.1), for ten languages written
  in the Latin alphabet. A word is a run of three or more letters, lowercased; a word
  found in two of the ten languages, or in the English originals, is dropped (it
  cannot be told apart, or is a name left untranslated). 600 words are drawn per
  language, a stratified 75/25 split.
- ``digits``: scikit-learn's ``load_digits`` as sequences of 8 rows of 8 pixels,
  pixels / 16, a stratified 75/25 split with ``random_state=0``.
- ``ACSF1``, ``OSULeaf``, ``JapaneseVowels``: UCR/UEA archive sets shipped inside
  the ``aeon`` wheel, read with ``aeon.datasets.load_classification`` and their own
  train/test splits. JapaneseVowels is multivariate (12 channels) with lengths 7 to
  29.
"""

import os
import re
import struct
from dataclasses import dataclass, field
from functools import cache

import numpy as np

TASKS = ("spam", "sentences", "words", "digits", "ACSF1", "OSULeaf", "JapaneseVowels")
UCR_TASKS = ("ACSF1", "OSULeaf", "JapaneseVowels")

# The languages of the words task: ten written in the Latin alphabet, from five
# families (Germanic, Romance, Slavic, Uralic, Turkic), each with more than 600
# words of its own in the iso-codes translations.
WORD_LANGUAGES = ("cs", "de", "fi", "fr", "hu", "it", "nl", "pl", "sv", "tr")
WORDS_PER_LANGUAGE = 600
ISO_DOMAINS = (
    "iso_3166-1",
    "iso_3166-2",
    "iso_3166-3",
    "iso_639-2",
    "iso_639-3",
    "iso_639-5",
    "iso_4217",
    "iso_15924",
)
_WORD = re.compile(r"[^\W\d_]{3,}")

# Tokens of a SpamAssassin document every recurrent model reads (its first ones):
# the median document has 175 (so more than half are read whole), the longest
# 24,697. Whole documents take our model about 5 s an epoch, and the peers, which
# step through every padded position of a batch up to its longest document, far
# longer: too long for seven recurrent models times three seeds.
SPAM_MAX_LEN = 300


@dataclass
class Task:
    """One train/test split and how the models read it."""

    name: str
    X_train: object
    y_train: np.ndarray
    X_test: object
    y_test: np.ndarray
    # "word" or "char" for text, None for numeric sequences.
    analyzer: str | None = None
    # Steps (tokens) every recurrent model reads of a sequence; None reads all.
    max_len: int | None = None
    notes: list = field(default_factory=list)

    @property
    def text(self):
        return self.analyzer is not None

    @property
    def varying_length(self):
        return isinstance(self.X_train, list) and not self.text

    def describe(self):
        """A short description of the data: sizes, classes, lengths."""
        classes = len(np.unique(self.y_train))
        sizes = f"{len(self.y_train)} / {len(self.y_test)}, {classes} classes"
        if self.text:
            return f"{sizes}, {self.analyzer}s"
        if self.varying_length:
            lengths = [len(x) for x in self.X_train]
            shape = f"T={min(lengths)}..{max(lengths)}, d={self.X_train[0].shape[1]}"
        else:
            shape = f"T={self.X_train.shape[1]}, d={self.X_train.shape[2]}"
        return f"{sizes}, {shape}"


# --------------------------------------------------------------------- loaders
def load_task(name, spam_path=None, locale_dir=None, quick=False):
    """The :class:`Task` called ``name`` (one of ``TASKS``); cached per process, so
    that a worker process reads each corpus once."""
    return _load_task(name, spam_path, locale_dir, quick)


@cache
def _load_task(name, spam_path, locale_dir, quick):
    if name == "spam":
        task = spam_task(spam_path)
    elif name == "sentences":
        task = sentences_task()
    elif name == "words":
        task = words_task(locale_dir)
    elif name == "digits":
        task = digits_task()
    elif name in UCR_TASKS:
        task = ucr_task(name)
    else:
        raise ValueError(f"unknown task {name!r}; known: {', '.join(TASKS)}")
    if quick:
        shrink(task)
    return task


def shrink(task):
    """Keep about 1,000 training and 500 test samples (every k-th), for a smoke
    run."""
    for part, size in (("train", 1000), ("test", 500)):
        X, y = getattr(task, f"X_{part}"), getattr(task, f"y_{part}")
        step = max(1, len(y) // size)
        keep = np.arange(0, len(y), step)
        X = [X[i] for i in keep] if isinstance(X, list) else X[keep]
        setattr(task, f"X_{part}", X)
        setattr(task, f"y_{part}", y[keep])
    if len(np.unique(task.y_train)) != len(np.unique(task.y_test)):
        raise ValueError(f"--quick left {task.name} without some class")


def spam_task(path):
    from _data import load_spamassassin

    if path is None:
        raise ValueError("the spam task needs the path of spamassassin.jsonl.gz")
    (X_train, y_train), (X_test, y_test) = load_spamassassin(path)
    return Task(
        "spam",
        X_train,
        np.asarray(y_train),
        X_test,
        np.asarray(y_test),
        analyzer="word",
        max_len=SPAM_MAX_LEN,
    )


def sentences_task():
    from sklearn_rnn.datasets import load_sentiment

    X_train, y_train = load_sentiment(subset="train", return_X_y=True)
    X_test, y_test = load_sentiment(subset="test", return_X_y=True)
    return Task("sentences", X_train, y_train, X_test, y_test, analyzer="word")


def digits_task():
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    X, y = load_digits(return_X_y=True)
    X_train, X_test, y_train, y_test = train_test_split(
        X.reshape(-1, 8, 8) / 16.0, y, test_size=0.25, random_state=0, stratify=y
    )
    return Task("digits", X_train, y_train, X_test, y_test)


def ucr_task(name):
    """A UCR/UEA set shipped with aeon, as (n, T, d) arrays or lists of (T_i, d)."""
    from aeon.datasets import load_classification

    parts = []
    for split in ("train", "test"):
        X, y = load_classification(name, split=split)
        # aeon stores (channels, time); the recurrent models read (time, features).
        if isinstance(X, list):
            X = [np.ascontiguousarray(x.T) for x in X]
        else:
            X = np.ascontiguousarray(X.transpose(0, 2, 1))
        parts += [X, np.asarray(y)]
    return Task(name, *parts)


def words_task(locale_dir):
    from sklearn.model_selection import train_test_split

    words, labels = word_languages(locale_dir)
    X_train, X_test, y_train, y_test = train_test_split(
        words, labels, test_size=0.25, random_state=0, stratify=labels
    )
    return Task(
        "words", X_train, np.asarray(y_train), X_test, np.asarray(y_test), "char"
    )


def word_languages(locale_dir, languages=WORD_LANGUAGES, per_language=None):
    """(words, language codes): ``per_language`` words of each language (see the
    module docstring), in a fixed order."""
    per_language = per_language or WORDS_PER_LANGUAGE
    originals, by_language = set(), {}
    for language in languages:
        found = set()
        for domain in ISO_DOMAINS:
            path = os.path.join(locale_dir, language, "LC_MESSAGES", domain + ".mo")
            if not os.path.exists(path):
                continue
            for original, translated in read_mo(path):
                originals.update(w.lower() for w in _WORD.findall(original))
                found.update(w.lower() for w in _WORD.findall(translated))
        by_language[language] = found
    if not any(by_language.values()):
        raise FileNotFoundError(
            f"no iso-codes translations (iso_*.mo) under {locale_dir}; install "
            "Debian's iso-codes package or pass --locale-dir"
        )
    seen = {}
    for found in by_language.values():
        for word in found:
            seen[word] = seen.get(word, 0) + 1
    rng = np.random.default_rng(0)
    words, labels = [], []
    for language, found in by_language.items():
        own = sorted(w for w in found if seen[w] == 1 and w not in originals)
        if len(own) < per_language:
            raise ValueError(
                f"{language}: {len(own)} words of its own, fewer than {per_language}"
            )
        chosen = rng.choice(len(own), size=per_language, replace=False)
        words += [own[i] for i in sorted(chosen)]
        labels += [language] * per_language
    return words, labels


def read_mo(path):
    """The (original, translation) pairs of a GNU gettext .mo file, the header and
    untranslated entries left out; for plural forms, the first of each."""
    with open(path, "rb") as f:
        data = f.read()
    magic = struct.unpack("<I", data[:4])[0]
    order = "<" if magic == 0x950412DE else ">"
    n, originals_at, translations_at = struct.unpack(order + "3I", data[8:20])

    def string(table, i):
        length, offset = struct.unpack(
            order + "2I", data[table + 8 * i : table + 8 * i + 8]
        )
        return data[offset : offset + length].decode("utf-8").split("\x00")[0]

    pairs = []
    for i in range(n):
        original = string(originals_at, i)
        translation = string(translations_at, i)
        if original and translation and translation != original:
            pairs.append((original, translation))
    return pairs
