"""The demo: ``python -m sklearn_rnn`` trains on the tutorial's sentences and reports.

It fits ``TextRNNClassifier`` with its default parameters on the 58 training sentences
of the tutorial this project started from and scores it on the 20 test sentences.
"""

import argparse
import time

from sklearn_rnn import TextRNNClassifier, __version__
from sklearn_rnn.datasets import load_sentiment


def main(argv=None):
    parser = argparse.ArgumentParser(
        prog="python -m sklearn_rnn",
        description="Train TextRNNClassifier on the tutorial's sentiment sentences.",
    )
    parser.add_argument(
        "--random-state", type=int, default=0, help="seed for reproducible training"
    )
    parser.add_argument(
        "--every", type=int, default=10, help="print progress every N epochs"
    )
    args = parser.parse_args(argv)

    train = load_sentiment(subset="train")
    test = load_sentiment(subset="test")
    print(f"sklearn_rnn {__version__}: tutorial sentiment data")
    print(f"{len(train.data)} training and {len(test.data)} test sentences\n")

    clf = TextRNNClassifier(random_state=args.random_state, verbose=args.every)
    start = time.perf_counter()
    clf.fit(train.data, train.target)
    seconds = time.perf_counter() - start

    train_acc = clf.score(train.data, train.target)
    test_acc = clf.score(test.data, test.target)
    print(f"\nFitted in {seconds:.2f} s ({clf.n_iter_} epochs).")
    print(f"Train accuracy: {train_acc:.3f}")
    print(f"Test accuracy:  {test_acc:.3f}\n")

    examples = ["this is not at all bad", "i am not happy", "i was very good earlier"]
    names = test.target_names
    for text, proba in zip(examples, clf.predict_proba(examples), strict=True):
        label = names[clf.classes_[proba.argmax()]]
        print(f"  {text!r:28} -> {label} (p = {proba.max():.3f})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
