"""R^2 and fit time of TextRNNRegressor on real regression data, next to Ridge and
MLPRegressor, and the measured effect of its target scaling.

Usage::

    pip download --no-deps --no-binary :all: vaderSentiment==3.3.2 -d DIR
    python benchmarks/regression.py DIR/vaderSentiment-3.3.2.tar.gz [--quick]

It needs aeon for the numeric data sets (bundled with aeon, read offline). aeon pins
numpy, pandas and scikit-learn below their next releases, so install it in a
virtual environment of its own rather than in the development one::

    python -m venv .venv-bench && .venv-bench/bin/pip install -e ".[bench]" aeon

Data sets (all real; the split is fixed and printed):

- Covid3Month (aeon; Monash/UEA time series extrinsic regression archive): daily
  confirmed COVID-19 cases of 201 countries over three months (84 steps, one
  feature); target: the country's death rate on 1 April 2020. The archive's
  split, 140 / 61.
- CardanoSentiment (same archive): 107 days of Cardano's hourly price and traded
  volume (24 steps, two features); target: that day's normalised news sentiment
  score. The archive's split, 74 / 33.
- Seattle weather: NOAA's daily observations for Seattle 2012-2015 (public domain;
  the file shipped with the gallery example, ``examples/seattle_weather.csv``).
  A sample is 14 days of precipitation, maximum and minimum temperature and wind
  (14 steps, four features); targets: the next day's maximum and minimum
  temperature (two outputs). Train: next days in 2012-2014 (1,082); test: 2015
  (365).
- VADER tweets and VADER movie snippets: the ground truth of Hutto & Gilbert
  (ICWSM 2014), shipped in the source distribution of the vaderSentiment package
  (MIT licence), the path given. 4,200 tweet-like texts and 10,605 sentences of
  Rotten Tomatoes reviews, each with the mean sentiment intensity given by at least
  20 human raters, from -4 to +4. A random 75 / 25 split (``random_state=0``).

Why this text target rather than one built from SpamAssassin: a message there
carries no number besides its spam label, and any target computed from its text
(length, quoted lines, capitals, links) is a count of its tokens or characters,
which tests counting rather than reading. The VADER ratings are human judgements
of how positive or negative each text is: a model must learn which words carry
sentiment and how negation, intensifiers ("extremely good", "not great") and
punctuation change it, and no count of tokens gives them.

Inputs are the same for every model of a data set: numeric sequences get log1p of
the count-like features (Covid cases, Cardano volume), then each feature is
standardised with the training samples' mean and standard deviation over all
steps; Ridge and MLPRegressor get the sequence laid flat. Text goes raw to the
network and through TfidfVectorizer() to Ridge and MLPRegressor.

Tables printed, all measured in this run:

0. the machine, library versions and the command;
1. test R^2 of the training mean, RidgeCV, MLPRegressor (raw and standardised
   targets) and TextRNNRegressor with its defaults (random_state 0, 1, 2), then
   their fit times;
2. target scaling: TextRNNRegressor with ``target_scaling="standard"`` (the
   default) against None, three seeds each, on every data set, on Covid3Month
   with its target counted per 1,000 cases, and on Seattle weather with
   ``pooling="max"``;
3. other options of the network, changed one at a time (three seeds each):
   each of the three poolings on every data set (the one ``pooling="auto"``
   picks for that kind of input is the defaults' row), and numeric inputs not
   standardised;
4. the two small archive sets in 5-fold cross-validation over all their samples,
   since their test sets hold only 61 and 33 samples: the baselines and the
   network with each pooling.

Every fit runs here, one at a time, with one BLAS thread. ``--quick`` keeps every
fifth text sample, one seed and fewer variants, and skips table 4: a smoke run of
about 20 seconds.
"""

import os

# Before numpy is imported, so that BLAS starts with one thread.
os.environ.update(OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="1", MKL_NUM_THREADS="1")

