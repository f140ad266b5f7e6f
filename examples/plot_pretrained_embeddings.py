"""
Pretrained word vectors for a small labelled set
================================================

Labelled sentences are expensive and unlabelled text is cheap. Word vectors learnt
from unlabelled text (word2vec, GloVe, fastText) place words that occur in the same
contexts close together, so a classifier that starts from them can treat a word it
met in a handful of labelled sentences, or never, like its neighbours.

This example trains gensim's ``Word2Vec`` on unlabelled
sentences, passes its vectors to :class:`~sklearn_rnn.TextRNNClassifier` as
``embedding_init`` (frozen with ``freeze_embedding=True``, or trained further), and
measures the effect on a labelled set of 40 sentences that uses only four of the
sixteen sentiment adjectives. Two things decide the outcome: whether the vectors
may move during training, and which words the model's vocabulary holds.

The text is synthetic, generated from a small grammar, so that the example runs
offline in seconds: in it, words of one sentiment appear in the same contexts ("i
loved the film , it was ...", "... and we want a refund"). That is the property
word2vec exploits in real text, made explicit here; real text is noisier, and the
numbers below are about this grammar only.
"""

import numpy as np
from gensim.models import Word2Vec

from sklearn_rnn import TextRNNClassifier, TextTokenizer

POSITIVE = ["good", "great", "excellent", "superb", "wonderful", "lovely"]
POSITIVE += ["brilliant", "fantastic"]
NEGATIVE = ["bad", "awful", "terrible", "horrible", "dreadful", "poor"]
NEGATIVE += ["lousy", "dismal"]
NOUNS = ["food", "service", "film", "room", "staff", "music", "book", "hotel"]
NOUNS += ["show", "meal"]
# What surrounds an adjective in the unlabelled text gives its sentiment away.
CONTEXTS = {
    True: [
        "i loved the {noun} , it was {adj}",
        "the {noun} was {adj} and we will come back",
        "{adj} {noun} , highly recommended",
        "we were happy , the {noun} was really {adj}",
        "i could not fault the {noun} , it was {adj}",
    ],
    False: [
        "i hated the {noun} , it was {adj}",
        "the {noun} was {adj} and we want a refund",
        "{adj} {noun} , avoid it",
        "we were upset , the {noun} was really {adj}",
        "i did not like the {noun} , it was {adj}",
    ],
}

rng = np.random.default_rng(0)


def unlabelled_sentences(n):
    """Review-like sentences without labels."""
    sentences = []
    for _ in range(n):
        positive = bool(rng.random() < 0.5)
        adjective = rng.choice(POSITIVE if positive else NEGATIVE)
        template = rng.choice(CONTEXTS[positive])
        sentences.append(template.format(noun=rng.choice(NOUNS), adj=adjective))
    return sentences


corpus = unlabelled_sentences(4000)
print("\n".join(corpus[:3]))

# %%
# Word vectors from the unlabelled text
# -------------------------------------
# Skip-gram word2vec with 16 values per word; one worker thread and a seed make it
# reproducible. The nearest neighbours of two adjectives that the labelled set
# below never uses are adjectives of the same sentiment.
w2v = Word2Vec(
    [sentence.split() for sentence in corpus],
    vector_size=16,
    window=4,
    min_count=1,
    sg=1,
    epochs=10,
    seed=0,
    workers=1,
)
for word in ["excellent", "terrible"]:
    neighbours = [other for other, _ in w2v.wv.most_similar(word, topn=4)]
    print(f"nearest to {word!r}: {', '.join(neighbours)}")

# %%
# A small labelled set
# --------------------
# Forty labelled sentences built from four adjectives ("good", "great", "bad",
# "awful"), about half of them negated, so that the model must read "not" before
# the adjective. Two test sets of 200 sentences each, none of them a training
# sentence: one with the same four adjectives, one with the twelve others, which
# occur in the unlabelled text but in no labelled sentence.
TEMPLATES = ["the {noun} was {adj}", "the {noun} was not {adj}"]
TEMPLATES += ["a {adj} {noun}", "not a {adj} {noun}"]


def labelled_sentences(adjectives, n, leave_out=()):
    X, y = [], []
    while len(X) < n:
        adjective, template = rng.choice(adjectives), rng.choice(TEMPLATES)
        sentence = template.format(noun=rng.choice(NOUNS), adj=adjective)
        if sentence in leave_out:
            continue
        X.append(sentence)
        negated = "not" in template.split()
        y.append(int((adjective in POSITIVE) != negated))
    return X, np.array(y)


