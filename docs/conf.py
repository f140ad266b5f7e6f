"""Sphinx configuration. Builds offline: no intersphinx, nothing fetched."""

import os
import sys
import warnings

# One BLAS thread, as in the tests: the products are small. Set before NumPy loads
# OpenBLAS (importing sklearn_rnn below does), or it has no effect.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

sys.path.insert(0, os.path.abspath(".."))
# This folder too: overview_figure and gallery_order are imported from here.
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import sklearn_rnn  # noqa: E402

project = "sklearn-rnn"
author = "sklearn-rnn developers"
release = version = sklearn_rnn.__version__

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.mathjax",
    # MathJax 3 shipped with the site, not fetched from a CDN, so the formulas
    # render offline: the PyPI package (in the docs extra) holds MathJax's files,
    # copies them into the built site's _static/mathjax and points mathjax_path
    # there. No node, no network at build or read time.
    "sphinx-mathjax-offline",
    "numpydoc",
    "sphinx_gallery.gen_gallery",
    "myst_parser",
]
source_suffix = {".rst": "restructuredtext", ".md": "markdown"}
myst_heading_anchors = 3

autosummary_generate = True
autodoc_default_options = {"members": True}
numpydoc_show_class_members = False
numpydoc_class_members_toctree = False
# Every docstring section is checked; a malformed one is a build error under -W.
numpydoc_validation_checks = {"GL08"}

sphinx_gallery_conf = {
    "examples_dirs": "../examples",
    "gallery_dirs": "auto_examples",
    "filename_pattern": r"/plot_",
    "download_all_examples": False,
    # The timing pages load DataTables from a CDN; the site fetches nothing.
    "write_computation_times": False,
    "reference_url": {"sklearn_rnn": None},
    # A reading order, not the default (fewest lines of code first).
    "within_subsection_order": "gallery_order.GalleryOrder",
    "reset_modules": ("matplotlib",),
}

exclude_patterns = ["_build", "auto_examples/*.ipynb"]
templates_path = ["_templates"]
html_theme = "pydata_sphinx_theme"
html_title = f"sklearn-rnn {version}"
html_static_path = ["_static"]
html_theme_options = {
    "navigation_with_keys": False,
    # The five sections in the navbar, none hidden under "More".
    "header_links_before_dropdown": 5,
}

# The index page's picture, drawn from the code at every build.
import overview_figure  # noqa: E402

overview_figure.draw(os.path.join(os.path.dirname(__file__), "_static", "overview.png"))

# Examples train small models; running out of max_iter there is expected.
warnings.filterwarnings("ignore", category=UserWarning, module="sklearn")