import argparse
import io
import platform
import shlex
import subprocess
import sys
import tarfile
import time
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from _tables import print_table

REPO = Path(__file__).resolve().parents[1]
WEATHER = REPO / "examples" / "seattle_weather.csv"
WEATHER_DAYS = 14
VADER = {"VADER tweets": "tweets", "VADER movie snippets": "movieReviewSnippets"}
SEEDS = (0, 1, 2)
RIDGE_ALPHAS = np.logspace(-2, 3, 11)
CV_FOLDS = 5
POOLINGS = ("last", "mean", "max")
# What TextRNNRegressor's pooling="auto" means for each kind of input (its
# documentation of ``pooling``): the defaults' fits already measure that pooling.
AUTO_POOLING = {"numeric": "last", "text": "max"}
# Changes to the defaults measured in table 3: (label, params, whether the inputs
# are standardised, the kinds of input it applies to).
VARIANTS = (
    *((f"pooling={p!r}", {"pooling": p}, True, ("numeric", "text")) for p in POOLINGS),
    ("inputs not standardised", {}, False, ("numeric",)),
)
QUICK_VARIANTS = ("pooling='mean'",)


# ------------------------------------------------------------------ data sets
@dataclass
class DataSet:
    """A regression problem: (X, y) of its train and test parts, as loaded."""

    name: str
    kind: str  # "numeric" (n_samples, n_steps, n_features) or "text"
    train: tuple
    test: tuple
    log_features: tuple = ()
    notes: list = field(default_factory=list)

    def split(self, standardise=True):
        """X_train, y_train, X_test, y_test as the models get them."""
        (X_train, y_train), (X_test, y_test) = self.train, self.test
        if self.kind == "numeric" and standardise:
            X_train, X_test = standardised(X_train, X_test, self.log_features)
        return X_train, y_train, X_test, y_test

    def sizes(self):
        return f"{len(self.train[1])} / {len(self.test[1])}"


def standardised(X_train, X_test, log_features):
    """log1p of the count-like features, then each feature shifted and scaled by
    the training samples' mean and standard deviation over all steps."""
    X_train, X_test = (np.array(X, dtype=float) for X in (X_train, X_test))
    for X in (X_train, X_test):
        X[..., log_features] = np.log1p(X[..., log_features])
    mean, std = X_train.mean(axis=(0, 1)), X_train.std(axis=(0, 1))
    return (X_train - mean) / std, (X_test - mean) / std


def load_archive(name, log_features):
    """A data set bundled with aeon, as (n_samples, n_steps, n_features)."""
    from aeon.datasets import load_regression

    parts = []
    for split in ("train", "test"):
        X, y = load_regression(name, split=split)
        parts.append((np.transpose(X, (0, 2, 1)).astype(float), y.astype(float)))
    return DataSet(name, "numeric", *parts, log_features=log_features)


def load_weather():
    """Next-day maximum and minimum temperature from 14 days of Seattle weather."""
    columns = np.genfromtxt(WEATHER, delimiter=",", names=True, dtype=None)
    measures = ("precipitation", "temp_max", "temp_min", "wind")
    daily = np.column_stack([columns[m].astype(float) for m in measures])
    starts = np.arange(len(daily) - WEATHER_DAYS)
    X = np.stack([daily[s : s + WEATHER_DAYS] for s in starts])
    y = daily[starts + WEATHER_DAYS][:, 1:3]
    in_2015 = np.char.startswith(columns["date"][starts + WEATHER_DAYS], "2015")
    data = DataSet(
        "Seattle weather",
        "numeric",
        (X[~in_2015], y[~in_2015]),
        (X[in_2015], y[in_2015]),
    )
    from sklearn.metrics import r2_score

    today = X[in_2015][:, -1, 1:3]
    data.notes.append(
        "Seattle weather: persistence (tomorrow's temperatures = today's) scores "
        f"test R^2 {r2_score(y[in_2015], today):.3f}."
    )
    return data


