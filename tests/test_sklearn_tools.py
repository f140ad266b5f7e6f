"""The estimators inside scikit-learn's meta-tools, with text and with 3-D sequences.

Each test backs a row of the docs page "With the rest of scikit-learn"
(docs/user_guide/scikit_learn_tools.md): what the tool does with raw text and with
3-D numeric sequences and, where the tool itself refuses the input, that it fails
with the error the page quotes and that the page's recipe works instead.
"""

import joblib
import numpy as np
import pandas as pd
import pytest
from sklearn import config_context
from sklearn.base import clone
from sklearn.calibration import CalibratedClassifierCV
from sklearn.compose import ColumnTransformer, TransformedTargetRegressor
from sklearn.ensemble import (
    AdaBoostClassifier,
    BaggingClassifier,
    BaggingRegressor,
    StackingClassifier,
    StackingRegressor,
    VotingClassifier,
    VotingRegressor,
)
from sklearn.exceptions import UnsetMetadataPassedError
from sklearn.experimental import enable_halving_search_cv  # noqa: F401
from sklearn.frozen import FrozenEstimator
from sklearn.inspection import permutation_importance
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.metrics import ConfusionMatrixDisplay, RocCurveDisplay
from sklearn.model_selection import (
    FixedThresholdClassifier,
    GridSearchCV,
    HalvingGridSearchCV,
    HalvingRandomSearchCV,
    RandomizedSearchCV,
    TunedThresholdClassifierCV,
    cross_val_predict,
    cross_val_score,
    cross_validate,
    learning_curve,
    permutation_test_score,
    validation_curve,
)
from sklearn.multiclass import (
    OneVsOneClassifier,
    OneVsRestClassifier,
    OutputCodeClassifier,
)
from sklearn.multioutput import (
    ClassifierChain,
    MultiOutputClassifier,
    MultiOutputRegressor,
    RegressorChain,
)
from sklearn.pipeline import FeatureUnion, Pipeline, make_pipeline, make_union
from sklearn.preprocessing import FunctionTransformer, StandardScaler
from sklearn.semi_supervised import SelfTrainingClassifier

from sklearn_rnn import TextRNNClassifier, TextRNNRegressor, TextTokenizer
from sklearn_rnn.datasets import load_sentiment

# Short fits: the point is what the tools do with the input, not accuracy.
pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
SMALL = {"hidden_size": 8, "max_iter": 5, "random_state": 0}

DOCS, LABELS = load_sentiment(subset="train", return_X_y=True)
DOCS = np.asarray(DOCS, dtype=object)
COLUMN = DOCS.reshape(-1, 1)  # one column of documents
N_STEPS, N_FEATURES = 6, 2
SEQ = np.random.RandomState(0).randn(40, N_STEPS, N_FEATURES)
SEQ_LABELS = (SEQ[:, -1, 0] > 0).astype(np.int64)
FLAT = SEQ.reshape(len(SEQ), -1)  # (n_samples, n_timesteps * n_features)
INPUTS = {"text": (DOCS, LABELS), "3-D": (SEQ, SEQ_LABELS)}
# Numeric targets for the regressors: the label as a number, a sequence's last step.
TARGETS = {"text": LABELS.astype(float), "3-D": SEQ[:, -1, 0]}


def clf(**params):
    return TextRNNClassifier(**{**SMALL, **params})


def reg(**params):
    return TextRNNRegressor(**{**SMALL, **params})


def unflatten():
    """The recipe for 3-D sequences through tools that want 2-D X: pass
    X.reshape(n_samples, -1) and put this step in front of the model."""
    return FunctionTransformer(np.reshape, kw_args={"shape": (-1, N_STEPS, N_FEATURES)})


def to_sequences(X, n_timesteps, n_features):
    """Flattened sequences, plus any columns a tool appended (a chain's earlier
    targets), back to 3-D: each extra column becomes a feature at every step."""
    n_values = n_timesteps * n_features
    sequences = X[:, :n_values].reshape(len(X), n_timesteps, n_features)
    extra = np.repeat(X[:, None, n_values:], n_timesteps, axis=1)
    return np.concatenate([sequences, extra], axis=2)


