"""Tests for ``sklearn_rnn/__main__.py``: the demo that ``python -m sklearn_rnn``
runs, executed here as ``-m`` executes it (``runpy``, as ``__main__``)."""

import re
import runpy
import sys

import pytest


@pytest.mark.filterwarnings("error::sklearn.exceptions.ConvergenceWarning")
@pytest.mark.parametrize(
    "argv, progress",
    [
        ([], [1] + [10 * k for k in range(1, 19)]),
        (["--every", "50", "--random-state", "1"], [1, 50, 100, 150]),
    ],
    ids=["defaults", "options"],
)
def test_demo_trains_and_reaches_the_tutorial_result(
    monkeypatch, capsys, argv, progress
):
    # A module imported before (the doctests import every module) would be run
    # again, with a RuntimeWarning; -m runs it fresh.
    monkeypatch.delitem(sys.modules, "sklearn_rnn.__main__", raising=False)
    monkeypatch.setattr(sys, "argv", ["python -m sklearn_rnn", *argv])
    with pytest.raises(SystemExit) as exit_info:
        runpy.run_module("sklearn_rnn", run_name="__main__", alter_sys=True)
    assert exit_info.value.code == 0
    out = capsys.readouterr().out
    assert "58 training and 20 test sentences" in out
    epochs = [int(e) for e in re.findall(r"^Epoch (\d+)/200", out, re.MULTILINE)]
    assert epochs[: len(progress)] == progress
    assert "Train accuracy: 1.000" in out
    assert "Test accuracy:  1.000" in out
    assert re.search(r"'this is not at all bad' +-> positive \(p = 0\.\d+\)", out)
    assert re.search(r"'i am not happy' +-> negative", out)