def vader_ground_truth(path, subset):
    """(texts, mean ratings) of one VADER ground-truth file.

    ``path`` is the vaderSentiment source distribution, which holds the data as
    ``additional_resources/hutto_ICWSM_2014.tar.gz``, or that inner archive.
    """
    with tarfile.open(path) as archive:
        inner = [n for n in archive.getnames() if n.endswith("hutto_ICWSM_2014.tar.gz")]
        if not inner:
            return _ground_truth(archive, subset)
        # The source distribution: the data are an archive inside it.
        nested = io.BytesIO(archive.extractfile(inner[0]).read())
    with tarfile.open(fileobj=nested) as archive:
        return _ground_truth(archive, subset)


def _ground_truth(archive, subset):
    suffix = f"/{subset}_GroundTruth.txt"
    (member,) = [n for n in archive.getnames() if n.endswith(suffix)]
    lines = archive.extractfile(member).read().decode("utf-8").splitlines()
    # Each line: id <TAB> mean rating <TAB> text.
    rows = [line.split("\t", 2) for line in lines if line.strip()]
    return [text for _, _, text in rows], np.array([float(r) for _, r, _ in rows])


def load_vader(path, name, quick):
    from sklearn.model_selection import train_test_split

    texts, ratings = vader_ground_truth(path, VADER[name])
    X_train, X_test, y_train, y_test = train_test_split(
        texts, ratings, test_size=0.25, random_state=0
    )
    if quick:  # every fifth text of each part
        X_train, X_test, y_train, y_test = (
            part[::5] for part in (X_train, X_test, y_train, y_test)
        )
    return DataSet(name, "text", (X_train, y_train), (X_test, y_test))


def load_all(vader_path, quick):
    covid = load_archive("Covid3Month", log_features=(0,))
    return [
        covid,
        load_archive("CardanoSentiment", log_features=(1,)),
        load_weather(),
        *(load_vader(vader_path, name, quick) for name in VADER),
    ]


def scaling_extras(datasets):
    """Table 2's further problems, as (name, data set, parameters): Covid3Month with
    its target counted per 1,000 cases instead of per case, and Seattle weather
    summarised by the maximum of the hidden states (a pooling that suits this
    forecast less, table 3)."""
    covid, weather = datasets[0], datasets[2]
    (X_train, y_train), (X_test, y_test) = covid.train, covid.test
    per_mille = DataSet(
        covid.name,
        covid.kind,
        (X_train, 1000 * y_train),
        (X_test, 1000 * y_test),
        log_features=covid.log_features,
    )
    return [
        (f"{covid.name}, per 1,000 cases", per_mille, {}),
        (f"{weather.name}, pooling='max'", weather, {"pooling": "max"}),
    ]


# --------------------------------------------------------------------- models
def baseline(label, kind, n_train):
    """The scikit-learn model ``label`` for this kind of input."""
    from sklearn.compose import TransformedTargetRegressor
    from sklearn.dummy import DummyRegressor
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import RidgeCV
    from sklearn.neural_network import MLPRegressor
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import FunctionTransformer, StandardScaler

    if label == "training mean":
        return DummyRegressor()
    features = TfidfVectorizer() if kind == "text" else FunctionTransformer(_flat)
    if label == "RidgeCV":
        return make_pipeline(features, RidgeCV(alphas=RIDGE_ALPHAS, cv=CV_FOLDS))
    # Early stopping from 1,000 training samples on, as TextRNNRegressor's "auto".
    mlp = make_pipeline(
        features,
        MLPRegressor(random_state=0, max_iter=1000, early_stopping=n_train >= 1000),
    )
    if label == "MLPRegressor":
        return mlp
    return TransformedTargetRegressor(mlp, transformer=StandardScaler())


def _flat(X):
    return X.reshape(len(X), -1)