def two_targets(y):
    """A second label per sample: y shifted by one sample, so not a copy of y."""
    return np.column_stack([y, np.roll(y, 1)])


def semi_supervised(y):
    """Every third label unknown (-1), as SelfTrainingClassifier expects."""
    return np.where(np.arange(len(y)) % 3 == 0, -1, y)


def check_classifier(model, X, y):
    """Predictions are labels of y; probabilities are probabilities."""
    predictions = np.asarray(model.predict(X[:5]))
    assert predictions.shape[0] == 5
    assert set(np.ravel(predictions)) <= set(np.ravel(y))
    if not hasattr(model, "predict_proba"):
        return
    probas = model.predict_proba(X[:5])
    assert np.all((np.asarray(probas) >= 0) & (np.asarray(probas) <= 1))
    if np.ndim(y) == 2 and not isinstance(probas, list):  # a chain: P(1) per target
        assert probas.shape == (5, y.shape[1])
        return
    for proba in probas if isinstance(probas, list) else [probas]:
        assert proba.shape == (5, 2)
        np.testing.assert_allclose(proba.sum(axis=1), 1)


def check_regressor(model, X, n_targets=1):
    predictions = np.asarray(model.predict(X[:5]))
    assert predictions.shape == ((5,) if n_targets == 1 else (5, n_targets))
    assert np.isfinite(predictions).all()


# ------------------------------------------------ Pipeline, make_pipeline, clone
@pytest.mark.parametrize("kind", INPUTS)
def test_pipeline_make_pipeline_and_clone(kind):
    X, y = INPUTS[kind]
    alone = clf().fit(X, y).predict_proba(X)
    for pipe in (Pipeline([("rnn", clf())]), make_pipeline(clf())):
        np.testing.assert_array_equal(pipe.fit(X, y).predict_proba(X), alone)
        assert pipe.get_params()[f"{pipe.steps[0][0]}__hidden_size"] == 8
    fitted = clf().fit(X, y)
    copy = clone(fitted)
    assert not hasattr(copy, "classes_")  # unfitted, same parameters
    np.testing.assert_array_equal(copy.fit(X, y).predict_proba(X), alone)


# ------------------------------------------------ meta-estimators that just work
# name -> function(X, y) returning the fitted meta-estimator.
CLASSIFIER_TOOLS = {
    "FeatureUnion": lambda X, y: make_pipeline(
        FeatureUnion([("a", clf()), ("b", clf(random_state=1))]),
        LogisticRegression(),
    ).fit(X, y),
    "make_union": lambda X, y: make_pipeline(
        make_union(clf(), clf(random_state=1)), LogisticRegression()
    ).fit(X, y),
    "GridSearchCV": lambda X, y: GridSearchCV(clf(), {"hidden_size": [4, 8]}, cv=2).fit(
        X, y
    ),
    "RandomizedSearchCV": lambda X, y: RandomizedSearchCV(
        clf(), {"alpha": [1e-4, 1e-2]}, n_iter=2, cv=2, random_state=0
    ).fit(X, y),
    "HalvingGridSearchCV": lambda X, y: HalvingGridSearchCV(
        clf(), {"hidden_size": [4, 8]}, cv=2, min_resources=20, random_state=0
    ).fit(X, y),
    "HalvingRandomSearchCV": lambda X, y: HalvingRandomSearchCV(
        clf(), {"hidden_size": [4, 8]}, cv=2, min_resources=20, random_state=0
    ).fit(X, y),
    "CalibratedClassifierCV": lambda X, y: CalibratedClassifierCV(clf(), cv=2).fit(
        X, y
    ),
    "FrozenEstimator": lambda X, y: CalibratedClassifierCV(
        FrozenEstimator(clf().fit(X, y))
    ).fit(X, y),
    "FixedThresholdClassifier": lambda X, y: FixedThresholdClassifier(
        clf(), threshold=0.3
    ).fit(X, y),
    "TunedThresholdClassifierCV": lambda X, y: TunedThresholdClassifierCV(
        clf(), cv=2
    ).fit(X, y),
    "VotingClassifier": lambda X, y: VotingClassifier(
        [("a", clf()), ("b", clf(random_state=1))], voting="soft"
    ).fit(X, y),
    "StackingClassifier": lambda X, y: StackingClassifier(
        [("a", clf()), ("b", clf(random_state=1))], cv=2
    ).fit(X, y),
    "OneVsRestClassifier": lambda X, y: OneVsRestClassifier(clf()).fit(X, y),
    "MultiOutputClassifier": lambda X, y: MultiOutputClassifier(clf()).fit(
        X, two_targets(y)
    ),
}
REGRESSOR_TOOLS = {
    "VotingRegressor": lambda X, y: VotingRegressor(
        [("a", reg()), ("b", reg(random_state=1))]
    ).fit(X, y),
    "StackingRegressor": lambda X, y: StackingRegressor(
        [("a", reg()), ("b", reg(random_state=1))], cv=2
    ).fit(X, y),
    "TransformedTargetRegressor": lambda X, y: TransformedTargetRegressor(
        reg(), transformer=StandardScaler()
    ).fit(X, y),
    "GridSearchCV": lambda X, y: GridSearchCV(reg(), {"alpha": [1e-4, 1e-2]}, cv=2).fit(
        X, y
    ),
}


