"""The gallery's reading order (sphinx-gallery's ``within_subsection_order``).

sphinx-gallery sorts examples by their number of lines of code by default, which
put the skops example first. This order starts where a new user starts.
"""

import os

ORDER = [
    "plot_tutorial_sentiment.py",  # the tutorial: why a sequence model
    "plot_per_token.py",  # what it does along a sentence
    "plot_grid_search.py",  # tuning it with scikit-learn
    "plot_training_curves.py",  # watching a fit
    "plot_pretrained_embeddings.py",  # word vectors from unlabelled text
    "plot_digits_sequences.py",  # numeric sequences
    "plot_regression.py",  # numeric targets
    "plot_streaming.py",  # data that do not fit in memory
    "plot_save_and_load.py",  # keeping a model
    "plot_onnx_export.py",  # serving it without Python
]


class GalleryOrder:
    """Sort key: an example's place in ``ORDER``; examples not listed go last, by
    file name."""

    def __init__(self, src_dir):
        self.src_dir = src_dir

    def __call__(self, filename):
        name = os.path.basename(filename)
        return (ORDER.index(name), "") if name in ORDER else (len(ORDER), name)
