"""Test accuracy and fit time of TextRNNClassifier beside peers trained side by side
in the same run, on text and numeric sequence tasks.

Usage::

    python benchmarks/accuracy.py PATH/spamassassin.jsonl.gz [--jobs 2] [--quick]
        [--tasks spam words ...] [--seeds 0 1 2] [--ablation] [--locale-dir DIR]

Tasks (``_tasks.py`` says where each comes from; each has its own train/test split):
``spam`` (SpamAssassin, the path given), ``sentences`` (the tutorial's 58 / 20
sentences bundled in ``sklearn_rnn.datasets``), ``words`` (the language of a single
word, read by characters; words of the iso-codes translations installed under
``--locale-dir``), ``digits`` (8 rows of 8 pixels as sequences), and the UCR/UEA sets
shipped with aeon ``ACSF1`` (T=1460), ``OSULeaf`` (T=427) and ``JapaneseVowels``
(12 channels, lengths 7 to 29).

Models, every one fitted on the same split with ``random_state`` (or seed) 0, 1, 2
(``--seeds``; the sentences always take 0..9, so that the table can say how many
seeds reach 1.000):

- ours: ``TextRNNClassifier`` with its defaults, and each of ``VARIANTS`` changed
  alone (``--ablation`` adds more). A variant whose parameter or value this version
  of the package does not take is left out with a printed note;
- PyTorch ``nn.RNN`` in a small training loop and Keras 3 ``SimpleRNN`` (torch
  backend), both set up like our defaults (``_peers.py`` says how): same hidden size,
  pooling, optimizer, learning rate, batch size, clipping, penalty, stopping rule and
  epoch budget, and for text the ids of the same ``TextTokenizer``;
- text: TF-IDF + logistic regression (word 1-2-grams, or character 1-4-grams for the
  character task); numeric: 1-nearest neighbour (Euclidean on the flattened series)
  and aeon's ``MiniRocketClassifier``.

Budgets, the same for every recurrent model: at most ``MAX_EPOCHS`` epochs (200, our
default ``max_iter``, except where ``TASK_MAX_EPOCHS`` says less), and on SpamAssassin
the first ``_tasks.SPAM_MAX_LEN`` (300) tokens of each document. ``--quick`` keeps
about 1,000 training and 500 test samples of each task, 3 epochs and one seed: a
smoke run of a few minutes, whose numbers mean nothing.

Varying lengths (JapaneseVowels): our model gets a list of (T_i, d) arrays if it
takes one, else an array padded at the end with NaN if it takes that, else (said in
the output) an array padded with zeros, whose padding it then reads as data. PyTorch
leaves the padding out of the pooling, Keras masks it, 1-NN and MiniRocket read
zero-padded series.

Every fit runs in a worker process with one BLAS thread and one torch thread;
``--jobs 2`` runs two at a time (fit seconds then include some contention for
memory bandwidth). Fit seconds include tokenizing the training documents.
"""

import os

# Before numpy (and keras) are imported, so that BLAS starts with one thread here and
# in the workers, and Keras runs on PyTorch.
os.environ.update(
    OPENBLAS_NUM_THREADS="1",
    OMP_NUM_THREADS="1",
    MKL_NUM_THREADS="1",
    KERAS_BACKEND="torch",
)

import argparse
import platform
import shlex
import subprocess
import sys
import threading
import time
import warnings
from importlib import metadata

import numpy as np
from _peers import HIDDEN
from _tables import print_table
from _tasks import TASKS, UCR_TASKS, load_task
from joblib import Parallel, delayed

# Epochs every recurrent model may run: our default max_iter, less where a fit is
# long and small data rarely stops early (below 1,000 samples the stopping rule
# watches the training loss, which keeps creeping down).
MAX_EPOCHS = 200
TASK_MAX_EPOCHS = {"spam": 100, "ACSF1": 100, "OSULeaf": 100}
QUICK_EPOCHS = 3
SENTENCE_SEEDS = tuple(range(10))

