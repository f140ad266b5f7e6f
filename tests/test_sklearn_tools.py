"""The estimators inside scikit-learn's meta-tools, with text and with 3-D sequences.

Each case backs a row of the docs page "With the rest of scikit-learn": what the
tool does with raw text and with 3-D numeric sequences, and, where the tool itself
refuses the input, that it fails with the error the page quotes and that the
page's recipe works instead.
"""

import warnings

import joblib
import numpy as np
import pandas as pd
import pytest
from sklearn import config_context
from sklearn.base import clone
from sklearn.calibration import CalibratedClassifierCV
from sklearn.compose import ColumnTransformer, TransformedTargetRegressor
from sklearn.ensemble import (
    BaggingClassifier,
    StackingClassifier,
    StackingRegressor,
    VotingClassifier,
    VotingRegressor,
)
from sklearn.experimental import enable_halving_search_cv  # noqa: F401
from sklearn.inspection import permutation_importance
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import ConfusionMatrixDisplay
from sklearn.model_selection import (
    FixedThresholdClassifier,
    GridSearchCV,
    HalvingGridSearchCV,
    RandomizedSearchCV,
    TunedThresholdClassifierCV,
    cross_val_predict,
    cross_validate,
    learning_curve,
    validation_curve,
)
from sklearn.multiclass import OneVsOneClassifier, OneVsRestClassifier
from sklearn.multioutput import (
    ClassifierChain,
    MultiOutputClassifier,
    MultiOutputRegressor,
)
from sklearn.pipeline import FeatureUnion, make_pipeline
from sklearn.preprocessing import FunctionTransformer, StandardScaler
from sklearn.semi_supervised import SelfTrainingClassifier

from sklearn_rnn import TextRNNClassifier, TextRNNRegressor, TextTokenizer
from sklearn_rnn.datasets import load_sentiment

# Short fits: the point is what the tools do with the input, not accuracy.
pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
SMALL = {"hidden_size": 4, "max_iter": 3, "random_state": 0}

DOCS, LABELS = load_sentiment(subset="train", return_X_y=True)
DOCS = np.asarray(DOCS, dtype=object)
LABELS = np.asarray(LABELS)
RNG = np.random.RandomState(0)
SEQ = RNG.randn(40, 6, 2)
SEQ_LABELS = (SEQ[:, -1, 0] > 0).astype(int)
INPUTS = {"text": (DOCS, LABELS), "3-D": (SEQ, SEQ_LABELS)}


def clf(**params):
    return TextRNNClassifier(**{**SMALL, **params})


def reg(**params):
    return TextRNNRegressor(**{**SMALL, **params})


def ids_clf():
    """The model of the recipe for tools that make X numeric: token ids."""
    return clf(tokenizer="precomputed")


def unflatten(shape):
    """The recipe for tools that need 2-D X: pass X.reshape(n, -1) and put this
    in front of the model, which gets its 3-D sequences back."""
    return FunctionTransformer(np.reshape, kw_args={"shape": (-1, *shape)})


def two_targets(y):
    return np.column_stack([y, 1 - y])


