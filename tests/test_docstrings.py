"""Every public name documents itself: sections and an example that runs (the
examples themselves run as doctests, collected by pytest from the modules)."""

import inspect
import re
from pathlib import Path

import pytest

import sklearn_rnn
from sklearn_rnn import datasets
from sklearn_rnn._base import BaseTextRNN

PUBLIC = {
    **{name: getattr(sklearn_rnn, name) for name in sklearn_rnn.__all__},
    "datasets.load_sentiment": datasets.load_sentiment,
}
DOCUMENTED = {
    name: obj
    for name, obj in PUBLIC.items()
    if inspect.isclass(obj) or inspect.isfunction(obj)
}


@pytest.mark.parametrize("name", sorted(DOCUMENTED))
def test_public_name_has_sections_and_an_example(name):
    doc = inspect.getdoc(DOCUMENTED[name])
    assert doc, name
    assert any(s in doc for s in ("Parameters\n", "Attributes\n", "Returns\n")), name
    assert "Examples\n--------\n>>> " in doc, name


METHODS = [
    (cls, method)
    # The estimators' shared methods (fit, transform) are the base's own.
    for cls in (
        BaseTextRNN,
        sklearn_rnn.TextRNNClassifier,
        sklearn_rnn.TextRNNRegressor,
        sklearn_rnn.TextTokenizer,
    )
    for method, member in vars(cls).items()
    if callable(member) and not method.startswith("_")
]


@pytest.mark.parametrize(
    "cls, method", METHODS, ids=[f"{c.__name__}.{m}" for c, m in METHODS]
)
def test_public_methods_document_parameters_and_returns(cls, method):
    doc = inspect.getdoc(getattr(cls, method))
    assert doc, method
    assert "Parameters\n" in doc or "Returns\n" in doc, method


def test_constants_are_documented_in_the_package():
    assert "SKOPS_TRUSTED_TYPES" in sklearn_rnn.__all__
    # Ours, and scikit-learn's FrozenEstimator (a fitted tokenizer kept by fit).
    assert all(
        name.startswith(("sklearn_rnn.", "sklearn.frozen."))
        for name in sklearn_rnn.SKOPS_TRUSTED_TYPES
    )


def test_the_tests_the_documents_cite_exist():
    """The README, the reliability page and the scikit-learn tools page prove
    their claims by a test's name: a renamed or removed test must not leave a
    claim without its proof."""
    root = Path(__file__).parent.parent
    defined = {
        name
        for path in (root / "tests").glob("test_*.py")
        for name in re.findall(r"^def (test_\w+)", path.read_text(), re.MULTILINE)
    }
    cited = set()
    for document in (
        "README.md",
        "docs/user_guide/reliability.md",
        "docs/user_guide/scikit_learn_tools.md",
    ):
        cited |= set(re.findall(r"\b(test_\w+)`", (root / document).read_text()))
    assert cited, "no test is cited"
    assert cited <= defined, sorted(cited - defined)


def _package_doctests():
    import doctest

    finder = doctest.DocTestFinder()
    modules = [
        module
        for name, module in sorted(vars(sklearn_rnn).items())
        if inspect.ismodule(module) and name.startswith("_")
    ]
    return [test for module in modules for test in finder.find(module) if test.examples]


@pytest.mark.parametrize("test", _package_doctests(), ids=lambda test: test.name)
def test_docstring_examples_run_without_warnings(test):
    """An example a user copies must not warn (a ConvergenceWarning in the first
    example read is taken as a fault of the package), nor print a benchmark."""
    import doctest
    import warnings

    runner = doctest.DocTestRunner(
        optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE
    )
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        result = runner.run(test, out=lambda text: None)
    assert result.failed == 0, test.name