# Our model: (label, parameters changed from the defaults); the defaults first.
VARIANTS = [
    ("defaults", {}),
    ("num_layers=2", {"num_layers": 2}),
    ("bidirectional=True", {"bidirectional": True}),
    ("nonlinearity='relu'", {"nonlinearity": "relu"}),
    ("pooling='last+mean+max'", {"pooling": "last+mean+max"}),
]
# Added by --ablation: the options of the earlier ablation that matter most.
ABLATION = [
    ("pooling='last'", {"pooling": "last"}),
    ("pooling='mean'", {"pooling": "mean"}),
    ("pooling='max'", {"pooling": "max"}),
    ("embedding_size=32", {"embedding_size": 32}),
    ("dropout=0.3", {"dropout": 0.3}),
    ("recurrent_init='orthogonal'", {"recurrent_init": "orthogonal"}),
]
TEXT_ONLY = {"embedding_size"}
PEERS = {
    "torch": "PyTorch nn.RNN",
    "keras": "Keras SimpleRNN",
    "tfidf": "TF-IDF + LogisticRegression",
    "1nn": "1-NN (Euclidean)",
    "minirocket": "MiniRocket (aeon)",
}
RNN_PEERS = ("torch", "keras")
DETERMINISTIC = ("tfidf", "1nn")
TASK_TITLES = {
    "spam": "SpamAssassin",
    "sentences": "Tutorial sentences",
    "words": "Language of a word (characters)",
    "digits": "Digits as 8 rows of 8 pixels",
    "ACSF1": "ACSF1 (UCR)",
    "OSULeaf": "OSULeaf (UCR)",
    "JapaneseVowels": "JapaneseVowels (UEA, varying lengths)",
}
# Longest fits first, so that the workers finish together.
COST = {"spam": 0, "ACSF1": 1, "OSULeaf": 2, "words": 3, "JapaneseVowels": 4}


# ------------------------------------------------------------------ checks
def one_line(error, limit=600):
    text = " ".join(str(error).split())
    return text if len(text) <= limit else text[: limit - 3] + "..."


def tiny_fit(params, X, y):
    """Fit TextRNNClassifier(**params) for one epoch on tiny data; None, or the
    first line of the error."""
    from sklearn.exceptions import ConvergenceWarning

    from sklearn_rnn import TextRNNClassifier

    try:
        clf = TextRNNClassifier(max_iter=1, random_state=0)
        clf.set_params(**params)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            clf.fit(X, y)
            clf.predict(X)
    except Exception as error:  # noqa: BLE001 - any failure leaves the variant out
        return f"{type(error).__name__}: {one_line(error)}"
    return None


def available_variants(variants):
    """(variants this package takes, notes on those it does not)."""
    kept, notes = [], []
    text = ["good", "not good", "bad", "not bad"]
    labels = [1, 0, 0, 1]
    for label, params in variants:
        error = tiny_fit(params, text, labels)
        if error is None:
            kept.append((label, params))
        else:
            notes.append(f"ours {label} left out: {error}")
    return kept, notes


def varying_length_input():
    """How our model gets sequences of different lengths: "list", "nan" or
    "zeros", and a note."""
    rng = np.random.default_rng(0)
    sequences = [rng.normal(size=(t, 2)) for t in (3, 5, 4, 2)]
    labels = [0, 1, 0, 1]
    error = tiny_fit({}, sequences, labels)
    if error is None:
        return "list", "ours reads varying lengths as a list of (T_i, d) arrays."
    padded = np.full((4, 5, 2), np.nan)
    for i, s in enumerate(sequences):
        padded[i, : len(s)] = s
    nan_error = tiny_fit({}, padded, labels)
    if nan_error is None:
        return "nan", (
            "ours reads varying lengths as a 3-D array padded with trailing NaN "
            f"(a list of arrays was refused: {error})."
        )
    return "zeros", (
        "FALLBACK: ours reads varying lengths ZERO-PADDED at the end, and reads the "
        f"padding as data (a list of arrays was refused: {error}; trailing NaN "
        f"padding was refused: {nan_error})."
    )