@pytest.mark.parametrize("kind", INPUTS)
@pytest.mark.parametrize("tool", CLASSIFIER_TOOLS)
def test_classifier_tool_works(tool, kind):
    X, y = INPUTS[kind]
    check_classifier(CLASSIFIER_TOOLS[tool](X, y), X, y)


@pytest.mark.parametrize("kind", INPUTS)
@pytest.mark.parametrize("tool", REGRESSOR_TOOLS)
def test_regressor_tool_works(tool, kind):
    X, y = INPUTS[kind][0], TARGETS[kind]
    check_regressor(REGRESSOR_TOOLS[tool](X, y), X)


@pytest.mark.parametrize("kind", INPUTS)
def test_multi_output_regressor(kind):
    X, y = INPUTS[kind][0], TARGETS[kind]
    model = MultiOutputRegressor(reg()).fit(X, np.column_stack([y, -y]))
    check_regressor(model, X, n_targets=2)


# name -> function(X, y) returning scores (accuracies) or probabilities.
EVALUATION_TOOLS = {
    "cross_val_score": lambda X, y: cross_val_score(clf(), X, y, cv=2),
    "cross_validate": lambda X, y: cross_validate(clf(), X, y, cv=2)["test_score"],
    "cross_val_predict": lambda X, y: cross_val_predict(
        clf(), X, y, cv=2, method="predict_proba"
    ),
    "permutation_test_score": lambda X, y: permutation_test_score(
        clf(), X, y, cv=2, n_permutations=2, random_state=0
    )[1],
    "learning_curve": lambda X, y: learning_curve(
        clf(), X, y, cv=2, train_sizes=[0.5, 1.0]
    )[2],
    "validation_curve": lambda X, y: validation_curve(
        clf(), X, y, param_name="hidden_size", param_range=[4, 8], cv=2
    )[1],
}


@pytest.mark.parametrize("kind", INPUTS)
@pytest.mark.parametrize("tool", EVALUATION_TOOLS)
def test_evaluation_tool_works(tool, kind):
    X, y = INPUTS[kind]
    out = np.asarray(EVALUATION_TOOLS[tool](X, y), dtype=float)
    assert out.size > 0 and np.all((out >= 0) & (out <= 1))  # no NaN either
    if tool == "cross_val_predict":
        assert out.shape == (len(y), 2)


def test_search_over_tokenizer_parameters():
    search = GridSearchCV(clf(), {"tokenizer__min_df": [1, 2]}, cv=2).fit(DOCS, LABELS)
    assert search.best_params_["tokenizer__min_df"] in (1, 2)
    assert (
        search.best_estimator_.tokenizer_.min_df
        == search.best_params_["tokenizer__min_df"]
    )


# ------------------------------------------------ ColumnTransformer
def review_table():
    """A table with a text column beside numeric columns."""
    return pd.DataFrame(
        {
            "review": DOCS,
            "n_words": [len(d.split()) for d in DOCS],
            "stars": LABELS * 4 + 1,  # gives the label away
        }
    )