BASELINES = ("training mean", "RidgeCV", "MLPRegressor", "MLPRegressor, scaled targets")
# Table 2: (result label, shown as, target_scaling).
SCALINGS = (
    ("defaults", '"standard"', "standard"),
    ("target_scaling=None", "None", None),
)
# Table 4: the baselines and the network with each pooling, (label, parameters
# changed); the data sets are numeric.
CV_NETWORKS = (
    (f"TextRNNRegressor, defaults (pooling={AUTO_POOLING['numeric']!r})", {}),
    *(
        (f"TextRNNRegressor, pooling={p!r}", {"pooling": p})
        for p in POOLINGS
        if p != AUTO_POOLING["numeric"]
    ),
)


def fit_score(model, X_train, y_train, X_test, y_test):
    """(test R^2, fit seconds, epochs or None)."""
    from sklearn.exceptions import ConvergenceWarning

    start = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        model.fit(X_train, y_train)
    seconds = time.perf_counter() - start
    return model.score(X_test, y_test), seconds, _epochs(model)


def _epochs(model):
    """The fitted network's n_iter_, through a target transformer and a pipeline."""
    model = getattr(model, "regressor_", model)
    if hasattr(model, "steps"):
        model = model[-1]
    return getattr(model, "n_iter_", None)


def rnn(seed, changes=None):
    from sklearn_rnn import TextRNNRegressor

    return TextRNNRegressor(random_state=seed, **(changes or {}))


# --------------------------------------------------------------------- runs
def measured_variants(kind, quick):
    """Table 3's changes fitted for this kind of input, as (label, params,
    standardise): not the pooling its defaults already use."""
    return [
        (label, changes, standardise)
        for label, changes, standardise, kinds in VARIANTS
        if kind in kinds
        and changes.get("pooling") != AUTO_POOLING[kind]
        and (not quick or label in QUICK_VARIANTS)
    ]


def run_all(datasets, seeds, quick):
    """Every fit of tables 1-4, keyed by (data set, configuration, seed)."""
    results = {}
    for data in datasets:
        parts = data.split()
        for label in BASELINES:
            model = baseline(label, data.kind, len(parts[1]))
            results[data.name, label, 0] = fit_score(model, *parts)
        for seed in seeds:
            results[data.name, "defaults", seed] = fit_score(rnn(seed), *parts)
            unscaled = {"target_scaling": None}
            results[data.name, "target_scaling=None", seed] = fit_score(
                rnn(seed, unscaled), *parts
            )
            for label, changes, standardise in measured_variants(data.kind, quick):
                results[data.name, label, seed] = fit_score(
                    rnn(seed, changes), *data.split(standardise)
                )
        print(f"... {data.name} done", file=sys.stderr, flush=True)
    for name, data, changes in scaling_extras(datasets):
        for seed in seeds:
            for label, _, scaling in SCALINGS:
                results[name, label, seed] = fit_score(
                    rnn(seed, {**changes, "target_scaling": scaling}), *data.split()
                )
    if not quick:
        for data in datasets[:2]:
            results.update(cross_validate(data))
    return results


def cross_validate(data):
    """Table 4: R^2 of each fold of a shuffled 5-fold split of all samples."""
    from sklearn.model_selection import KFold

    X = np.concatenate([data.train[0], data.test[0]])
    y = np.concatenate([data.train[1], data.test[1]])
    folds = KFold(CV_FOLDS, shuffle=True, random_state=0).split(X)
    scores = {}
    for fold, (train, test) in enumerate(folds):
        X_train, X_test = standardised(X[train], X[test], data.log_features)
        parts = (X_train, y[train], X_test, y[test])
        models = {label: baseline(label, "numeric", len(train)) for label in BASELINES}
        models.update((label, rnn(0, changes)) for label, changes in CV_NETWORKS)
        for label, model in models.items():
            scores["cv", data.name, label, fold] = fit_score(model, *parts)[0]
    return scores