def peer_notes():
    notes = []
    for module in ("torch", "keras", "aeon"):
        try:
            __import__(module)
        except ImportError as error:
            notes.append(f"{module} cannot be imported ({error}): its models fail.")
    return notes


# ------------------------------------------------------------------ jobs
def run(job, config):
    """Fit one model on one task with one seed, in a worker; never raises."""
    import _peers

    task_name, model, seed = job
    try:
        task = load_task(
            task_name, config["spam_path"], config["locale_dir"], config["quick"]
        )
        budget = {
            "max_epochs": QUICK_EPOCHS
            if config["quick"]
            else TASK_MAX_EPOCHS.get(task_name, MAX_EPOCHS),
            "varying": config["varying"],
        }
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            if model in PEERS:
                result = getattr(_peers, f"fit_{model}")(task, seed, budget)
            else:
                result = _peers.ours(task, seed, budget, config["variants"][model])
        return job, result
    except Exception as error:  # noqa: BLE001 - reported in the output
        return job, f"{type(error).__name__}: {one_line(error)}"


def models_for(task_name, variants):
    """The models fitted on a task, in table order."""
    models = [label for label, params in variants if text_or_any(task_name, params)]
    models += list(RNN_PEERS)
    if task_name in ("spam", "sentences", "words"):
        models.append("tfidf")
    else:
        models += ["1nn", "minirocket"]
    return models


def text_or_any(task_name, params):
    numeric = task_name not in ("spam", "sentences", "words")
    return not (numeric and TEXT_ONLY & set(params))


def seeds_for(task_name, model, seeds, quick):
    if model in DETERMINISTIC:
        return seeds[:1]
    if task_name == "sentences" and not quick:
        return SENTENCE_SEEDS
    return seeds


def make_jobs(task_names, variants, seeds, quick):
    jobs = [
        (task_name, model, seed)
        for task_name in task_names
        for model in models_for(task_name, variants)
        for seed in seeds_for(task_name, model, seeds, quick)
    ]
    heavy = ("keras", "torch", "num_layers=2", "bidirectional=True")
    jobs.sort(key=lambda job: (COST.get(job[0], 9), job[1] not in heavy))
    return jobs


# ------------------------------------------------------------------ tables
def label_of(model):
    return PEERS.get(model, f"ours: {model}")


def summary(runs):
    """(accuracy "mean ± std", mean seconds, mean epochs) of the results that did
    not fail (a failure is its error message)."""
    runs = [r for r in runs if not isinstance(r, str)]
    accuracies = np.array([r[0] for r in runs])
    epochs = [r[2] for r in runs if r[2] is not None]
    return (
        f"{accuracies.mean():.3f} ± {accuracies.std():.3f}",
        f"{np.mean([r[1] for r in runs]):.1f}",
        f"{np.mean(epochs):.0f}" if epochs else "n/a",
    )


def seeds_text(model, seeds):
    if model in DETERMINISTIC:
        return "deterministic"
    if len(seeds) > 2 and seeds == tuple(range(seeds[0], seeds[-1] + 1)):
        return f"{seeds[0]}..{seeds[-1]}"
    return ", ".join(map(str, seeds))