def test_column_transformer_text_column_beside_numeric_columns():
    """The text model's transform (its hidden-state summary) as features beside
    numeric columns, into any final estimator."""
    table = review_table()
    columns = ColumnTransformer(
        [
            ("text", clf(), "review"),
            ("numbers", StandardScaler(), ["n_words", "stars"]),
        ]
    )
    model = make_pipeline(columns, LogisticRegression()).fit(table, LABELS)
    assert model.score(table, LABELS) == 1.0
    names = model[0].get_feature_names_out().tolist()
    assert names == [f"text__textrnnclassifier{i}" for i in range(8)] + [
        "numbers__n_words",
        "numbers__stars",
    ]
    frame = clone(columns).set_output(transform="pandas").fit_transform(table, LABELS)
    assert list(frame.columns) == names
    with config_context(transform_output="pandas"):
        frame = clone(columns).fit_transform(table, LABELS)
    assert list(frame.columns) == names
    # A list names the text column as well: the model gets a one-column table.
    listed = ColumnTransformer(
        [
            ("text", clf(), ["review"]),
            ("numbers", StandardScaler(), ["n_words", "stars"]),
        ]
    )
    np.testing.assert_array_equal(
        listed.fit_transform(table, LABELS), model[0].transform(table)
    )
    # Cross-validation: the fair estimate, the text model not having seen the fold.
    scores = cross_val_score(clone(model), table, LABELS, cv=3)
    assert np.all((scores >= 0) & (scores <= 1))


def test_column_transformer_probabilities_beside_numeric_columns():
    """A StackingClassifier's transform is its models' probabilities: as the text
    column's transformer, it puts the text model's probability beside the numeric
    columns. It does not name its column for text input (scikit-learn's
    StackingClassifier asks its models for n_features_in_, which text has not)."""
    table = review_table()
    columns = ColumnTransformer(
        [
            ("text", StackingClassifier([("rnn", clf())], cv=2), "review"),
            ("numbers", StandardScaler(), ["n_words", "stars"]),
        ]
    )
    model = make_pipeline(columns, LogisticRegression()).fit(table, LABELS)
    features = model[0].transform(table)
    assert features.shape == (len(table), 3)  # P(positive), n_words, stars
    np.testing.assert_allclose(
        features[:, 0],
        model[0].named_transformers_["text"].estimators_[0].predict_proba(DOCS)[:, 1],
    )
    assert model.score(table, LABELS) == 1.0
    with pytest.raises(Exception, match="StackingClassifier instance is not fitted"):
        model[0].get_feature_names_out()


def test_column_transformer_passes_one_column_of_documents():
    """A ColumnTransformer in front of the model passes one column of documents
    (its passthrough must be named by a list: a bare name gives 1-D, refused)."""
    table = review_table()
    with pytest.raises(ValueError, match="should be 2D"):
        ColumnTransformer([("keep", "passthrough", "review")]).fit_transform(table)
    front = ColumnTransformer([("keep", "passthrough", ["review"])])
    assert front.fit_transform(table).shape == (len(table), 1)
    model = make_pipeline(front, clf()).fit(table, LABELS)
    np.testing.assert_array_equal(
        model.predict_proba(table), clf().fit(DOCS, LABELS).predict_proba(DOCS)
    )


def test_column_transformer_sequences_beside_static_columns():
    """A ColumnTransformer selects columns of a 2-D table, so 3-D sequences go in
    flattened, beside the static columns, and the recipe's step restores them."""
    with pytest.raises(ValueError, match="should be a 2D NumPy array"):
        ColumnTransformer([("rnn", clf(), [0])]).fit(SEQ, SEQ_LABELS)
    static = np.random.RandomState(1).randn(len(SEQ), 2)
    table = np.hstack([FLAT, static])
    n_values = N_STEPS * N_FEATURES
    model = make_pipeline(
        ColumnTransformer(
            [
                ("sequences", make_pipeline(unflatten(), clf()), slice(0, n_values)),
                ("static", StandardScaler(), [n_values, n_values + 1]),
            ]
        ),
        LogisticRegression(),
    ).fit(table, SEQ_LABELS)
    # The classifier's numeric default reads three summaries of 8 units.
    assert model[0].transform(table).shape == (len(SEQ), 3 * 8 + 2)
    check_classifier(model, table, SEQ_LABELS)


