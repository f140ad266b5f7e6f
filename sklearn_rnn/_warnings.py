"""Warnings that point at the user's line, whatever the depth of the call."""

import os
import sys
import warnings

import sklearn

# Frames in these directories are skipped: this package's own, and scikit-learn's
# wrappers (``_fit_context``, ``set_output``) that stand between a user and a method.
_INTERNAL = tuple(
    os.path.dirname(module.__file__) + os.sep
    for module in (sys.modules[__name__], sklearn)
)


def warn(message, category=UserWarning):
    """``warnings.warn`` attributed to the first caller outside the package.

    Counting frames by hand breaks whenever a call path gains or loses a level;
    walking the stack does not (``skip_file_prefixes`` does the same from Python
    3.12 on).
    """
    level, frame = 2, sys._getframe(1)
    while frame is not None and frame.f_code.co_filename.startswith(_INTERNAL):
        frame = frame.f_back
        level += 1
    warnings.warn(message, category, stacklevel=level)
