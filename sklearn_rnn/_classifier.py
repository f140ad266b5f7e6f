"""TextRNNClassifier: class labels, class weights and probabilities."""

from dataclasses import dataclass
from numbers import Integral, Real

import numpy as np
from sklearn.base import ClassifierMixin, _fit_context
from sklearn.utils._param_validation import StrOptions
from sklearn.utils.multiclass import check_classification_targets, unique_labels
from sklearn.utils.validation import _check_y

from . import _rnn
from ._base import BaseTextRNN, reading_inputs_once, shared_docs
from ._validation import check_label_types, check_weight_total


@shared_docs
@dataclass(eq=False, repr=False, kw_only=True)
class TextRNNClassifier(ClassifierMixin, BaseTextRNN):
    """Recurrent neural network classifier for raw text and numeric sequences.

    A vanilla (Elman) many-to-one recurrent network: each sequence is read one step
    at a time, ``h_t = tanh(x_t W_xh + h_{t-1} W_hh + b_h)`` from ``h_0 = 0`` (ReLU
    with ``nonlinearity``; stacked with ``num_layers``, and read both ways with
    ``bidirectional``); a
    summary of its hidden states (``pooling``) goes through a linear layer and a
    softmax over the classes. Training minimises the (L2-regularised) cross-entropy
    by backpropagation through time, with gradient clipping, using Adam or SGD on
    mini-batches.

    Raw text (a 1-D list, array or pandas Series of str) is tokenized by ``tokenizer``
    and each token selects a row of ``W_xh``. Numeric input is read as sequences: a 2-D
    array of shape (n_samples, n_timesteps) holds univariate sequences, a 3-D array of
    shape (n_samples, n_timesteps, n_features) multivariate ones; sequences of
    different lengths are padded at the end with NaN, or passed as a list of
    arrays of shape (n_timesteps_i,) or (n_timesteps_i, n_features).

    Parameters
    ----------
    [parameters]
    class_weight : dict, "balanced" or None, default=None
        Weights of the classes in the loss, ``{label: weight}``; classes not in the
        dict weigh 1. A key of the labels' type that ``y`` does not contain is
        ignored, so one dict serves every cross-validation fold; a key that cannot
        be a label of ``y`` (another type), or once the classes are known (the
        ``classes`` of ``partial_fit``, a model that continues) one outside them,
        is refused. "balanced" weighs each class by ``n_samples / (n_classes *
        weighted count of the class)``, counted with ``sample_weight``. Multiplies
        ``sample_weight``; class weights do not change the vocabulary. "balanced" is
        not available in ``partial_fit``, which sees one chunk at a time: compute
        the weights of the whole stream with
        :func:`sklearn.utils.class_weight.compute_class_weight` and pass a dict.

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
        Class labels.
    [attributes]
    [see_also]
    sklearn.neural_network.MLPClassifier : Feed-forward network on fixed-size vectors.
    TextRNNRegressor : The same network with a linear output, for numeric targets.

    Notes
    -----
    Samples whose class weight is zero are dropped like those of zero sample weight,
    and a class whose samples all weigh zero does not count as present in ``y``.

    [notes]

    Examples
    --------
    >>> from sklearn_rnn import TextRNNClassifier
    >>> X = ["good", "not good", "bad", "not bad", "very good", "very bad"]
    >>> y = ["pos", "neg", "neg", "pos", "pos", "neg"]
    >>> clf = TextRNNClassifier(hidden_size=16, tol=1e-3, random_state=0).fit(X, y)
    >>> clf.predict(["not good", "very good"])
    array(['neg', 'pos'], dtype='<U3')
    >>> clf.predict_proba(["not good"]).shape
    (1, 2)
    """

    class_weight: object = None

    _parameter_constraints = {
        **BaseTextRNN._parameter_constraints,
        "class_weight": [dict, StrOptions({"balanced"}), None],
    }
    score = reading_inputs_once(ClassifierMixin.score)
    _loss = "log_loss"
    _auto_pooling = {"text": "mean", "numeric": "last+mean+max"}

    @_fit_context(prefer_skip_nested_validation=False)
    def partial_fit(self, X, y, classes=None, sample_weight=None):
        """Train for one epoch on the given samples, continuing any earlier training.

        The first call (on an unfitted model) initialises the weights and, for text,
        learns the vocabulary from this first batch of documents; it is then fixed,
        and later words outside it map to the unknown id. To stream text whose
        vocabulary is not known in advance, use a hashing tokenizer,
        ``TextTokenizer(n_buckets=...)``. ``partial_fit`` also continues a model
        fitted with ``fit``. Early stopping, ``max_iter`` and the plateau schedule do
        not apply: each call is one epoch at ``learning_rate_init``. The optimizer
        state (e.g. Adam's moments) is kept between calls.

        Parameters
        ----------
        X : list of str, array-like of shape (n_samples, n_timesteps) or \
(n_samples, n_timesteps, n_features), or list of arrays
            A batch of documents or numeric sequences, of the kind of the first
            call (numbers: of its features per step, and an array of the width
            that call's array had; a list of arrays may have any lengths).
        y : array-like of shape (n_samples,)
            Class labels, all in ``classes``.
        classes : array-like of shape (n_classes,), default=None
            Every class the stream can contain. Required on the first call, since a
            batch may not show every class; optional later, and then it must equal
            ``classes_``.
        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative weight of each sample in the loss.

        Returns
        -------
        self : TextRNNClassifier
            The updated estimator.
        """
        if self.class_weight == "balanced":
            raise ValueError(
                'class_weight="balanced" is not available in partial_fit, which sees '
                "one batch at a time. Compute the weights of the whole stream with "
                "sklearn.utils.class_weight.compute_class_weight and pass them as a "
                "dict {label: weight}."
            )
        if not self._is_fitted() and classes is None:
            raise ValueError(
                "classes must be passed on the first call to partial_fit: a batch "
                "may not contain every class. Pass classes=np.unique(all_labels)."
            )
        return self._fit(X, y, sample_weight, incremental=True, classes=classes)

    # ------------------------------------------------------------ targets
    def _check_targets(self, y):
        y = check_label_types(y)
        y = _check_y(y, estimator=self)
        check_classification_targets(y)
        return y

    def _encode_targets(self, y, sample_weight, *, continuing, classes=None):
        """Class indices of y, and the fitted ``classes_`` when they are new."""
        if classes is not None:
            classes = check_label_types(classes, name="classes")
        if continuing:
            if classes is not None and not np.array_equal(
                unique_labels(classes), self.classes_
            ):
                raise ValueError(
                    f"classes={unique_labels(classes).tolist()!r} differs from the "
                    f"classes {self.classes_.tolist()!r} this model was first trained "
                    "with; a model's classes cannot change. Fit a new model instead."
                )
            self._check_class_weight(self.classes_, complete=True)
            return self._label_indices(y, self.classes_), {}
        if classes is not None:
            classes = unique_labels(classes)
            if len(classes) < 2:
                raise ValueError(
                    f"classes must hold at least 2 classes; got {classes.tolist()!r}."
                )
            self._check_class_weight(classes, complete=True)
            return self._label_indices(y, classes), {"classes_": classes}
        classes = unique_labels(y)
        if len(classes) < 2:
            raise ValueError(
                f"{type(self).__name__} needs samples of at least 2 classes to "
                "fit, but the data (samples of non-zero weight) contains only one "
                f"class: {classes.tolist()[0]!r}."
            )
        self._check_class_weight(classes, complete=False)
        return np.searchsorted(classes, y), {"classes_": classes}

    def _check_class_weight(self, classes, *, complete):
        """Refuse a class_weight dict whose keys cannot be classes, or whose
        weights are not finite non-negative numbers.

        ``complete``: ``classes`` are all the classes there are (partial_fit's
        ``classes``, or a fitted model's), so a key outside them is a mistake.
        Otherwise they are the classes of this y: a key of the labels' type may
        name a class this y happens not to hold (a cross-validation fold without
        it), and is ignored, as scikit-learn's classifiers do.
        """
        if not isinstance(self.class_weight, dict):
            return
        labels = classes.tolist()
        if complete:
            unknown = [key for key in self.class_weight if key not in labels]
            if unknown:
                raise ValueError(
                    f"class_weight has keys {unknown!r} that are not among the "
                    f"classes {labels!r} of this model; use the class labels "
                    "themselves as keys."
                )
        else:
            foreign = [
                key
                for key in self.class_weight
                if key not in labels and not _could_be_a_label(key, classes)
            ]
            if foreign:
                raise ValueError(
                    f"class_weight has keys {foreign!r} that cannot be labels of y, "
                    f"whose labels are of another type ({labels[:5]!r}); use the "
                    "class labels themselves as keys. (A key of the labels' type "
                    "that y does not contain is ignored, so that one dict serves "
                    "every cross-validation fold.)"
                )
        for key, weight in self.class_weight.items():
            if (
                not isinstance(weight, Real)
                or isinstance(weight, bool)
                or not np.isfinite(weight)
                or weight < 0
            ):
                raise ValueError(
                    "class_weight values must be finite non-negative numbers; got "
                    f"{weight!r} for class {key!r}."
                )

    def _label_indices(self, y, classes):
        """Class indices of y, which may only hold labels in ``classes``."""
        unseen = np.setdiff1d(unique_labels(y), classes)
        if len(unseen):
            raise ValueError(
                f"y contains labels {unseen.tolist()!r} that are not among the "
                f"classes {classes.tolist()!r} of this model. A model's classes are "
                "fixed: pass every class in classes on the first partial_fit call, "
                "or set warm_start=False to refit."
            )
        return np.searchsorted(classes, y)

    def _n_outputs(self, targets, fitted):
        return len(fitted["classes_"])

    def _loss_weights(self, targets, sample_weight, target_state):
        classes = target_state.get("classes_", getattr(self, "classes_", None))
        class_weights = self._class_weights(targets, sample_weight, classes)
        if class_weights is None:
            return sample_weight
        weights = class_weights[targets]
        if sample_weight is not None:
            with np.errstate(over="ignore"):
                weights = weights * sample_weight
        check_weight_total(weights, "sample_weight times class_weight")
        if not (weights > 0).any():
            raise ValueError(
                "Every sample has zero weight once class_weight is applied; give at "
                "least one class present in y a positive weight."
            )
        return weights

    def _class_weights(self, y_idx, sample_weight, classes):
        """Weight of each class index (None when all weigh 1)."""
        if self.class_weight is None:
            return None
        if self.class_weight == "balanced":
            counts = np.bincount(
                y_idx, weights=sample_weight, minlength=len(classes)
            ).astype(np.float64)
            present = counts > 0
            weights = np.ones(len(classes))
            # n_samples / (n_classes * count), with weighted counts of the classes
            # present in y (scikit-learn's "balanced" rule).
            weights[present] = counts.sum() / (present.sum() * counts[present])
            return weights
        # The keys and values are checked (_check_class_weight); keys of classes
        # absent from y weigh nothing here.
        return np.array(
            [float(self.class_weight.get(label, 1.0)) for label in classes.tolist()]
        )

    def _stratify(self, targets):
        return targets

    # ------------------------------------------------------------ predict
    def predict_proba_per_step(self, X):
        """Class probabilities after each step: what the model would predict if the
        sequence ended there.

        For text, row ``t`` of a document's array holds the probabilities the model
        gives the document cut after its ``t + 1``-th token (the tokens the model
        reads: after ``max_len`` truncation, unknown words included). The last row
        equals ``predict_proba``. The summary of a prefix follows ``pooling``: its
        last state, or the mean or maximum of its states.

        These are the model's predictions for shorter inputs, which show how its
        belief moves along a text (e.g. "not" flipping the sentiment of "good").
        They are not an attribution: a change at a token is not that token's share
        of the final prediction, since later tokens may undo or amplify it, and a
        model never trained on prefixes may predict them poorly.

        Parameters
        ----------
        X : list of str or array-like
            Documents or sequences whose prefixes to classify.

        Returns
        -------
        proba : list of ndarray of shape (n_steps, n_classes)
            One array per sample, columns in the order of ``classes_``; an empty
            document gives an array with no rows.

        Examples
        --------
        >>> from sklearn_rnn import TextRNNClassifier
        >>> clf = TextRNNClassifier(hidden_size=16, tol=1e-3, random_state=0)
        >>> clf = clf.fit(["good", "not good", "bad", "not bad"], [1, 0, 0, 1])
        >>> [p.shape for p in clf.predict_proba_per_step(["not bad", ""])]
        [(2, 2), (0, 2)]
        """
        return [_rnn.softmax(z, overwrite=True) for z in self._outputs_per_step(X)]

    def decision_function(self, X):
        """Class scores (logits) of the output layer.

        Parameters
        ----------
        X : list of str or array-like
            The samples to score.

        Returns
        -------
        scores : ndarray of shape (n_samples,) or (n_samples, n_classes)
            For two classes, the logit of ``classes_[1]`` minus that of
            ``classes_[0]``; otherwise one logit per class.
        """
        logits = self._outputs(X)
        if logits.shape[1] == 2:
            return logits[:, 1] - logits[:, 0]
        return logits

    def predict_proba(self, X):
        """Class probabilities.

        Parameters
        ----------
        X : list of str or array-like
            Documents or numeric sequences, of the kind the model was fitted on.

        Returns
        -------
        proba : ndarray of shape (n_samples, n_classes)
            Columns in the order of ``classes_``.
        """
        # The logits are this call's own array: no second n_samples-sized one.
        return _rnn.softmax(self._outputs(X), overwrite=True)

    def predict_log_proba(self, X):
        """Logarithm of the class probabilities.

        Returns
        -------
        log_proba : ndarray of shape (n_samples, n_classes)
            ``log(predict_proba(X))``, for documents or sequences ``X``.
        """
        return np.log(self.predict_proba(X))

    def predict(self, X):
        """Predict class labels.

        Parameters
        ----------
        X : list of str or array-like
            Documents or numeric sequences to label.

        Returns
        -------
        y : ndarray of shape (n_samples,)
            Labels from ``classes_``.
        """
        model = self._model()  # the classes of the weights that predicted
        outputs = model._outputs(X)
        return model.classes_[outputs.argmax(axis=1)]


def _could_be_a_label(key, classes):
    """Whether a class_weight key is of a type the labels ``classes`` have: it may
    then be a class that this y does not contain."""
    kind = classes.dtype.kind
    if kind in "US" or (kind == "O" and all(isinstance(c, str) for c in classes)):
        return isinstance(key, str)
    if kind == "b":
        return isinstance(key, Integral | np.bool_) and key in (0, 1)
    if kind in "iu":
        return isinstance(key, Integral | np.integer | np.bool_) or (
            isinstance(key, Real) and float(key).is_integer()
        )
    if kind == "f":
        return isinstance(key, Real) and not isinstance(key, str)
    return not isinstance(key, str)