# ------------------------------------------------ set_output, get_feature_names_out
@pytest.mark.parametrize("kind", INPUTS)
@pytest.mark.parametrize("estimator", [clf, reg])
def test_set_output_and_feature_names(estimator, kind):
    X, y = INPUTS[kind][0], INPUTS[kind][1] if estimator is clf else TARGETS[kind]
    model = estimator().fit(X, y)
    names = model.get_feature_names_out()
    prefix = type(model).__name__.lower()
    if model._pooling == "last+mean+max":  # the classifier's numeric default
        expected = [
            f"{prefix}_{k}{i}" for k in ("last", "mean", "max") for i in range(8)
        ]
    else:
        expected = [f"{prefix}{i}" for i in range(8)]
    assert names.tolist() == expected
    frame = model.set_output(transform="pandas").transform(X[:3])
    assert isinstance(frame, pd.DataFrame) and list(frame.columns) == list(names)
    with config_context(transform_output="pandas"):
        union = make_union(estimator(), estimator(random_state=1)).fit(X, y)
        assert list(union.transform(X[:3]).columns) == list(
            union.get_feature_names_out()
        )


def test_tokenizer_set_output_has_a_fixed_width():
    tokenizer = TextTokenizer(max_len=12).set_output(transform="pandas").fit(DOCS)
    for batch in (DOCS, DOCS[:1]):
        frame = tokenizer.transform(batch)
        assert list(frame.columns) == [f"token_{i}" for i in range(12)]


# ------------------------------------------------ joblib caching, metadata routing
@pytest.mark.parametrize("kind", INPUTS)
def test_pipeline_caches_a_preprocessing_step(kind, tmp_path):
    """Text: the tokenizer as its own, cached step, the model reading its ids.
    3-D: any step in front, here differencing the sequences."""
    X, y = INPUTS[kind]
    if kind == "text":
        steps = [TextTokenizer(max_len=12), clf(tokenizer="precomputed")]
    else:
        steps = [FunctionTransformer(np.diff, kw_args={"axis": 1}), clf()]
    pipe = make_pipeline(*steps, memory=joblib.Memory(tmp_path, verbose=0))
    first = pipe.fit(X, y).predict_proba(X)
    second = clone(pipe).fit(X, y).predict_proba(X)
    np.testing.assert_array_equal(first, second)
    # One cached result: the second fit loaded the first one's step.
    assert len(list(tmp_path.rglob("output.pkl"))) == 1


def test_a_model_after_a_tokenizer_step_must_be_told_it_reads_ids():
    with pytest.warns(UserWarning, match="set tokenizer='precomputed'"):
        make_pipeline(TextTokenizer(max_len=12), clf()).fit(DOCS, LABELS)


@pytest.mark.parametrize("kind", INPUTS)
def test_metadata_routing_takes_sample_weight_through_a_pipeline(kind):
    X, y = INPUTS[kind]
    weights = np.where(y == 1, 2.0, 1.0)
    direct = clf().fit(X, y, sample_weight=weights).predict_proba(X)
    with config_context(enable_metadata_routing=True):
        with pytest.raises(UnsetMetadataPassedError, match="set_fit_request"):
            make_pipeline(clf()).fit(X, y, sample_weight=weights)
        model = clf().set_fit_request(sample_weight=True)
        routed = make_pipeline(model).fit(X, y, sample_weight=weights)
        np.testing.assert_array_equal(routed.predict_proba(X), direct)
        # cross_validate also routes the weights to the scorer, which must ask:
        # until it does, scoring fails and the scores are NaN.
        with pytest.warns(UserWarning, match="Scoring failed"):
            unasked = cross_validate(
                make_pipeline(model), X, y, cv=2, params={"sample_weight": weights}
            )["test_score"]
        assert np.isnan(unasked).all()
        model.set_score_request(sample_weight=True)
        scores = cross_validate(
            make_pipeline(model), X, y, cv=2, params={"sample_weight": weights}
        )["test_score"]
    assert np.all((scores >= 0) & (scores <= 1))