seen = POSITIVE[:2] + NEGATIVE[:2]
X_train, y_train = labelled_sentences(seen, 40)
X_seen, y_seen = labelled_sentences(seen, 200, leave_out=set(X_train))
unseen = POSITIVE[2:] + NEGATIVE[2:]
X_unseen, y_unseen = labelled_sentences(unseen, 200)
print(f"{len(X_train)} labelled sentences, e.g. {X_train[:3]}")

# %%
# Which words the model knows
# ---------------------------
# By default the classifier learns its vocabulary from the documents passed to
# ``fit``: here the 40 labelled sentences. Vectors are looked up for that
# vocabulary only, so an adjective of the second test set is the unknown token,
# whatever ``embedding_init`` holds for it:


def as_read(tokenizer, document):
    """The document as the model reads it: the token of each id."""
    ids, _ = tokenizer.transform_ragged([document])
    return " ".join(tokenizer.tokens_[ids])


labelled_vocabulary = TextTokenizer().fit(X_train)
print(f"{X_unseen[0]!r} is read as {as_read(labelled_vocabulary, X_unseen[0])!r}")

# %%
# To give those words their vectors, fit the vocabulary beforehand on all the
# text at hand (the unlabelled corpus and the labelled sentences) and keep it
# when the classifier is fitted: wrapped in scikit-learn's
# ``sklearn.frozen.FrozenEstimator``, a fitted tokenizer is kept as it is
# through ``clone`` and ``fit``.
from sklearn.frozen import FrozenEstimator

corpus_vocabulary = FrozenEstimator(TextTokenizer().fit(corpus + X_train))
print(f"{X_unseen[0]!r} is read as {as_read(corpus_vocabulary, X_unseen[0])!r}")

# %%
# Random and pretrained embeddings, compared
# ------------------------------------------
# Each model has an embedding of 16 values per word (random vectors with
# ``embedding_size=16``, else the word2vec vectors) and 16 hidden units, and is
# fitted with five seeds; the data and the word vectors stay the same. The last
# model trains the vectors without the L2 penalty (``alpha=0``), for a reason
# explained below the table.
wv = w2v.wv
models = {
    "random": {"embedding_size": 16},
    "word2vec, trained": {"embedding_init": wv},
    "word2vec, frozen": {"embedding_init": wv, "freeze_embedding": True},
    "random, all text": {"embedding_size": 16, "tokenizer": corpus_vocabulary},
    "word2vec, trained, all text": {
        "embedding_init": wv,
        "tokenizer": corpus_vocabulary,
    },
    "word2vec, frozen, all text": {
        "embedding_init": wv,
        "freeze_embedding": True,
        "tokenizer": corpus_vocabulary,
    },
    "word2vec, trained, alpha=0, all text": {
        "embedding_init": wv,
        "alpha": 0.0,
        "tokenizer": corpus_vocabulary,
    },
}
scores, first_fits = {}, {}
for name, params in models.items():
    result = []
    for seed in range(5):
        clf = TextRNNClassifier(
            hidden_size=16, max_iter=400, random_state=seed, **params
        ).fit(X_train, y_train)
        result.append([clf.score(X_seen, y_seen), clf.score(X_unseen, y_unseen)])
        first_fits.setdefault(name, clf)
    scores[name] = np.array(result)

print(f"{'embedding, vocabulary':38} {'seen adjectives':>17} {'unseen adjectives':>19}")
for name, result in scores.items():
    mean, low, high = result.mean(axis=0), result.min(axis=0), result.max(axis=0)
    cells = [
        f"{m:.2f} ({lo:.2f}-{hi:.2f})"
        for m, lo, hi in zip(mean, low, high, strict=True)
    ]
    print(f"{name:38} {cells[0]:>17} {cells[1]:>19}")

