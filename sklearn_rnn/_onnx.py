"""Export a fitted estimator to ONNX, to run it with ONNX Runtime, without Python.

The graph does what prediction does, step for step: the tokenizer (ONNX string
operators), the reading rule (``max_len``, ``truncation``), every layer and
direction of the recurrence over each sequence's own length, the pooling, the
output layer, and the classes or the target scaling. float32 models use ONNX's
``RNN`` operator; float64 models a ``Scan`` over the steps, because ONNX Runtime
has no float64 kernel for ``RNN``.

onnx is imported when an export is asked for, never by ``import sklearn_rnn``
(it is the ``onnx`` extra); skl2onnx only by :func:`register_skl2onnx`.
"""

import json
import re
from functools import cache, partial
from numbers import Integral

import numpy as np
from sklearn.utils.validation import check_is_fitted

from . import _rnn
from ._classifier import TextRNNClassifier
from ._regressor import TextRNNRegressor
from ._tokenizer import (
    _DEFAULT_TOKEN_PATTERN,
    ENGLISH_STOP_WORDS_KEEPING_NEGATIONS,
    PrecomputedIds,
    TextTokenizer,
)
from ._version import __version__

INSTALL_HINT = 'pip install "sklearn-rnn[onnx]" (onnx, onnxruntime and skl2onnx)'
# The lowest ai.onnx opset the export needs (ReduceMax reads its axes as an
# input from 18 on), and what the character analyzer's RegexFullMatch needs.
MIN_OPSET = 18
MIN_OPSET_CHAR = 20
_VERSIONS = {"": MIN_OPSET, "ai.onnx.ml": 2, "com.microsoft": 1}
# What the ONNX tokenizer pads rows with: no word token can be it (it is not
# made of word characters) and no character token either (it is 5 long).
_PAD = "<pad>"
# scikit-learn's default token_pattern, which TextTokenizer also understands.
_SKLEARN_TOKEN_PATTERN = r"(?u)\b\w\w+\b"


def _import_onnx():
    try:
        import onnx
    except ImportError as exc:
        raise ImportError(
            f"Exporting to ONNX needs the onnx package, which is not installed: "
            f"{INSTALL_HINT}."
        ) from exc
    return onnx


# ---------------------------------------------------------------- regexes
@cache
def _python_class(escape):
    r"""The RE2 character class of exactly the characters Python's ``re``
    matches with ``escape`` (``\w`` or ``\s``) in a str pattern, in this
    Python's Unicode version: RE2's own ``\w`` and ``\s`` are ASCII only."""
    gap = range(0xD800, 0xE000)  # surrogates: not characters of any str token
    text = "".join(map(chr, range(gap.start))) + "".join(
        map(chr, range(gap.stop, 0x110000))
    )
    parts = []
    for match in re.finditer(escape + "+", text):
        first, last = match.start(), match.end() - 1
        # Neither class holds the characters on either side of the gap.
        if first >= gap.start:
            first, last = first + len(gap), last + len(gap)
        span = f"\\x{{{first:x}}}"
        parts.append(span if first == last else f"{span}-\\x{{{last:x}}}")
    return "[" + "".join(parts) + "]"


def _word_pattern(tokenizer):
    """The RE2 pattern the ONNX tokenizer splits words with, or None when
    the tokenizer's ``token_pattern`` has no exact RE2 translation."""
    word = _python_class(r"\w")
    # With a greedy \w+, both \b hold at the ends of every maximal run of word
    # characters and nowhere else: the runs are the tokens, with or without the
    # \b (and "(?u)" is what a str pattern means anyway).
    pattern = tokenizer.token_pattern.removeprefix("(?u)")
    runs = {r"\w+": "+", r"\w\w+": "{2,}"}
    for body, repeat in runs.items():
        if pattern in (body, rf"\b{body}\b"):
            return word + repeat
    return None


def _check_locale(locale):
    if not isinstance(locale, str) or not locale:
        raise ValueError(
            f"locale must be the name of a UTF-8 locale (a str), got {locale!r}. "
            "The default 'C.UTF-8' exists on current Linux systems."
        )
    encoding = locale.partition(".")[2].partition("@")[0]
    if encoding.lower().replace("-", "") != "utf8":
        raise ValueError(
            f"locale={locale!r} is not named as a UTF-8 locale: 'C' and 'POSIX' "
            "lowercase ASCII letters only ('É' would stay 'É' where the tokenizer "
            "reads 'é'), and other encodings cannot hold every character. Name a "
            "UTF-8 locale that the serving machine has, with its encoding, such "
            "as 'C.UTF-8' or 'en_US.UTF-8'."
        )


# ---------------------------------------------------------------- the graph
class _Graph:
    """The nodes of an exported graph, as a list (``to_onnx``), with names
    made unique here; :class:`_Skl2onnxGraph` writes into skl2onnx's model
    instead. Every constant is a ``Constant`` node, so both are alike."""

    def __init__(self, onnx, reserved=()):
        self.onnx = onnx
        self.nodes = []
        self.opsets = {}
        self.value_info = []
        self._used = set(reserved)  # names the graph's inputs and outputs take
        self._constants = {}

    def name(self, hint):
        name, i = hint, 1
        while name in self._used:
            name, i = f"{hint}_{i}", i + 1
        self._used.add(name)
        return name

    def add_node(self, op_type, inputs, outputs, domain, version, attrs):
        self.nodes.append(
            self.onnx.helper.make_node(
                op_type,
                inputs,
                outputs,
                name=self.name(op_type),
                domain=domain,
                **attrs,
            )
        )
        self.opsets[domain] = max(self.opsets.get(domain, 0), version)

    def declare(self, name, elem_type, shape):
        """State a value's type: onnx's shape inference knows none for the
        com.microsoft operators' outputs (and its LabelEncoder's crashes on
        an input without one)."""
        info = self.onnx.helper.make_tensor_value_info(name, elem_type, shape)
        self.value_info.append(info)

    def op(
        self, op_type, *inputs, n_out=1, hint=None, domain="", version=None, **attrs
    ):
        """Add one node; return its output's name (a list with ``n_out > 1``)."""
        outputs = [self.name(hint or op_type.lower()) for _ in range(n_out)]
        version = version or _VERSIONS[domain]
        self.add_node(op_type, list(inputs), outputs, domain, version, attrs)
        return outputs[0] if n_out == 1 else outputs

    def tensor(self, value, name):
        value = np.asarray(value)
        helper = self.onnx.helper
        if value.dtype.kind in "USO":
            return helper.make_tensor(
                name,
                self.onnx.TensorProto.STRING,
                value.shape,
                [str(v).encode("utf-8") for v in value.ravel()],
            )
        return self.onnx.numpy_helper.from_array(value, name)

    def const(self, value, hint="const"):
        """A constant's name; the same small constant is made once."""
        value = np.asarray(value)
        key = None
        if value.size <= 16:
            data = (
                value.tobytes() if value.dtype.kind in "biuf" else str(value.tolist())
            )
            key = (value.dtype.str, value.shape, data)
            if key in self._constants:
                return self._constants[key]
        name = self.op("Constant", hint=hint, value=self.tensor(value, hint))
        if key is not None:
            self._constants[key] = name
        return name

    def subgraph(self, nodes, inputs, outputs):
        return self.onnx.helper.make_graph(nodes, self.name("body"), inputs, outputs)