# ------------------------------------------------ displays
@pytest.mark.parametrize("kind", INPUTS)
def test_displays(kind):
    pytest.importorskip("matplotlib")
    import matplotlib
    import matplotlib.pyplot as plt

    matplotlib.use("Agg")
    X, y = INPUTS[kind]
    model = clf().fit(X, y)
    confusion = ConfusionMatrixDisplay.from_estimator(model, X, y)
    assert confusion.confusion_matrix.sum() == len(y)
    roc = RocCurveDisplay.from_estimator(model, X, y)
    assert 0 <= roc.roc_auc <= 1
    plt.close("all")


# ------------------------------------------------ tools that want 2-D X
TWO_D_TOOLS = {
    "BaggingClassifier": lambda X, y: BaggingClassifier(
        clf(), n_estimators=2, random_state=0
    ).fit(X, y),
    "BaggingRegressor": lambda X, y: BaggingRegressor(
        reg(), n_estimators=2, random_state=0
    ).fit(X, y.astype(float)),
    "AdaBoostClassifier": lambda X, y: AdaBoostClassifier(
        clf(), n_estimators=2, random_state=0
    ).fit(X, y),
}


@pytest.mark.parametrize("tool", TWO_D_TOOLS)
def test_tools_that_want_2d_x_take_one_column_of_documents(tool):
    with pytest.raises(ValueError, match="Expected 2D array, got 1D array"):
        TWO_D_TOOLS[tool](DOCS, LABELS)
    for X in (COLUMN, pd.DataFrame({"review": DOCS})):
        model = TWO_D_TOOLS[tool](X, LABELS)
        if tool == "BaggingRegressor":
            check_regressor(model, X)
        else:
            check_classifier(model, X, LABELS)


def test_one_column_of_documents_is_the_documents():
    one_d = clf().fit(DOCS, LABELS).predict_proba(DOCS)
    for X in (COLUMN, COLUMN.astype(str), pd.DataFrame({"review": DOCS})):
        np.testing.assert_array_equal(clf().fit(X, LABELS).predict_proba(X), one_d)


def test_adaboost_takes_3d_sequences():
    """AdaBoostClassifier accepts n-D arrays: 3-D sequences need no recipe."""
    check_classifier(
        TWO_D_TOOLS["AdaBoostClassifier"](SEQ, SEQ_LABELS), SEQ, SEQ_LABELS
    )


# ------------------------------------------------ tools that convert X to numbers
CONVERTING_TOOLS = {
    "OneVsOneClassifier": (OneVsOneClassifier, LABELS),
    "SelfTrainingClassifier": (
        lambda model: SelfTrainingClassifier(model, max_iter=2),
        semi_supervised(LABELS),
    ),
    "ClassifierChain": (ClassifierChain, two_targets(LABELS)),
}


@pytest.mark.parametrize("tool", CONVERTING_TOOLS)
def test_tools_that_convert_x_to_numbers_take_token_ids(tool):
    wrap, y = CONVERTING_TOOLS[tool]
    for X in (DOCS, COLUMN, pd.DataFrame({"review": DOCS})):
        with pytest.raises(ValueError, match="could not convert string to float"):
            wrap(clf()).fit(X, y)
    with pytest.raises(ValueError, match="dtype='numeric' is not compatible"):
        wrap(clf()).fit(COLUMN.astype(str), y)
    # The recipe: token ids of a fixed width before the tool, a model that reads ids.
    pipe = make_pipeline(
        TextTokenizer(max_len=12), wrap(clf(tokenizer="precomputed"))
    ).fit(DOCS, y)
    labels = LABELS if tool != "ClassifierChain" else y
    check_classifier(pipe, DOCS, labels)