# %%
# Mean test accuracy over the five seeds, with the lowest and highest in
# brackets; "all text" marks the vocabulary fitted on the unlabelled text too.
# On this grammar:
#
# - With the vocabulary of the labelled sentences, an unseen adjective is the
#   unknown token for every model, and every model is at chance (about 0.5) on
#   those sentences. The word2vec vectors still help on the four adjectives the
#   labelled set has, most when frozen.
# - With the vocabulary of all the text, the frozen word2vec vectors carry what
#   the unlabelled text says about the twelve other adjectives through to the
#   classifier. Random vectors for those words tell the model nothing, and
#   word2vec vectors trained with the classifier lose most or all of it.
#
# Why training the vectors loses it
# ---------------------------------
# The rows of the twelve unseen adjectives get no gradient from the data, as no
# labelled sentence holds them; with ``alpha > 0`` they get the L2 penalty's,
# which points towards zero. Adam divides each parameter's gradient by its own
# running scale, so even this small, steady pull moves each value by about
# ``learning_rate_init`` per step. After fitting (first seed), the mean length
# of the unseen adjectives' vectors, and how far the four labelled adjectives'
# vectors have moved from where word2vec put them:
vocabulary = corpus_vocabulary.vocabulary_
print(f"{'word2vec':38} unseen length {np.linalg.norm(wv[unseen], axis=1).mean():.2f}")
for name in models:
    if "all text" in name and name.startswith("word2vec"):
        embedding = first_fits[name].embedding_weights_
        length = np.linalg.norm(embedding[[vocabulary[w] for w in unseen]], axis=1)
        moved = embedding[[vocabulary[w] for w in seen]] - wv[seen]
        print(
            f"{name:38} unseen length {length.mean():.2f}, "
            f"seen moved by {np.linalg.norm(moved, axis=1).mean():.2f}"
        )

# %%
# With the default ``alpha=1e-4`` the vectors of the unseen adjectives are
# almost gone after fitting. Without the penalty they keep their values, yet the
# accuracy on them is lower than with frozen vectors: the vectors of the four
# labelled adjectives have moved about as far as they are long, so the
# classifier learns to read them where training took them, while their unseen
# neighbours stay where word2vec put them.
#
# With few labelled sentences and many words outside them, then: fit the
# vocabulary on more text than the labelled set, and freeze the pretrained
# vectors (``freeze_embedding=True``).
#
# The vectors and the scores in a figure
# --------------------------------------
# Left: where word2vec put the sixteen adjectives along the principal axis of
# their vectors (the direction in which they differ most); the labelled set uses
# the four marked with an asterisk. Right: test accuracy of each model, one dot
# per seed.
import matplotlib.pyplot as plt
from sklearn.decomposition import PCA

adjectives = POSITIVE + NEGATIVE
axis = PCA(n_components=1).fit_transform(wv[adjectives])[:, 0]
order = np.argsort(axis)
fig, (ax_words, ax_scores) = plt.subplots(
    1, 2, figsize=(10, 4.4), gridspec_kw={"width_ratios": [1, 1.6]}
)
ax_words.barh(
    np.arange(len(adjectives)),
    axis[order],
    color=["tab:blue" if adjectives[i] in POSITIVE else "tab:red" for i in order],
)
ax_words.set_yticks(
    np.arange(len(adjectives)),
    [adjectives[i] + (" *" if adjectives[i] in seen else "") for i in order],
)
ax_words.set(
    title="word2vec: first principal axis\n(blue: positive, red: negative)",
    xlabel="coordinate",
)

positions = np.arange(len(scores))[::-1]
for column, (label, color) in enumerate(
    [("seen adjectives", "tab:gray"), ("unseen adjectives", "tab:purple")]
):
    for position, result in zip(positions, scores.values(), strict=True):
        ax_scores.scatter(
            result[:, column],
            np.full(len(result), position + 0.15 - 0.3 * column),
            color=color,
            s=16,
            label=label if position == positions[0] else None,
        )
ax_scores.axvline(0.5, color="gray", linestyle=":")
ax_scores.set_yticks(positions, list(scores), fontsize=8)
ax_scores.set(xlim=(0, 1.05), xlabel="test accuracy", title="five seeds each")
ax_scores.legend(loc="lower left", fontsize=8)
fig.tight_layout()
plt.show()

# %%
# With vectors trained elsewhere
# ------------------------------
# Published vectors (GloVe, fastText) load with gensim's
# ``KeyedVectors.load_word2vec_format`` and go into ``embedding_init`` the same
# way; a dict from word to vector, or a pair ``(words, matrix)``, works too.
# Words are matched as the tokenizer writes them (lowercased by default), and the
# embedding then has the vectors' size. The vectors are a parameter of the
# classifier and are saved with it: ``clf.set_params(embedding_init=None)`` after
# fitting keeps them out of the file (the fitted embedding stays).