# ------------------------------------------------------------------- tables
def cpu_name():
    try:
        with open("/proc/cpuinfo") as f:
            names = [
                ln.split(":", 1)[1].strip() for ln in f if ln.startswith("model name")
            ]
    except OSError:
        names = []
    return names[0] if names else platform.processor() or platform.machine()


def environment():
    """The rows of table 0, read before any fit (the checkout may move on during a
    run; the package is imported here, so its code is that of this commit)."""
    import sklearn

    import sklearn_rnn

    try:
        import aeon

        aeon_version = aeon.__version__
    except ImportError:
        aeon_version = "not installed"
    commit = subprocess.run(
        ["git", "-C", str(REPO), "rev-parse", "--short", "HEAD"],
        capture_output=True,
        text=True,
    ).stdout.strip()
    dirty = subprocess.run(
        ["git", "-C", str(REPO), "status", "--porcelain", "sklearn_rnn"],
        capture_output=True,
        text=True,
    ).stdout.strip()
    commit = f"commit {commit}{', with local changes' if dirty else ''}"
    return [
        ("command", shlex.join(["python", "benchmarks/regression.py", *sys.argv[1:]])),
        ("CPU", f"{cpu_name()}, {os.cpu_count()} cores"),
        ("Python", platform.python_version()),
        ("NumPy", np.__version__),
        ("scikit-learn", sklearn.__version__),
        ("aeon", aeon_version),
        ("sklearn_rnn", f"{sklearn_rnn.__version__} ({commit})"),
        ("threads", "1 BLAS thread, one fit at a time"),
    ]


def seed_runs(results, name, label, seeds):
    return [results[name, label, seed] for seed in seeds]


def mean_r2(runs):
    return float(np.mean([r[0] for r in runs]))


def median_of(runs, i):
    return float(np.median([r[i] for r in runs]))


def print_models(results, datasets, seeds):
    print("## 1. Test R^2 against baselines\n")
    rows = []
    for data in datasets:
        ours = seed_runs(results, data.name, "defaults", seeds)
        rows.append(
            (
                f"{data.name} ({data.sizes()})",
                *(f"{results[data.name, label, 0][0]:.3f}" for label in BASELINES),
                f"{mean_r2(ours):.3f}",
                " / ".join(f"{r[0]:.3f}" for r in ours),
            )
        )
    print_table(
        ["data set (train / test)", *BASELINES, "TextRNNRegressor: mean", "by seed"],
        rows,
    )
    print(
        "TextRNNRegressor: defaults, random_state "
        f"{', '.join(map(str, seeds))}. RidgeCV: alphas 1e-2..1e3 (11, log-spaced), "
        f"chosen by {CV_FOLDS}-fold CV. MLPRegressor: defaults (one hidden layer of "
        "100), random_state=0, max_iter=1000, early_stopping when the training set "
        "has 1,000 samples or more (as TextRNNRegressor's early_stopping='auto'); "
        "'scaled targets' wraps it in TransformedTargetRegressor(StandardScaler()). "
        "Numeric inputs: standardised (log1p first for counts), laid flat for RidgeCV "
        "and MLPRegressor; text: TfidfVectorizer() for both.\n"
    )
    for data in datasets:
        for note in data.notes:
            print(note)
    print()
    print("Fit seconds (TextRNNRegressor: median over seeds) and epochs:\n")
    rows = []
    for data in datasets:
        ours = seed_runs(results, data.name, "defaults", seeds)
        mlp = results[data.name, "MLPRegressor", 0]
        rows.append(
            (
                data.name,
                f"{results[data.name, 'RidgeCV', 0][1]:.2f}",
                f"{mlp[1]:.1f}",
                mlp[2],
                f"{results[data.name, 'MLPRegressor, scaled targets', 0][1]:.1f}",
                f"{median_of(ours, 1):.1f}",
                int(median_of(ours, 2)),
            )
        )
    print_table(
        [
            "data set",
            "RidgeCV s",
            "MLPRegressor s",
            "epochs",
            "MLPRegressor, scaled targets s",
            "TextRNNRegressor s",
            "epochs",
        ],
        rows,
    )