def test_output_code_classifier():
    """It does not check X, so text works; with two classes its random code book
    usually has a constant column, whose stand-in predictor wants 2-D X."""
    ecoc = OutputCodeClassifier(clf(), random_state=0)
    check_classifier(ecoc.fit(DOCS, LABELS), DOCS, LABELS)
    with pytest.raises(ValueError, match="Found array with dim 3"):
        clone(ecoc).fit(SEQ, SEQ_LABELS)
    flat = OutputCodeClassifier(make_pipeline(unflatten(), clf()), random_state=0)
    check_classifier(flat.fit(FLAT, SEQ_LABELS), FLAT, SEQ_LABELS)


# ------------------------------------------------ 3-D sequences through 2-D-only tools
FLATTENED_TOOLS = {
    "BaggingClassifier": (
        lambda m: BaggingClassifier(m, n_estimators=2, random_state=0),
        SEQ_LABELS,
    ),
    "OneVsOneClassifier": (OneVsOneClassifier, SEQ_LABELS),
    "SelfTrainingClassifier": (
        lambda m: SelfTrainingClassifier(m, max_iter=2),
        semi_supervised(SEQ_LABELS),
    ),
}


@pytest.mark.parametrize("tool", FLATTENED_TOOLS)
def test_3d_sequences_through_2d_only_tools_flattened(tool):
    wrap, y = FLATTENED_TOOLS[tool]
    with pytest.raises(ValueError, match="Found array with dim 3"):
        wrap(clf()).fit(SEQ, y)
    model = wrap(make_pipeline(unflatten(), clf())).fit(FLAT, y)
    check_classifier(model, FLAT, SEQ_LABELS)


def test_bagging_regressor_with_flattened_sequences():
    with pytest.raises(ValueError, match="Found array with dim 3"):
        BaggingRegressor(reg(), n_estimators=2).fit(SEQ, TARGETS["3-D"])
    model = BaggingRegressor(
        make_pipeline(unflatten(), reg()), n_estimators=2, random_state=0
    ).fit(FLAT, TARGETS["3-D"])
    check_regressor(model, FLAT)


def test_flattening_recipe_loses_nothing():
    direct = clf().fit(SEQ, SEQ_LABELS).predict_proba(SEQ)
    model = make_pipeline(unflatten(), clf()).fit(FLAT, SEQ_LABELS)
    np.testing.assert_array_equal(model.predict_proba(FLAT), direct)


# ------------------------------------------------ permutation_importance
def test_permutation_importance_of_text():
    model = clf().fit(DOCS, LABELS)
    with pytest.raises(ValueError, match="Expected 2D array, got 1D array"):
        permutation_importance(model, DOCS, LABELS, n_repeats=2, random_state=0)
    result = permutation_importance(model, COLUMN, LABELS, n_repeats=2, random_state=0)
    assert result.importances_mean.shape == (1,)  # one feature: the text


def test_permutation_importance_of_sequences():
    model = clf().fit(SEQ, SEQ_LABELS)
    with pytest.raises(ValueError, match="Found array with dim 3"):
        permutation_importance(model, SEQ, SEQ_LABELS, n_repeats=2, random_state=0)
    model = make_pipeline(unflatten(), clf()).fit(FLAT, SEQ_LABELS)
    result = permutation_importance(
        model, FLAT, SEQ_LABELS, n_repeats=2, random_state=0
    )
    # One importance per (time step, feature): which steps the model reads.
    assert result.importances_mean.reshape(N_STEPS, N_FEATURES).shape == (6, 2)


# ------------------------------------------------ stacking with passthrough=True
@pytest.mark.parametrize("kind", INPUTS)
@pytest.mark.parametrize("stacking", [StackingClassifier, StackingRegressor])
def test_stacking_with_passthrough_cannot_join_x_to_predictions(stacking, kind):
    X, y = INPUTS[kind]
    model = clf() if stacking is StackingClassifier else reg()
    y = y if stacking is StackingClassifier else TARGETS[kind]
    stack = stacking([("rnn", model)], passthrough=True, cv=2)
    with pytest.raises(ValueError, match="same number of dimensions"):
        stack.fit(X, y)
    # Without passthrough, the final estimator reads the predictions alone.
    fitted = clone(stack).set_params(passthrough=False).fit(X, y)
    assert fitted.predict(X[:5]).shape == (5,)