def print_task(task_name, task, variants, results, seeds, quick):
    budget = QUICK_EPOCHS if quick else TASK_MAX_EPOCHS.get(task_name, MAX_EPOCHS)
    print(f"## {task_name}: {TASK_TITLES[task_name]}\n")
    extra = f", first {task.max_len} tokens" if task.max_len else ""
    print(
        f"Train / test: {task.describe()}. Recurrent models: at most {budget} "
        f"epochs{extra}.\n"
    )
    sentences = task_name == "sentences"
    header = ["model", "test accuracy", "fit s", "epochs", "seeds"]
    if sentences:
        header.append("seeds at 1.000")
    rows, failures = [], []
    for model in models_for(task_name, variants):
        model_seeds = seeds_for(task_name, model, seeds, quick)
        runs = [results[task_name, model, seed] for seed in model_seeds]
        failed = [
            s for s, r in zip(model_seeds, runs, strict=True) if isinstance(r, str)
        ]
        for seed, run in zip(model_seeds, runs, strict=True):
            if isinstance(run, str):
                failures.append(f"{label_of(model)}, seed {seed}: {run}")
        if len(failed) == len(runs):
            row = [label_of(model), "failed", "n/a", "n/a", seeds_text(model, failed)]
            rows.append(row + (["n/a"] if sentences else []))
            continue
        ok = tuple(s for s in model_seeds if s not in failed)
        seed_text = seeds_text(model, ok)
        if failed:
            seed_text += f" ({', '.join(map(str, failed))} failed)"
        row = [label_of(model), *summary(runs), seed_text]
        if sentences:
            perfect = sum(not isinstance(r, str) and r[0] == 1.0 for r in runs)
            row.append(f"{perfect}/{len(runs)}")
        rows.append(row)
    print_table(header, rows)
    for failure in failures:
        print(f"Failed: {failure}")
    if failures:
        print()


def mean_accuracy(results, task_name, model, seeds, quick):
    """Mean accuracy over the seeds that did not fail (None if all did), and
    whether some failed."""
    runs = [
        results[task_name, model, s] for s in seeds_for(task_name, model, seeds, quick)
    ]
    ok = [r[0] for r in runs if not isinstance(r, str)]
    if not ok:
        return None, True
    return float(np.mean(ok)), len(ok) < len(runs)


def print_overview(task_names, variants, results, seeds, quick):
    print("## All tasks: mean test accuracy\n")
    models, footnote = [], False
    for task_name in task_names:
        models += [m for m in models_for(task_name, variants) if m not in models]
    rows = []
    for model in models:
        row = [label_of(model)]
        for task_name in task_names:
            if model not in models_for(task_name, variants):
                row.append("")
                continue
            accuracy, failed = mean_accuracy(results, task_name, model, seeds, quick)
            text = "failed" if accuracy is None else f"{accuracy:.3f}"
            partial = failed and accuracy is not None
            row.append(text + ("*" if partial else ""))
            footnote = footnote or partial
        rows.append(row)
    print_table(["model", *task_names], rows)
    if footnote:
        print("*: some seeds failed; the mean of the others (see the task's table).\n")


def print_ablation(task_names, variants, results, seeds, quick):
    print("## Ablation: each option changed alone, test accuracy minus the defaults'\n")
    rows = []
    for label, params in variants[1:]:
        row = [label]
        for task_name in task_names:
            if not text_or_any(task_name, params):
                row.append("(text only)")
                continue
            base, _ = mean_accuracy(results, task_name, "defaults", seeds, quick)
            accuracy, failed = mean_accuracy(results, task_name, label, seeds, quick)
            if base is None or accuracy is None:
                row.append("failed")
            else:
                row.append(f"{accuracy - base:+.3f}" + ("*" if failed else ""))
        rows.append(row)
    print_table(["change", *task_names], rows)


def versions():
    names = ("numpy", "scikit-learn", "sklearn-rnn", "torch", "keras", "aeon")
    found = []
    for name in names:
        try:
            found.append(f"{name} {metadata.version(name)}")
        except metadata.PackageNotFoundError:
            found.append(f"{name} (not installed)")
    here = os.path.dirname(os.path.abspath(__file__))
    commit = subprocess.run(
        ["git", "-C", here, "describe", "--always", "--dirty"],
        capture_output=True,
        text=True,
    ).stdout.strip()
    if commit:
        found.append(f"working tree at {commit}")
    return ", ".join(found)


def cpu_name():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