class _Skl2onnxGraph(_Graph):
    """:class:`_Graph` writing into skl2onnx's scope and container."""

    def __init__(self, onnx, scope, container):
        super().__init__(onnx)
        self.scope, self.container = scope, container

    def name(self, hint):
        return self.scope.get_unique_variable_name(hint)

    def declare(self, name, elem_type, shape):
        super().declare(name, elem_type, shape)
        self.container.value_info.append(self.value_info[-1])

    def add_node(self, op_type, inputs, outputs, domain, version, attrs):
        self.container.add_node(
            op_type,
            inputs,
            outputs,
            op_domain=domain,
            op_version=version,
            name=self.scope.get_unique_operator_name(op_type),
            **attrs,
        )


# ---------------------------------------------------------------- the model
class _Nodes:
    """Graph pieces every export uses: ids and steps, lengths and the reading
    rule, on a :class:`_Graph`."""

    def __init__(self, graph):
        self.g = graph

    def pad_column(self, ids):
        """One more padding column, so that a batch of empty documents still
        has one step."""
        g = self.g
        n = g.op("Shape", ids, start=0, end=1)
        shape = g.op("Concat", n, g.const(np.array([1], dtype=np.int64)), axis=0)
        zeros = g.op(
            "ConstantOfShape", shape, value=g.tensor(np.array([0], np.int64), "zero")
        )
        return g.op("Concat", ids, zeros, axis=1)

    def all_but_last(self, x):
        """``x`` without its last row."""
        g = self.g
        return g.op(
            "Slice",
            x,
            g.const(np.array([0], np.int64)),
            g.const(np.array([-1], np.int64)),
            g.const(np.array([0], np.int64)),
        )

    def compact(self, ids):
        """Move the padding ids (0) of each row to its end, keeping the order
        of the others (stop words and padding are not read)."""
        g = self.g
        width = g.op("Shape", ids, start=1, end=2)
        steps = g.op(
            "Range",
            g.const(np.int64(0)),
            g.op("Squeeze", width),
            g.const(np.int64(1)),
        )
        padding = g.op("Cast", g.op("Equal", ids, g.const(np.int64(0))), to=7)
        keys = g.op("Add", steps, g.op("Mul", padding, width))
        _, order = g.op("TopK", keys, width, axis=1, largest=0, sorted=1, n_out=2)
        return g.op("GatherElements", ids, order, axis=1)

    def count_tokens(self, ids):
        g = self.g
        present = g.op("Cast", g.op("Greater", ids, g.const(np.int64(0))), to=7)
        return g.op("ReduceSum", present, g.const(np.array([1], np.int64)), keepdims=0)

    def steps(self, x, axis):
        """0, 1, ..., x.shape[axis] - 1 (int64)."""
        g = self.g
        n = g.op("Squeeze", g.op("Shape", x, start=axis, end=axis + 1))
        return g.op("Range", g.const(np.int64(0)), n, g.const(np.int64(1)))

    def cut(self, data, lengths, max_len, keep):
        """The reading rule: at most ``max_len`` steps of each sequence of
        ``data`` ([N, T, ...]), the ones ``keep`` says (see
        ``_sequences.truncate``); returns the cut data and lengths."""
        if max_len is None:
            return data, lengths
        g = self.g
        n_steps = g.op("Shape", data, start=1, end=2)
        width = g.op("Min", n_steps, g.const(np.array([max_len], np.int64)))
        steps = g.op(
            "Range", g.const(np.int64(0)), g.op("Squeeze", width), g.const(np.int64(1))
        )
        kept = g.op("Min", lengths, g.const(np.int64(max_len)))
        n_head = {"head": max_len, "tail": 0}.get(keep, max_len - max_len // 2)
        from_end = g.op(
            "Cast", g.op("GreaterOrEqual", steps, g.const(np.int64(n_head))), to=7
        )
        skipped = g.op(
            "Unsqueeze",
            g.op("Sub", lengths, kept),
            g.const(np.array([1], np.int64)),
        )
        source = g.op("Add", steps, g.op("Mul", skipped, from_end))
        last = g.op("Sub", n_steps, g.const(np.int64(1)))
        source = g.op("Min", source, last)
        source = g.op("Unsqueeze", source, g.const(np.array([2], np.int64)))
        return g.op("GatherND", data, source, batch_dims=1), kept

    def inside(self, x, lengths, axis):
        """Booleans, [N, T] (steps on ``axis`` 1 of ``x``) or [T, N] (on
        ``axis`` 0): whether step t is within sequence n."""
        g = self.g
        steps = g.op(
            "Unsqueeze", self.steps(x, axis), g.const(np.array([1 - axis], np.int64))
        )
        lengths = g.op("Unsqueeze", lengths, g.const(np.array([axis], np.int64)))
        return g.op("Less", steps, lengths)

    def zero_past(self, ids, lengths):
        """``ids`` [N, W] with 0 from each row's length on."""
        inside = self.inside(ids, lengths, axis=1)
        return self.g.op("Where", inside, ids, self.g.const(np.int64(0)))

    def active(self, states, lengths):
        """[T, N, 1] booleans: whether step t is within sequence n."""
        active = self.inside(states, lengths, axis=0)
        return self.g.op("Unsqueeze", active, self.g.const(np.array([2], np.int64)))


class _Tokenization(_Nodes):
    """A TextTokenizer's transform as ONNX nodes: documents -> token ids."""

    def __init__(self, graph, tokenizer, locale):
        super().__init__(graph)
        self.tokenizer, self.locale = tokenizer, locale

    def required_opset(self):
        return MIN_OPSET_CHAR if self.tokenizer.analyzer == "char" else MIN_OPSET

    def check(self, fix):
        """Refuse tokenizer options that ONNX's string operators cannot
        reproduce, naming them and what to do (``fix``), and a locale that
        would not lowercase as Python does."""
        tok = self.tokenizer
        if type(tok) is not TextTokenizer:
            raise ValueError(
                f"The tokenizer is a {type(tok).__name__}, whose splitting ONNX's "
                f"string operators cannot reproduce (only TextTokenizer's own "
                f"tokenizing is written as ONNX nodes, not a subclass's). {fix}"
            )
        unsupported = []
        if callable(tok.analyzer):
            unsupported.append(f"analyzer={tok.analyzer!r} (a callable)")
        if tok.analyzer == "word" and tok.tokenizer is not None:
            unsupported.append(f"tokenizer={tok.tokenizer!r} (a callable)")
        if tok.strip_accents is not None:
            unsupported.append(f"strip_accents={tok.strip_accents!r}")
        if (
            tok.analyzer == "word"
            and tok.tokenizer is None
            and _word_pattern(tok) is None
        ):
            unsupported.append(
                f"token_pattern={tok.token_pattern!r} (exported: "
                f"{_DEFAULT_TOKEN_PATTERN!r} and {_SKLEARN_TOKEN_PATTERN!r})"
            )
        if unsupported:
            raise ValueError(
                "The tokenizer's " + ", ".join(unsupported) + " cannot be written "
                f"with ONNX's string operators. {fix}"
            )
        if tok.lowercase:
            _check_locale(self.locale)

    def ids(self, X):
        """Documents (a string tensor) -> token ids [N, T] padded with 0."""
        g, tok = self.g, self.tokenizer
        docs = g.op("Reshape", X, g.const(np.array([-1], dtype=np.int64)))
        # One more (empty) document, dropped at the end: ONNX Runtime's string
        # operators fail on a batch of none.
        docs = g.op("Concat", docs, g.const(np.array([""], dtype=object)), axis=0)
        if tok.lowercase:
            docs = g.op(
                "StringNormalizer",
                docs,
                case_change_action="LOWER",
                is_case_sensitive=1,
                locale=self.locale,
            )
        if tok.analyzer == "char":
            space = _python_class(r"\s")
            pattern = f"{space}{{2,}}|(?s:.)"
        else:
            pattern = _word_pattern(tok)
        tokens = g.op(
            "Tokenizer",
            docs,
            domain="com.microsoft",
            mark=0,
            mincharnum=1,
            pad_value=_PAD,
            tokenexp=pattern,
        )
        g.declare(tokens, self.g.onnx.TensorProto.STRING, [None, None])
        if tok.analyzer == "char":
            # scikit-learn's character analyzer first makes every run of two or
            # more white-space characters one space.
            run = g.op("RegexFullMatch", tokens, pattern=f"{space}{{2,}}", version=20)
            tokens = g.op("Where", run, g.const(np.array(" ")), tokens)
        dropped = [_PAD]
        if tok.analyzer == "word" and tok.stop_words is not None:
            stop = tok.stop_words
            if isinstance(stop, str):
                stop = ENGLISH_STOP_WORDS_KEEPING_NEGATIONS
            dropped += sorted(set(stop) - {_PAD})
        if tok.n_buckets is None:
            keys = list(tok.vocabulary_) + dropped
            values = list(tok.vocabulary_.values()) + [TextTokenizer.PAD_ID] * len(
                dropped
            )
            ids = g.op(
                "LabelEncoder",
                tokens,
                domain="ai.onnx.ml",
                keys_strings=keys,
                values_int64s=values,
                default_int64=TextTokenizer.UNK_ID,
            )
        else:
            drop = g.op(
                "LabelEncoder",
                tokens,
                domain="ai.onnx.ml",
                keys_strings=dropped,
                values_int64s=[1] * len(dropped),
                default_int64=0,
            )
            hashed = g.op("MurmurHash3", tokens, domain="com.microsoft", positive=1)
            g.declare(hashed, self.g.onnx.TensorProto.UINT32, [None, None])
            hashed = g.op("Cast", hashed, to=7)
            hashed = g.op("Mod", hashed, g.const(np.int64(tok.n_buckets)))
            hashed = g.op("Add", hashed, g.const(np.int64(2)))
            ids = g.op(
                "Where",
                g.op("Cast", drop, to=9),
                g.const(np.int64(TextTokenizer.PAD_ID)),
                hashed,
            )
        ids = self.pad_column(ids)
        if len(dropped) > 1:
            ids = self.compact(ids)
        lengths = self.count_tokens(ids)
        ids, lengths = self.cut(ids, lengths, tok.max_len, tok.truncation)
        return self.all_but_last(ids), self.all_but_last(lengths)


class _Export(_Nodes):
    """Writes one fitted estimator's prediction as nodes of a :class:`_Graph`."""

    def __init__(self, model, graph, text_input, locale):
        check_is_fitted(model)
        super().__init__(graph)
        self.model = model
        self.params = model._params()
        self.dtype = self.params["b_y"].dtype
        self.onnx_dtype = {np.float32: 1, np.float64: 11}[self.dtype.type]
        self.relu = model.__dict__.get("_nonlinearity", "tanh") == "relu"
        self.text = model.input_mode_ == "text"
        self.tokenizer = model.tokenizer_ if self.text else None
        if not self.text and text_input is not None:
            raise ValueError(
                f"text_input={text_input!r} is for models fitted on text; this "
                f"{type(model).__name__} was fitted on numeric sequences. Leave "
                "text_input=None."
            )
        if text_input not in (None, "strings", "ids"):
            raise ValueError(
                f"text_input must be 'strings' or 'ids' (or None), got {text_input!r}."
            )
        self.text_input = text_input or "strings"
        if isinstance(self.tokenizer, PrecomputedIds):
            if text_input == "strings":
                raise ValueError(
                    "text_input='strings', but this model was fitted with "
                    "tokenizer='precomputed': it reads token ids, and has no "
                    "tokenizer to write in the graph. Leave text_input=None."
                )
            self.text_input = "ids"  # the model's own input is ids already
        self.tokenization = None
        if self.text and self.text_input == "strings":
            self.tokenization = _Tokenization(graph, self.tokenizer, locale)
            self.tokenization.check(
                "Export with text_input='ids': the graph then reads token ids, "
                "which the fitted tokenizer (model.tokenizer_.transform_ragged) "
                "makes, and the vocabulary is stored in the model's metadata."
            )

    def required_opset(self):
        """The lowest ai.onnx opset the graph can be written in."""
        if self.tokenization is not None:
            return self.tokenization.required_opset()
        return MIN_OPSET

    # ------------------------------------------------------------ inputs
    def input_kind(self):
        """What the graph's input holds: "strings", "ids" or "numeric"."""
        return self.text_input if self.text else "numeric"

    def input_shape(self):
        if self.input_kind() == "strings":
            return [None]
        if self.input_kind() == "ids" or self.model.n_step_features_ == 1:
            return [None, None]
        return [None, None, self.model.n_step_features_]

    def _given_ids(self, X):
        """Token ids given as input [N, T], padded with 0, as the model's
        tokenizer (or ``tokenizer="precomputed"``) reads them."""
        g = self.g
        ids = g.op("Cast", X, to=7)
        ids = self.pad_column(ids)
        size = self.tokenizer.vocabulary_size_
        # Ids past the vocabulary are unknown words, as in prediction; a
        # negative one becomes an id past the embedding, which ONNX Runtime
        # refuses with an error rather than reading a row from the end.
        ids = g.op(
            "Where",
            g.op("GreaterOrEqual", ids, g.const(np.int64(size))),
            g.const(np.int64(TextTokenizer.UNK_ID)),
            ids,
        )
        ids = g.op(
            "Where",
            g.op("Less", ids, g.const(np.int64(0))),
            g.const(np.int64(size)),
            ids,
        )
        ids = self.compact(ids)
        return ids, self.count_tokens(ids)

    def _numeric(self, X):
        """Numeric sequences [N, T, F] (or [N, T]) padded at the end with NaN
        -> the same with zeros past each sequence's end, and the lengths.

        A NaN inside a sequence is left as it is: prediction refuses it, and
        here it makes that sample's outputs NaN rather than a number (its
        label, an argmax of NaN, is then meaningless)."""
        g = self.g
        # (n, T) and (n, T, 1) both hold univariate sequences.
        n_features = self.model.n_step_features_
        shape = g.op(
            "Concat",
            g.op("Shape", X, start=0, end=2),
            g.const(np.array([n_features], np.int64)),
            axis=0,
        )
        x = g.op("Reshape", g.op("Cast", X, to=self.onnx_dtype), shape)
        blank = g.op("Cast", g.op("IsNaN", x), to=6)
        blank = g.op("ReduceMin", blank, g.const(np.array([2], np.int64)), keepdims=0)
        filled = g.op("Cast", g.op("Sub", g.const(np.int32(1)), blank), to=7)
        steps = self.steps(x, axis=1)
        ends = g.op("Mul", filled, g.op("Add", steps, g.const(np.int64(1))))
        # (A zero column: a batch of no steps has sequences of length 0.)
        ends = self.pad_column(ends)
        lengths = g.op("ReduceMax", ends, g.const(np.array([1], np.int64)), keepdims=0)
        inside = self.inside(x, lengths, axis=1)
        inside = g.op("Unsqueeze", inside, g.const(np.array([2], np.int64)))
        x = g.op("Where", inside, x, g.const(np.zeros((), self.dtype)))
        # One more step, past every end, so that the recurrence has a step to
        # run even for a batch of none.
        step_shape = g.op(
            "Concat",
            g.op("Shape", X, start=0, end=1),
            g.const(np.array([1, n_features], np.int64)),
            axis=0,
        )
        zeros = g.op(
            "ConstantOfShape", step_shape, value=g.tensor(np.zeros(1, self.dtype), "0")
        )
        return g.op("Concat", x, zeros, axis=1), lengths

    # ------------------------------------------------------------ recurrence
    def _layer_inputs(self, data, lengths):
        """Time-major step inputs of layer 0, one per direction, each with the
        matrix that maps them to the hidden units (None: they are mapped)."""
        g, p = self.g, self.params
        dirs = _rnn.directions(p)
        if self.input_kind() == "numeric":
            x = g.op("Transpose", data, perm=[1, 0, 2])
            return [(x, p[_rnn.cell_name("W_xh", 0, r)]) for r in dirs]
        ids = g.op("Transpose", data, perm=[1, 0])
        if "W_emb" in p:
            x = g.op("Gather", g.const(p["W_emb"], "W_emb"), ids)
            return [(x, p[_rnn.cell_name("W_xh", 0, r)]) for r in dirs]
        # A token selects a row of W_xh: its product with the one-hot input.
        out = []
        for r in dirs:
            name = _rnn.cell_name("W_xh", 0, r)
            out.append((g.op("Gather", g.const(p[name], name), ids), None))
        return out

    def _recurrence(self, inputs, lengths):
        """Every layer and direction; returns the top layer's states, one
        [T, N, H] per direction (zero past each sequence's end), and each
        direction's last state [N, H]."""
        g, p = self.g, self.params
        dirs = _rnn.directions(p)
        top = _rnn.n_layers(p) - 1
        pooled_states = self.model._pooling != "last"
        # What every layer and direction reads: the lengths as the RNN
        # operator takes them, or the mask of the steps within each sequence.
        if self.dtype == np.float32:
            run = partial(self._native, seq_lens=g.op("Cast", lengths, to=6))
        else:
            run = partial(self._scan, active=self.active(inputs[0][0], lengths))
        for layer in range(top + 1):
            states, lasts = [], []
            keep = layer < top or pooled_states
            for r, (x, W_xh) in zip(dirs, inputs, strict=True):
                y, last = run(layer, r, x, W_xh, lengths, keep)
                states.append(y)
                lasts.append(last)
            if layer < top:
                below = (
                    states[0] if len(states) == 1 else g.op("Concat", *states, axis=2)
                )
                inputs = [
                    (below, p[_rnn.cell_name("W_xh", layer + 1, r)]) for r in dirs
                ]
        return states, lasts

    def _native(self, layer, reverse, x, W_xh, lengths, keep, seq_lens):
        """One layer and direction with ONNX's RNN operator (float32): every
        state (None unless ``keep``), and the last one."""
        g, p = self.g, self.params
        W_hh = p[_rnn.cell_name("W_hh", layer, reverse)]
        b_h = p[_rnn.cell_name("b_h", layer, reverse)]
        H = W_hh.shape[0]
        W = np.eye(H, dtype=self.dtype) if W_xh is None else W_xh.T
        B = np.concatenate([b_h, np.zeros_like(b_h)])
        inputs = [
            x,
            g.const(W[np.newaxis].copy(), "W"),
            g.const(W_hh.T[np.newaxis].copy(), "R"),
            g.const(B[np.newaxis], "B"),
            seq_lens,
        ]
        y, last = g.name("rnn_y") if keep else "", g.name("rnn_y_h")
        attrs = {
            "hidden_size": H,
            "direction": "reverse" if reverse else "forward",
            "activations": ["Relu" if self.relu else "Tanh"],
        }
        g.add_node("RNN", inputs, [y, last], "", _VERSIONS[""], attrs)
        if keep:
            y = g.op("Squeeze", y, g.const(np.array([1], np.int64)))
        last = g.op("Squeeze", last, g.const(np.array([0], np.int64)))
        return y or None, last

    def _scan(self, layer, reverse, x, W_xh, lengths, keep, active):
        """One layer and direction with a Scan over the steps (float64):
        ``h_t = f(x_t W_xh + b_h + h_{t-1} W_hh)``, in prediction's order of
        operations, with each state kept from a sequence's end on. Returns
        every state (None unless ``keep``) and the last one."""
        g, p, onnx = self.g, self.params, self.g.onnx
        helper = onnx.helper
        W_hh = g.const(p[_rnn.cell_name("W_hh", layer, reverse)], "W_hh")
        pre = x if W_xh is None else g.op("MatMul", x, g.const(W_xh, "W_xh"))
        b_h = p[_rnn.cell_name("b_h", layer, reverse)]
        pre = g.op("Add", pre, g.const(b_h, "b_h"))
        if reverse:
            pre = g.op("ReverseSequence", pre, lengths, batch_axis=1, time_axis=0)
        n_hidden = p["W_hh"].shape[0]
        shape = g.op(
            "Concat",
            g.op("Shape", lengths),
            g.const(np.array([n_hidden], np.int64)),
            axis=0,
        )
        zero = g.tensor(np.zeros(1, self.dtype), "zero")
        h0 = g.op("ConstantOfShape", shape, value=zero)
        zero_scalar = g.const(np.zeros((), self.dtype))
        # The body: its own names, made unique in the whole graph.
        parts = ("h", "pre_t", "on", "hw", "s", "h_new", "h_out", "y_t")
        names = {k: g.name(k) for k in parts}
        body_nodes = [
            helper.make_node("MatMul", [names["h"], W_hh], [names["hw"]]),
            helper.make_node("Add", [names["pre_t"], names["hw"]], [names["s"]]),
            helper.make_node(
                "Relu" if self.relu else "Tanh", [names["s"]], [names["h_new"]]
            ),
            helper.make_node(
                "Where", [names["on"], names["h_new"], names["h"]], [names["h_out"]]
            ),
            helper.make_node(
                "Where", [names["on"], names["h_new"], zero_scalar], [names["y_t"]]
            ),
        ]
        T = onnx.TensorProto
        info = helper.make_tensor_value_info
        body = g.subgraph(
            body_nodes,
            [
                info(names["h"], self.onnx_dtype, [None, n_hidden]),
                info(names["pre_t"], self.onnx_dtype, [None, n_hidden]),
                info(names["on"], T.BOOL, [None, 1]),
            ],
            [
                info(names["h_out"], self.onnx_dtype, [None, n_hidden]),
                info(names["y_t"], self.onnx_dtype, [None, n_hidden]),
            ],
        )
        last, y = g.op("Scan", h0, pre, active, n_out=2, body=body, num_scan_inputs=2)
        if not keep:
            return None, last
        if reverse:
            y = g.op("ReverseSequence", y, lengths, batch_axis=1, time_axis=0)
        return y, last

    # ------------------------------------------------------------ output
    def _pool(self, states, lasts, lengths):
        """Each direction's summaries side by side, as ``forward`` puts them."""
        g = self.g
        kinds = _rnn.pooling_kinds(self.model._pooling)
        if kinds != ("last",):
            axis0 = g.const(np.array([0], np.int64))
        if "mean" in kinds:
            count = g.op("Max", lengths, g.const(np.int64(1)))
            count = g.op("Cast", count, to=self.onnx_dtype)
            count = g.op("Unsqueeze", count, g.const(np.array([1], np.int64)))
        if "max" in kinds:
            active = self.active(states[0], lengths)
            nonempty = g.op(
                "Unsqueeze",
                g.op("Greater", lengths, g.const(np.int64(0))),
                g.const(np.array([1], np.int64)),
            )
            lowest = g.const(np.array(-np.inf, self.dtype))
            zero = g.const(np.zeros((), self.dtype))
        parts = []
        for y, last in zip(states, lasts, strict=True):
            for kind in kinds:
                if kind == "last":
                    parts.append(last)
                elif kind == "mean":
                    total = g.op("ReduceSum", y, axis0, keepdims=0)
                    parts.append(g.op("Div", total, count))
                else:  # the maximum over the steps of the sequence, 0 if none
                    masked = g.op("Where", active, y, lowest)
                    top = g.op("ReduceMax", masked, axis0, keepdims=0)
                    parts.append(g.op("Where", nonempty, top, zero))
        return parts[0] if len(parts) == 1 else g.op("Concat", *parts, axis=1)

    def outputs_of(self, X):
        """The output layer's values (logits, or scaled predictions) for the
        graph input ``X``."""
        g, p = self.g, self.params
        kind = self.input_kind()
        if kind == "strings":
            data, lengths = self.tokenization.ids(X)
        elif kind == "ids":
            data, lengths = self._given_ids(X)
        else:
            data, lengths = self._numeric(X)
        max_len, keep = self.model._reading
        data, lengths = self.cut(data, lengths, max_len, keep)
        inputs = self._layer_inputs(data, lengths)
        states, lasts = self._recurrence(inputs, lengths)
        pooled = self._pool(states, lasts, lengths)
        logits = g.op("MatMul", pooled, g.const(p["W_hy"], "W_hy"))
        return g.op("Add", logits, g.const(p["b_y"], "b_y"))

    def classifier(self, X, classes):
        """(labels, probabilities) of a classifier; ``classes`` are the labels
        to output, in the order of ``classes_``."""
        g = self.g
        logits = self.outputs_of(X)
        proba = g.op("Softmax", logits, axis=1, hint="probabilities")
        best = g.op("ArgMax", logits, axis=1, keepdims=0)
        label = g.op("Gather", g.const(classes, "classes"), best, hint="label")
        return label, proba

    def regressor(self, X):
        """Predictions of a regressor, in float64 as ``predict`` gives them."""
        g, model = self.g, self.model
        outputs = g.op("Cast", self.outputs_of(X), to=11)
        outputs = g.op("Mul", outputs, g.const(model.target_scale_, "target_scale"))
        outputs = g.op("Add", outputs, g.const(model.target_mean_, "target_mean"))
        if model._y_is_1d:
            outputs = g.op("Reshape", outputs, g.const(np.array([-1], np.int64)))
        return outputs


def _labels(classes):
    """The classes as an array ONNX can hold (object arrays of str become str)."""
    if classes.dtype == object:
        if all(isinstance(c, str) for c in classes):
            return classes.astype(str)
        inferred = np.array(classes.tolist())
        if inferred.dtype.kind not in "biuf":
            raise ValueError(
                f"The classes {classes.tolist()!r} have no ONNX type (ONNX "
                "tensors hold numbers, booleans or str). Fit on labels of one "
                "such type, e.g. y.astype(str)."
            )
        return inferred
    return classes


def _check_estimator(model):
    if not isinstance(model, (TextRNNClassifier, TextRNNRegressor)):
        raise TypeError(
            "to_onnx exports a TextRNNClassifier or TextRNNRegressor, got "
            f"{type(model).__name__}. For a Pipeline ending in one, call "
            "sklearn_rnn.register_skl2onnx() once, then skl2onnx.to_onnx(pipeline, "
            "...)."
        )
    check_is_fitted(model)


def _metadata(export):
    """What a server needs to know that the graph does not say: the input."""
    model, tok = export.model, export.tokenizer
    kind = export.input_kind()
    meta = {"sklearn_rnn.input": kind}
    if kind == "ids":
        meta["sklearn_rnn.pad_id"] = str(TextTokenizer.PAD_ID)
        meta["sklearn_rnn.unk_id"] = str(TextTokenizer.UNK_ID)
        meta["sklearn_rnn.vocabulary_size"] = str(tok.vocabulary_size_)
        if isinstance(tok, TextTokenizer):
            if tok.n_buckets is None:
                meta["sklearn_rnn.tokens"] = json.dumps(tok.tokens_.tolist())
            params = {
                k: v
                for k, v in tok.get_params().items()
                if v is None or isinstance(v, (str, int, float, bool, list))
            }
            if params.get("stop_words") == "english":  # the list, for any server
                params["stop_words"] = sorted(ENGLISH_STOP_WORDS_KEEPING_NEGATIONS)
            meta["sklearn_rnn.tokenizer"] = json.dumps(params)
    if kind != "numeric" or model._reading[0] is not None:
        meta["sklearn_rnn.max_len"] = json.dumps(model._reading[0])
        meta["sklearn_rnn.truncation"] = model._reading[1]
    return meta


def to_onnx(model, *, text_input=None, locale="C.UTF-8", target_opset=None):
    """Export a fitted TextRNNClassifier or TextRNNRegressor to ONNX.

    The graph computes what ``predict`` and ``predict_proba`` compute, for a
    batch of any size: ONNX Runtime's outputs equal them to float rounding.
    Nothing is left for the caller to do between the raw input and the
    prediction. Needs the ``onnx`` extra (``pip install
    "sklearn-rnn[onnx]"``); ``import sklearn_rnn`` never imports it.

    Parameters
    ----------
    model : TextRNNClassifier or TextRNNRegressor
        Fitted. Every architecture exports (layers, directions, nonlinearity,
        pooling, embedding, float32 or float64, ``max_len`` and
        ``truncation``).
    text_input : {"strings", "ids"} or None, default=None
        Text models only. "strings" (None means it): the graph reads raw
        documents, a 1-D string tensor, and tokenizes them with ONNX string
        operators, as the fitted ``TextTokenizer`` does. Options those
        operators cannot reproduce (a callable analyzer or tokenizer,
        ``strip_accents``, a ``token_pattern`` other than the default or
        scikit-learn's, a tokenizer that is not a ``TextTokenizer`` itself)
        raise ValueError naming the option. Lowercasing
        differs from Python's in two cases: "İ" and a word-final capital
        sigma (see the user guide's ONNX page). "ids": the graph
        reads token ids ``(n_documents, n_tokens)``, int64, padded with 0, as
        ``model.tokenizer_.transform_ragged`` gives them; the vocabulary is
        stored in the model's metadata (``sklearn_rnn.tokens``). A model fitted
        with ``tokenizer="precomputed"`` always reads ids.
    locale : str, default="C.UTF-8"
        The locale ONNX Runtime lowercases text with (``lowercase=True``): a
        UTF-8 locale named with its encoding ("en_US.UTF-8"; others, "C" and
        "POSIX" among them, raise ValueError), which must exist on the machine
        that serves the model; "C.UTF-8" exists on current Linux systems.
    target_opset : int, default=None
        The ai.onnx opset of the graph; None: the lowest it can be written in
        (18, or 20 with ``analyzer="char"``).

    Returns
    -------
    onnx.ModelProto
        One input, ``X``: documents (a string tensor of shape ``(n,)``),
        token ids, or numeric sequences ``(n, n_timesteps, n_features)`` (of
        shape ``(n, n_timesteps)`` for a model of one feature) in the model's
        dtype, padded at the end with NaN. A classifier's outputs are
        ``label`` (``classes_`` values) and ``probabilities`` (columns in the
        order of ``classes_``); a regressor's, ``variable``, float64, shaped
        as ``predict`` returns it.

    Notes
    -----
    float32 models use ONNX's ``RNN`` operator. float64 models use a ``Scan``
    over the steps: ONNX Runtime has no float64 ``RNN`` kernel. A NaN inside a
    numeric sequence, which ``predict`` refuses, makes that sample's
    probabilities (or predictions) NaN; its label is then meaningless.

    See Also
    --------
    register_skl2onnx : Convert a Pipeline ending in one of the estimators.

    Examples
    --------
    >>> import numpy as np
    >>> import onnxruntime as ort
    >>> from sklearn_rnn import TextRNNClassifier, to_onnx
    >>> docs, y = ["good", "not good", "bad", "not bad"], [1, 0, 0, 1]
    >>> clf = TextRNNClassifier(random_state=0).fit(docs, y)
    >>> session = ort.InferenceSession(
    ...     to_onnx(clf).SerializeToString(), providers=["CPUExecutionProvider"]
    ... )
    >>> new = ["not bad at all", "", "an unseen word"]
    >>> label, proba = session.run(None, {"X": np.array(new, dtype=object)})
    >>> bool(np.allclose(proba, clf.predict_proba(new), rtol=0, atol=1e-9))
    True
    >>> bool((label == clf.predict(new)).all())
    True
    """
    onnx = _import_onnx()
    _check_estimator(model)
    graph = _Graph(onnx, reserved=["X", "label", "probabilities", "variable"])
    export = _Export(model, graph, text_input, locale)
    required = export.required_opset()
    newest = onnx.defs.onnx_opset_version()
    if target_opset is not None and (
        not isinstance(target_opset, Integral) or isinstance(target_opset, bool)
    ):
        raise TypeError(
            f"target_opset must be an int (the ai.onnx opset), got {target_opset!r}."
        )
    if target_opset is not None and target_opset > newest:
        raise ValueError(
            f"target_opset={target_opset} is above {newest}, the newest opset "
            f"the installed onnx {onnx.__version__} knows."
        )
    if target_opset is not None and target_opset < required:
        raise ValueError(
            f"target_opset={target_opset} is below {required}, the lowest opset "
            "this model's graph can be written in. Leave target_opset=None."
        )
    opset = target_opset or required
    helper, T = onnx.helper, onnx.TensorProto
    kind = export.input_kind()
    elem = {"strings": T.STRING, "ids": T.INT64}.get(kind, export.onnx_dtype)
    inputs = [helper.make_tensor_value_info("X", elem, export.input_shape())]
    if isinstance(model, TextRNNClassifier):
        label, proba = export.classifier("X", _labels(model.classes_))
        names = {"label": label, "probabilities": proba}
        classes = _labels(model.classes_)
        label_type = (
            T.STRING
            if classes.dtype.kind in "US"
            else helper.np_dtype_to_tensor_dtype(classes.dtype)
        )
        outputs = [
            helper.make_tensor_value_info("label", label_type, [None]),
            helper.make_tensor_value_info(
                "probabilities", export.onnx_dtype, [None, len(classes)]
            ),
        ]
    else:
        variable = export.regressor("X")
        names = {"variable": variable}
        shape = [None] if model._y_is_1d else [None, model.n_outputs_]
        outputs = [helper.make_tensor_value_info("variable", T.DOUBLE, shape)]
    for public, internal in names.items():
        graph.add_node("Identity", [internal], [public], "", 1, {})
    opsets = dict(graph.opsets)
    opsets[""] = opset
    opset_imports = [helper.make_opsetid(d, v) for d, v in sorted(opsets.items())]
    proto = helper.make_model(
        helper.make_graph(
            graph.nodes,
            type(model).__name__,
            inputs,
            outputs,
            value_info=graph.value_info,
        ),
        opset_imports=opset_imports,
        producer_name="sklearn_rnn",
        producer_version=__version__,
    )
    # The oldest IR version that holds these opsets: the widest choice of
    # runtimes (onnx knows no version of the com.microsoft domain).
    proto.ir_version = helper.find_min_ir_version_for(
        [o for o in opset_imports if o.domain != "com.microsoft"]
    )
    helper.set_model_props(proto, _metadata(export))
    onnx.checker.check_model(proto)
    return proto


# ---------------------------------------------------------------- skl2onnx
def register_skl2onnx():
    """Teach skl2onnx to convert TextRNNClassifier, TextRNNRegressor and
    TextTokenizer.

    After this call, ``skl2onnx.to_onnx`` (or ``convert_sklearn``) converts a
    fitted estimator, or a ``Pipeline`` ending in one, like scikit-learn's
    own models; a TextTokenizer step gives ``transform``'s ids. Classifiers
    follow skl2onnx's conventions: a ``ZipMap`` of float32 probabilities
    unless ``options={"zipmap": False}``, int64 labels for integer, float and
    boolean classes, and ``"nocl": True`` for class indices. An input
    declared with the wrong type or shape is refused with a ValueError saying
    what to declare. ``text_input`` and ``locale`` are options too, as in
    :func:`to_onnx`.
    Calling it again changes nothing.

    Returns
    -------
    None

    See Also
    --------
    to_onnx : Export one estimator, with labels of any type.

    Notes
    -----
    Declare the input as skl2onnx does: ``StringTensorType([None, 1])`` for
    documents, ``Int64TensorType([None, None])`` for token ids (with
    ``text_input="ids"``), and a float tensor ``[None, n_timesteps]`` or
    ``[None, n_timesteps, n_features]`` for numeric sequences.

    Examples
    --------
    >>> import numpy as np
    >>> import onnxruntime as ort
    >>> from skl2onnx import to_onnx as skl2onnx_to_onnx
    >>> from skl2onnx.common.data_types import StringTensorType
    >>> from sklearn.pipeline import make_pipeline
    >>> from sklearn_rnn import TextRNNClassifier, register_skl2onnx
    >>> register_skl2onnx()
    >>> docs, y = ["good", "not good", "bad", "not bad"], [1, 0, 0, 1]
    >>> pipe = make_pipeline(TextRNNClassifier(random_state=0)).fit(docs, y)
    >>> onnx_model = skl2onnx_to_onnx(
    ...     pipe,
    ...     initial_types=[("text", StringTensorType([None, 1]))],
    ...     options={TextRNNClassifier: {"zipmap": False}},
    ... )
    >>> session = ort.InferenceSession(
    ...     onnx_model.SerializeToString(), providers=["CPUExecutionProvider"]
    ... )
    >>> column = np.array(docs, dtype=object).reshape(-1, 1)
    >>> label, proba = session.run(None, {"text": column})
    >>> bool(np.allclose(proba, pipe.predict_proba(docs), rtol=0, atol=1e-9))
    True
    """
    try:
        from skl2onnx import update_registered_converter
    except ImportError as exc:
        raise ImportError(
            f"register_skl2onnx needs skl2onnx, which is not installed: {INSTALL_HINT}."
        ) from exc
    update_registered_converter(
        TextTokenizer,
        "SklearnRnnTextTokenizer",
        _tokenizer_shapes,
        _tokenizer_convert,
        options={"locale": None},
    )
    common = {"text_input": ["strings", "ids"], "locale": None}
    update_registered_converter(
        TextRNNClassifier,
        "SklearnRnnTextRNNClassifier",
        _skl2onnx_shapes,
        _skl2onnx_convert,
        options={"zipmap": [True, False, "columns"], "nocl": [True, False], **common},
    )
    update_registered_converter(
        TextRNNRegressor,
        "SklearnRnnTextRNNRegressor",
        _skl2onnx_shapes,
        _skl2onnx_convert,
        options=common,
    )


def _skl2onnx_labels(model, options):
    """Class labels as skl2onnx's ZipMap takes them: int64 or str (or, with
    its option ``nocl``, the classes' indices)."""
    if options.get("nocl"):
        return np.arange(len(model.classes_), dtype=np.int64)
    classes = _labels(model.classes_)
    if classes.dtype.kind in "US":
        return classes
    # (A classifier's float labels are whole numbers: scikit-learn refuses
    # others as a continuous target.)
    too_large = classes.dtype.kind in "uf" and (
        classes.max() > np.iinfo(np.int64).max or classes.min() < np.iinfo(np.int64).min
    )
    if too_large:
        raise ValueError(
            f"The classes {classes.tolist()!r} do not fit in int64, the type of "
            "skl2onnx's labels. Use sklearn_rnn.to_onnx, whose labels keep "
            "their type, or the option nocl=True (class indices)."
        )
    return classes.astype(np.int64)


def _skl2onnx_double_proba(model, options):
    """Whether the probabilities stay float64: for a float64 model, unless
    skl2onnx's ZipMap (on by default) follows, which takes float32 only."""
    zipmap = options.get("zipmap", True)
    return model.output_bias_.dtype == np.float64 and zipmap is False


def _made_types(model, options):
    """The element types of the outputs the converter computes."""
    T = _import_onnx().TensorProto
    if isinstance(model, TextRNNRegressor):
        return (T.DOUBLE,)
    classes = _skl2onnx_labels(model, options)
    label = T.STRING if classes.dtype.kind in "US" else T.INT64
    return label, T.DOUBLE if _skl2onnx_double_proba(model, options) else T.FLOAT


def _skl2onnx_shapes(operator):
    from skl2onnx.common.data_types import (
        DoubleTensorType,
        FloatTensorType,
        Int64TensorType,
        StringTensorType,
    )

    model = operator.raw_operator
    options = operator.scope_inst.get_options(model)
    _skl2onnx_check_input(model, options, operator.inputs[0])
    n = operator.inputs[0].get_first_dimension()
    if isinstance(model, TextRNNClassifier):
        classes = _skl2onnx_labels(model, options)
        label = StringTensorType if classes.dtype.kind in "US" else Int64TensorType
        double = _skl2onnx_double_proba(model, options)
        proba = DoubleTensorType if double else FloatTensorType
        operator.outputs[0].type = label([n])
        operator.outputs[1].type = proba([n, len(classes)])
    else:
        # skl2onnx's convention for regressors, which its ensembles rely on:
        # float64 for a float64 input, else float32.
        shape = [n] if model._y_is_1d else [n, model.n_outputs_]
        double = isinstance(operator.inputs[0].type, DoubleTensorType)
        operator.outputs[0].type = (DoubleTensorType if double else FloatTensorType)(
            shape
        )


_READS = {
    "strings": "documents",
    "ids": "token ids",
    "numeric": "numeric sequences",
}


def _skl2onnx_check_input(model, options, variable):
    """Refuse an input declaration the graph would misread, saying what to
    declare instead."""
    from skl2onnx.common.data_types import (
        DoubleTensorType,
        FloatTensorType,
        Int32TensorType,
        Int64TensorType,
        StringTensorType,
    )

    export = _Export(model, None, options.get("text_input"), "C.UTF-8")
    kind = export.input_kind()
    shape = list(variable.type.shape or [])
    n_features = model.n_step_features_
    if kind == "strings":
        expected = "StringTensorType([None, 1]) (or [None]): one document per row"
        ok = isinstance(variable.type, StringTensorType) and (
            len(shape) == 1 or (len(shape) == 2 and shape[1] == 1)
        )
    elif kind == "ids":
        expected = "Int64TensorType([None, None]): token ids padded with 0"
        ok = isinstance(variable.type, (Int64TensorType, Int32TensorType)) and (
            len(shape) == 2
        )
    else:
        steps = "[None, None]" if n_features == 1 else f"[None, None, {n_features}]"
        expected = (
            f"FloatTensorType or DoubleTensorType of shape {steps}: "
            f"{n_features} feature(s) per step"
        )
        ok = isinstance(variable.type, (FloatTensorType, DoubleTensorType)) and (
            (len(shape) == 2 and n_features == 1)
            or (len(shape) == 3 and shape[2] in (None, n_features))
        )
    if not ok:
        raise ValueError(
            f"The input {variable.onnx_name!r} is declared as "
            f"{type(variable.type).__name__}({shape}), but this "
            f"{type(model).__name__} reads {_READS[kind]}: declare {expected}."
        )


def _skl2onnx_convert(scope, operator, container):
    onnx = _import_onnx()
    model = operator.raw_operator
    defaults = {"text_input": None, "locale": "C.UTF-8"}
    if isinstance(model, TextRNNClassifier):
        defaults["nocl"] = False
    options = container.get_options(model, defaults)
    graph = _Skl2onnxGraph(onnx, scope, container)
    export = _Export(model, graph, options["text_input"], options["locale"])
    required = export.required_opset()
    if container.target_opset < required:
        raise ValueError(
            f"target_opset={container.target_opset} is below {required}, the "
            f"lowest opset this {type(model).__name__}'s graph can be written in. "
            "Pass a higher target_opset to skl2onnx (or none)."
        )
    X = operator.inputs[0]
    if isinstance(model, TextRNNClassifier):
        label, proba = export.classifier(X.full_name, _skl2onnx_labels(model, options))
        if model.output_bias_.dtype == np.float64 and not _skl2onnx_double_proba(
            model, options
        ):
            proba = graph.op("Cast", proba, to=1)
        outputs = label, proba
    else:
        outputs = (export.regressor(X.full_name),)
    for internal, declared, made in zip(
        outputs, operator.outputs, _made_types(model, options), strict=True
    ):
        # A wrapper (VotingRegressor, MultiOutputRegressor...) may declare
        # another number type for our output than ours: it gets that one.
        wanted = declared.type.to_onnx_type().tensor_type.elem_type
        if wanted != made and made != onnx.TensorProto.STRING:
            internal = graph.op("Cast", internal, to=wanted)
        graph.add_node("Identity", [internal], [declared.full_name], "", 1, {})


def _tokenizer_shapes(operator):
    from skl2onnx.common.data_types import Int64TensorType, StringTensorType

    tokenizer, variable = operator.raw_operator, operator.inputs[0]
    shape = list(variable.type.shape or [])
    if not isinstance(variable.type, StringTensorType) or not (
        len(shape) == 1 or (len(shape) == 2 and shape[1] == 1)
    ):
        raise ValueError(
            f"The input {variable.onnx_name!r} is declared as "
            f"{type(variable.type).__name__}({shape}), but a TextTokenizer reads "
            "documents: declare StringTensorType([None, 1]) (or [None])."
        )
    width = tokenizer._output_width()
    operator.outputs[0].type = Int64TensorType([variable.get_first_dimension(), width])


def _tokenizer_convert(scope, operator, container):
    """TextTokenizer.transform: token ids padded with 0 to its output width
    (``max_len``, else the longest training document), longer documents cut
    as ``truncation`` says (without transform's warning)."""
    onnx = _import_onnx()
    tokenizer = operator.raw_operator
    if tokenizer.n_buckets is None:
        check_is_fitted(tokenizer)
    options = container.get_options(tokenizer, {"locale": "C.UTF-8"})
    graph = _Skl2onnxGraph(onnx, scope, container)
    nodes = _Tokenization(graph, tokenizer, options["locale"])
    nodes.check(
        "Tokenize in Python instead, and export the model that reads the ids "
        "(tokenizer='precomputed') on its own with sklearn_rnn.to_onnx."
    )
    required = nodes.required_opset()
    if container.target_opset < required:
        raise ValueError(
            f"target_opset={container.target_opset} is below {required}, the "
            "lowest opset this TextTokenizer can be written in."
        )
    g = graph
    ids, lengths = nodes.ids(operator.inputs[0].full_name)
    width = tokenizer._output_width()
    if width is None:  # hashing without max_len: the batch's longest document
        longest = g.op("ReduceMax", lengths, keepdims=1)
        ids = g.op(
            "Slice",
            ids,
            g.const(np.array([0], np.int64)),
            longest,
            g.const(np.array([1], np.int64)),
        )
    else:
        ids, lengths = nodes.cut(ids, lengths, width, tokenizer.truncation)
        n = g.op("Shape", ids, start=0, end=1)
        shape = g.op("Concat", n, g.const(np.array([width], np.int64)), axis=0)
        zeros = g.op(
            "ConstantOfShape", shape, value=g.tensor(np.array([0], np.int64), "zero")
        )
        ids = g.op("Concat", ids, zeros, axis=1)
        ids = g.op(
            "Slice",
            ids,
            g.const(np.array([0], np.int64)),
            g.const(np.array([width], np.int64)),
            g.const(np.array([1], np.int64)),
        )
    ids = nodes.zero_past(ids, lengths)
    graph.add_node("Identity", [ids], [operator.outputs[0].full_name], "", 1, {})