def test_stacking_with_passthrough_on_one_column_of_documents():
    """One column of documents reaches the final estimator beside the
    predictions: a linear model refuses it; a final estimator that reads the
    documents itself takes it."""
    stack = StackingClassifier([("rnn", clf())], passthrough=True, cv=2)
    with pytest.raises(ValueError, match="could not convert string to float"):
        stack.fit(COLUMN, LABELS)
    # passthrough puts X after the predictions: the documents are the last column.
    final = make_pipeline(
        ColumnTransformer([("text", clf(random_state=1), -1)], remainder="passthrough"),
        LogisticRegression(),
    )
    stack.set_params(final_estimator=final).fit(COLUMN, LABELS)
    check_classifier(stack, COLUMN, LABELS)


@pytest.mark.parametrize("stacking", [StackingClassifier, StackingRegressor])
def test_stacking_with_passthrough_on_flattened_sequences(stacking):
    model = clf() if stacking is StackingClassifier else reg()
    y = SEQ_LABELS if stacking is StackingClassifier else TARGETS["3-D"]
    final = LogisticRegression() if stacking is StackingClassifier else Ridge()
    stack = stacking(
        [("rnn", make_pipeline(unflatten(), model))],
        final_estimator=final,
        passthrough=True,
        cv=2,
    ).fit(FLAT, y)
    # The final estimator reads the prediction and every value of the sequence.
    assert stack.final_estimator_.n_features_in_ == 1 + N_STEPS * N_FEATURES
    assert stack.predict(FLAT[:5]).shape == (5,)


# ------------------------------------------------ chains
def test_classifier_chain_on_token_ids_sees_earlier_targets_as_unknown_tokens():
    """The chain appends each earlier target to X as a column: after token ids,
    label 0 is padding (dropped) and label 1 the unknown token's id."""
    y = two_targets(LABELS)
    ids = TextTokenizer(max_len=12).fit_transform(DOCS)
    pipe = make_pipeline(
        TextTokenizer(max_len=12), ClassifierChain(clf(tokenizer="precomputed"))
    ).fit(DOCS, y)
    second = pipe[-1].estimators_[1]
    assert second.tokenizer_.vocabulary_size_ == ids.max() + 1
    check_classifier(pipe, DOCS, y)


@pytest.mark.parametrize("chain", [ClassifierChain, RegressorChain])
def test_chains_of_flattened_sequences(chain):
    """A chain's extra columns break the plain unflatten step; the recipe step
    makes each earlier target a feature at every time step."""
    model = clf() if chain is ClassifierChain else reg()
    y = two_targets(SEQ_LABELS)
    y = y if chain is ClassifierChain else y.astype(float)
    with pytest.raises(ValueError, match="Found array with dim 3"):
        chain(model).fit(SEQ, y)
    with pytest.raises(ValueError, match="cannot reshape array"):
        chain(make_pipeline(unflatten(), model)).fit(FLAT, y)
    step = FunctionTransformer(
        to_sequences, kw_args={"n_timesteps": N_STEPS, "n_features": N_FEATURES}
    )
    fitted = chain(make_pipeline(step, clone(model))).fit(FLAT, y)
    # The second link reads the sequence plus the first target at every step.
    assert fitted.estimators_[1][-1].n_step_features_ == N_FEATURES + 1
    if chain is ClassifierChain:
        check_classifier(fitted, FLAT, y)
    else:
        check_regressor(fitted, FLAT, n_targets=2)


def test_regressor_chain_cannot_append_predictions_to_token_ids():
    y = two_targets(LABELS).astype(float)
    with pytest.raises(ValueError, match="could not convert string to float"):
        RegressorChain(reg()).fit(COLUMN, y)
    # Token ids: fit appends the true targets (here whole numbers), but predict
    # appends predictions, which are not token ids.
    pipe = make_pipeline(
        TextTokenizer(max_len=12), RegressorChain(reg(tokenizer="precomputed"))
    ).fit(DOCS, y)
    with pytest.raises(ValueError, match=r"X\[0, 12\] = .* is not a token id"):
        pipe.predict(DOCS)
    # Instead: one model per target.
    model = MultiOutputRegressor(reg()).fit(DOCS, y)
    check_regressor(model, DOCS, n_targets=2)