# ---------------------------------------------------------------- tools that work
# name -> function(X, y) returning predictions (or scores) for the first samples.
WORKS = {
    "Pipeline": lambda X, y: make_pipeline(clf()).fit(X, y).predict(X[:3]),
    "FeatureUnion": lambda X, y: (
        make_pipeline(
            FeatureUnion([("a", clf()), ("b", clf(random_state=1))]),
            LogisticRegression(),
        )
        .fit(X, y)
        .predict(X[:3])
    ),
    "cross_validate": lambda X, y: cross_validate(clf(), X, y, cv=2)["test_score"],
    "cross_val_predict": lambda X, y: cross_val_predict(
        clf(), X, y, cv=2, method="predict_proba"
    ),
    "GridSearchCV": lambda X, y: (
        GridSearchCV(clf(), {"hidden_size": [2, 4]}, cv=2).fit(X, y).predict(X[:3])
    ),
    "RandomizedSearchCV": lambda X, y: (
        RandomizedSearchCV(
            clf(), {"alpha": [1e-4, 1e-2]}, n_iter=2, cv=2, random_state=0
        )
        .fit(X, y)
        .predict(X[:3])
    ),
    "HalvingGridSearchCV": lambda X, y: (
        HalvingGridSearchCV(
            clf(), {"hidden_size": [2, 4]}, cv=2, min_resources=20, random_state=0
        )
        .fit(X, y)
        .predict(X[:3])
    ),
    "CalibratedClassifierCV": lambda X, y: (
        CalibratedClassifierCV(clf(), cv=2).fit(X, y).predict_proba(X[:3])
    ),
    "VotingClassifier": lambda X, y: (
        VotingClassifier([("a", clf()), ("b", clf(random_state=1))], voting="soft")
        .fit(X, y)
        .predict(X[:3])
    ),
    "StackingClassifier": lambda X, y: (
        StackingClassifier([("a", clf())], cv=2).fit(X, y).predict(X[:3])
    ),
    "OneVsRestClassifier": lambda X, y: (
        OneVsRestClassifier(clf()).fit(X, y).predict(X[:3])
    ),
    "MultiOutputClassifier": lambda X, y: (
        MultiOutputClassifier(clf()).fit(X, two_targets(y)).predict(X[:3])
    ),
    "FixedThresholdClassifier": lambda X, y: (
        FixedThresholdClassifier(clf(), threshold=0.3).fit(X, y).predict(X[:3])
    ),
    "TunedThresholdClassifierCV": lambda X, y: (
        TunedThresholdClassifierCV(clf(), cv=2).fit(X, y).predict(X[:3])
    ),
    "learning_curve": lambda X, y: learning_curve(
        clf(), X, y, cv=2, train_sizes=[0.5, 1.0]
    )[1],
    "validation_curve": lambda X, y: validation_curve(
        clf(), X, y, param_name="hidden_size", param_range=[2, 4], cv=2
    )[1],
    "VotingRegressor": lambda X, y: (
        VotingRegressor([("a", reg()), ("b", reg(random_state=1))])
        .fit(X, y.astype(float))
        .predict(X[:3])
    ),
    "StackingRegressor": lambda X, y: (
        StackingRegressor([("a", reg())], cv=2).fit(X, y.astype(float)).predict(X[:3])
    ),
    "MultiOutputRegressor": lambda X, y: (
        MultiOutputRegressor(reg()).fit(X, two_targets(y).astype(float)).predict(X[:3])
    ),
    "TransformedTargetRegressor": lambda X, y: (
        TransformedTargetRegressor(reg(), func=np.log1p, inverse_func=np.expm1)
        .fit(X, y.astype(float))
        .predict(X[:3])
    ),
    "clone": lambda X, y: clone(clf().fit(X, y)).fit(X, y).predict(X[:3]),
}


@pytest.mark.parametrize("kind", INPUTS)
@pytest.mark.parametrize("tool", WORKS)
def test_tool_works(tool, kind):
    X, y = INPUTS[kind]
    out = np.asarray(WORKS[tool](X, y), dtype=float)
    assert out.size > 0 and np.isfinite(out).all()


def test_column_transformer_text_column_beside_numeric_columns():
    """The recipe for a table: the text model's features (its transform, the
    hidden-state summary) beside the numeric columns, into any final estimator."""
    table = pd.DataFrame(
        {"review": DOCS, "length": [len(d) for d in DOCS], "stars": LABELS * 4 + 1}
    )
    model = make_pipeline(
        ColumnTransformer(
            [
                ("text", clf(), "review"),
                ("numbers", StandardScaler(), ["length", "stars"]),
            ]
        ),
        LogisticRegression(),
    ).fit(table, LABELS)
    assert model.score(table, LABELS) == 1.0  # "stars" gives the label away
    features = model[0].get_feature_names_out().tolist()
    assert features == [f"text__textrnnclassifier{i}" for i in range(4)] + [
        "numbers__length",
        "numbers__stars",
    ]
    with config_context(transform_output="pandas"):
        frame = clone(model[0]).fit_transform(table, LABELS)
    assert list(frame.columns) == features


def test_column_transformer_in_front_passes_one_column_of_documents():
    table = pd.DataFrame({"review": DOCS, "other": 0})
    select = ColumnTransformer([("keep", "passthrough", ["review"])])
    model = make_pipeline(select, clf()).fit(table, LABELS)
    np.testing.assert_array_equal(
        model.predict_proba(table), clf().fit(DOCS, LABELS).predict_proba(DOCS)
    )


def test_pipeline_caches_a_tokenizer_step(tmp_path):
    memory = joblib.Memory(tmp_path, verbose=0)
    pipe = make_pipeline(TextTokenizer(), ids_clf(), memory=memory)
    first = pipe.fit(DOCS, LABELS).predict_proba(DOCS)
    second = clone(pipe).fit(DOCS, LABELS).predict_proba(DOCS)  # from the cache
    np.testing.assert_array_equal(first, second)
    assert any(tmp_path.rglob("*.pkl"))


def test_metadata_routing_takes_sample_weight_through_a_pipeline():
    weights = np.where(LABELS == 1, 2.0, 1.0)
    with config_context(enable_metadata_routing=True):
        pipe = make_pipeline(clf().set_fit_request(sample_weight=True))
        routed = pipe.fit(DOCS, LABELS, sample_weight=weights).predict_proba(DOCS)
    direct = clf().fit(DOCS, LABELS, sample_weight=weights).predict_proba(DOCS)
    np.testing.assert_array_equal(routed, direct)