# ------------------------------------------------------------------ main
class LoadSampler:
    """The 1-minute load average every 10 s in a thread, to tell whether other
    processes competed with the fits."""

    def __init__(self):
        self.samples = [os.getloadavg()[0]]
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()

    def _sample(self):
        while not self._done.wait(10):
            self.samples.append(os.getloadavg()[0])

    def stop(self):
        self._done.set()
        self._thread.join()
        self.samples.append(os.getloadavg()[0])


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "spamassassin", nargs="?", help="path of spamassassin.jsonl.gz (task spam)"
    )
    parser.add_argument("--jobs", type=int, default=1, help="fits run at a time")
    parser.add_argument("--quick", action="store_true", help="a smoke run")
    parser.add_argument(
        "--tasks",
        nargs="+",
        choices=TASKS,
        default=list(TASKS),
        metavar="TASK",
        help=f"tasks to run (default: all of {', '.join(TASKS)})",
    )
    parser.add_argument(
        "--seeds",
        nargs="+",
        type=int,
        default=None,
        help="random_state values (default 0 1 2, or 0 with --quick)",
    )
    parser.add_argument(
        "--ablation", action="store_true", help="more variants of our model"
    )
    parser.add_argument(
        "--locale-dir",
        default="/usr/share/locale",
        help="where iso-codes' translations are installed (task words)",
    )
    args = parser.parse_args()
    if "spam" in args.tasks and args.spamassassin is None:
        parser.error("the spam task needs the path of spamassassin.jsonl.gz")
    seeds = tuple(args.seeds or ((0,) if args.quick else (0, 1, 2)))
    task_names = [t for t in TASKS if t in args.tasks]

    start = time.perf_counter()
    load = LoadSampler()
    variants, notes = available_variants(VARIANTS + (ABLATION if args.ablation else []))
    varying, varying_note = varying_length_input()
    notes += peer_notes()
    config = {
        "spam_path": args.spamassassin,
        "locale_dir": args.locale_dir,
        "quick": args.quick,
        "varying": varying,
        "variants": dict(variants),
    }
    tasks = {
        name: load_task(name, args.spamassassin, args.locale_dir, args.quick)
        for name in task_names
    }
    jobs = make_jobs(task_names, variants, seeds, args.quick)
    done = Parallel(n_jobs=args.jobs)(delayed(run)(job, config) for job in jobs)
    results = dict(done)
    load.stop()

    print("# TextRNNClassifier beside its peers: test accuracy and fit time\n")
    print(f"Command: python {shlex.join(sys.argv)}\n")
    print(
        f"Machine: {cpu_name()}, {os.cpu_count()} cores, {platform.system()}, Python "
        f"{platform.python_version()}; {args.jobs} fit(s) at a time, 1 BLAS thread "
        "and 1 torch thread each.\n"
    )
    print(f"Versions: {versions()}.\n")
    print(
        f"Load average (1 min) during the fits: mean {np.mean(load.samples):.1f}, "
        f"max {np.max(load.samples):.1f}. This run's fits account for up to "
        f"{args.jobs}; more means other processes shared the {os.cpu_count()} cores "
        "and fit seconds are inflated (accuracy is not affected).\n"
    )
    print(
        f"Recurrent models: {HIDDEN} hidden units, tanh (unless a variant says), "
        "Adam at 0.01, batches of 200, gradient norm clipped at 5, L2 1e-4 / batch, "
        "early stopping on a stratified 10% validation split (patience 10) from "
        "1,000 training samples on, else on the training loss; our model with its "
        "defaults, PyTorch and Keras set up the same way (benchmarks/_peers.py). "
        "Accuracy: mean ± standard deviation over the seeds; fit s and epochs: "
        "means.\n"
    )
    if any(name in UCR_TASKS for name in task_names):
        print(f"Varying lengths: {varying_note}\n")
    for note in notes:
        print(f"Note: {note}")
    if notes:
        print()
    for name in task_names:
        print_task(name, tasks[name], variants, results, seeds, args.quick)
    print_overview(task_names, variants, results, seeds, args.quick)
    print_ablation(task_names, variants, results, seeds, args.quick)
    print(
        f"Total benchmark time: {time.perf_counter() - start:.0f} s ({len(jobs)} fits)."
    )


if __name__ == "__main__":
    main()