def print_target_scaling(results, names, seeds):
    print('## 2. target_scaling="standard" (default) against None\n')
    rows = []
    for name in names:
        for label, shown, _ in SCALINGS:
            runs = seed_runs(results, name, label, seeds)
            rows.append(
                (
                    name,
                    shown,
                    " / ".join(f"{r[0]:.3f}" for r in runs),
                    f"{mean_r2(runs):.3f}",
                    f"{median_of(runs, 1):.1f}",
                    int(median_of(runs, 2)),
                )
            )
    print_table(
        [
            "data set",
            "target_scaling",
            "test R^2 by seed",
            "mean",
            "median fit s",
            "median epochs",
        ],
        rows,
    )


def print_variants(results, datasets, seeds, quick):
    print("## 3. Other options, one at a time (mean test R^2, median fit s)\n")
    labels = ["defaults"]
    labels += [v[0] for v in VARIANTS if not quick or v[0] in QUICK_VARIANTS]
    rows = []
    for label in labels:
        cells = []
        for data in datasets:
            if label == f"pooling={AUTO_POOLING[data.kind]!r}":
                cells.append("= defaults")
                continue
            if (data.name, label, seeds[0]) not in results:
                cells.append("n/a")
                continue
            runs = seed_runs(results, data.name, label, seeds)
            cells.append(f"{mean_r2(runs):.3f} ({median_of(runs, 1):.1f} s)")
        rows.append((label, *cells))
    print_table(["change", *(d.name for d in datasets)], rows)
    auto = " and ".join(f"{p!r} for {kind} input" for kind, p in AUTO_POOLING.items())
    same = "" if quick else ": that pooling's row reads '= defaults'"
    print(
        f"pooling='auto' (the defaults) is {auto}{same}. Seeds: random_state "
        f"{', '.join(map(str, seeds))}.\n"
    )


def print_cross_validation(results, datasets):
    if not any(key[0] == "cv" for key in results):
        return  # --quick
    labels = [*BASELINES, *(label for label, _ in CV_NETWORKS)]
    print(f"## 4. {CV_FOLDS}-fold cross-validation over all samples (R^2 mean ± sd)\n")
    rows = []
    for data in datasets[:2]:
        cells = []
        for label in labels:
            scores = [results["cv", data.name, label, f] for f in range(CV_FOLDS)]
            cells.append(f"{np.mean(scores):.3f} ± {np.std(scores):.3f}")
        rows.append((f"{data.name} ({len(data.train[1]) + len(data.test[1])})", *cells))
    print_table(["data set (samples)", *labels], rows)
    print(
        "KFold(5, shuffle=True, random_state=0) over train and test together; inputs "
        "standardised with each fold's training part; TextRNNRegressor random_state=0."
        "\n"
    )


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("vader", help="path of vaderSentiment-3.3.2.tar.gz")
    parser.add_argument("--quick", action="store_true", help="a smoke run")
    args = parser.parse_args()

    start = time.perf_counter()
    machine = environment()
    seeds = SEEDS[:1] if args.quick else SEEDS
    datasets = load_all(args.vader, args.quick)
    results = run_all(datasets, seeds, args.quick)

    print("# TextRNNRegressor on real regression data\n")
    print("## 0. Environment\n")
    print_table(["item", "value"], machine)
    print_models(results, datasets, seeds)
    extras = [name for name, _, _ in scaling_extras(datasets)]
    # Each further problem after the data set it comes from.
    names = [d.name for d in datasets]
    names = [m for n in names for m in (n, *(e for e in extras if e.startswith(n)))]
    print_target_scaling(results, names, seeds)
    print_variants(results, datasets, seeds, args.quick)
    print_cross_validation(results, datasets)
    print(f"Total benchmark time: {time.perf_counter() - start:.0f} s.")


if __name__ == "__main__":
    main()