@pytest.mark.parametrize("kind", INPUTS)
def test_confusion_matrix_display(kind):
    X, y = INPUTS[kind]
    pytest.importorskip("matplotlib")
    import matplotlib

    matplotlib.use("Agg")
    display = ConfusionMatrixDisplay.from_estimator(clf().fit(X, y), X, y)
    assert display.confusion_matrix.sum() == len(y)


# ------------------------------------------ tools that need 2-D X: one column of text
@pytest.mark.parametrize(
    "tool",
    [
        lambda X, y: (
            BaggingClassifier(clf(), n_estimators=2, random_state=0)
            .fit(X, y)
            .predict(X[:3])
        ),
        lambda X, y: (
            permutation_importance(
                clf().fit(X, y), X, y, n_repeats=2, random_state=0
            ).importances_mean
        ),
    ],
    ids=["BaggingClassifier", "permutation_importance"],
)
def test_tools_that_need_2d_x_take_one_column_of_documents(tool):
    with pytest.raises(ValueError, match="Expected 2D array, got 1D array"):
        tool(DOCS, LABELS)
    out = tool(DOCS.reshape(-1, 1), LABELS)
    assert np.isfinite(np.asarray(out, dtype=float)).all()


# ------------------------------------------ tools that make X numeric: token ids
@pytest.mark.parametrize(
    "tool, y",
    [
        (OneVsOneClassifier, LABELS),
        (
            lambda model: SelfTrainingClassifier(model, max_iter=1),
            np.where(np.arange(len(LABELS)) % 3 == 0, -1, LABELS),
        ),
        (ClassifierChain, two_targets(LABELS)),
    ],
    ids=["OneVsOneClassifier", "SelfTrainingClassifier", "ClassifierChain"],
)
def test_tools_that_convert_x_to_numbers_work_on_token_ids(tool, y):
    for X in (DOCS, DOCS.reshape(-1, 1)):
        with pytest.raises(ValueError, match="could not convert string to float"):
            tool(clf()).fit(X, y)
    # The recipe: tokenize first; the tool then passes ids, as floats, through.
    pipe = make_pipeline(TextTokenizer(), tool(ids_clf())).fit(DOCS, y)
    assert pipe.predict(DOCS[:3]).shape[0] == 3


# ------------------------------------------ 3-D sequences through 2-D-only tools
@pytest.mark.parametrize(
    "tool, y",
    [
        (lambda m: BaggingClassifier(m, n_estimators=2, random_state=0), SEQ_LABELS),
        (OneVsOneClassifier, SEQ_LABELS),
        (
            lambda m: SelfTrainingClassifier(m, max_iter=1),
            np.where(np.arange(len(SEQ_LABELS)) % 3 == 0, -1, SEQ_LABELS),
        ),
    ],
    ids=["BaggingClassifier", "OneVsOneClassifier", "SelfTraining"],
)
def test_3d_sequences_pass_2d_only_tools_flattened(tool, y):
    with pytest.raises(ValueError, match="Found array with dim 3"):
        tool(clf()).fit(SEQ, y)
    flat = SEQ.reshape(len(SEQ), -1)
    model = tool(make_pipeline(unflatten(SEQ.shape[1:]), clf())).fit(flat, y)
    assert model.predict(flat[:3]).shape[0] == 3


def test_permutation_importance_of_flattened_sequences():
    flat = SEQ.reshape(len(SEQ), -1)
    model = make_pipeline(unflatten(SEQ.shape[1:]), clf()).fit(flat, SEQ_LABELS)
    result = permutation_importance(model, flat, SEQ_LABELS, n_repeats=2)
    # One importance per (time step, feature): which steps the model reads.
    assert result.importances_mean.shape == (6 * 2,)


# ------------------------------------------ what does not work
@pytest.mark.parametrize("kind", INPUTS)
def test_stacking_with_passthrough_cannot_join_sequences_to_predictions(kind):
    X, y = INPUTS[kind]
    stack = StackingClassifier([("rnn", clf())], passthrough=True, cv=2)
    with pytest.raises(ValueError, match="same number of dimensions"):
        stack.fit(X, y)
    # Without passthrough, the final estimator reads the predictions alone.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert stack.set_params(passthrough=False).fit(X, y).predict(X[:3]).shape == (
            3,
        )


def test_a_classifier_chain_adds_columns_sequences_do_not_have():
    """ClassifierChain appends the previous targets to X as extra columns: a
    flattened sequence then no longer has the shape of one (and token ids would
    gain ids 0 and 1, padding and unknown, which mean nothing). Predict each
    target on its own with MultiOutputClassifier instead."""
    flat = SEQ.reshape(len(SEQ), -1)
    chain = ClassifierChain(make_pipeline(unflatten(SEQ.shape[1:]), clf()))
    with pytest.raises(ValueError, match="cannot reshape array"):
        chain.fit(flat, two_targets(SEQ_LABELS))
