"""The package's modules import each other in one direction only: the data flow."""

import ast
import pathlib
import subprocess
import sys

import sklearn_rnn

# Lowest first: a module may import only modules listed before it.
LAYERS = [
    "_version",
    "_warnings",
    "_validation",
    "_sequences",
    "_rnn",
    # load_skops checks a network's weights by the math's own names.
    "_persistence",
    "_tokenizer",
    "_optimizers",
    # Shards of batches, in worker processes: the math and the packing.
    "_parallel",
    "_training",
    "_threads",
    "_docs",
    "_base",
    "_classifier",
    "_regressor",
    # Export to ONNX: the fitted estimators' weights and reading rules.
    "_onnx",
    "datasets",
    "__init__",
    "__main__",
]
PACKAGE = pathlib.Path(sklearn_rnn.__file__).parent


def package_imports(path, level):
    """The sklearn_rnn modules a file ``level`` packages deep imports."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom):
            if node.level == level and node.module:
                found.add(node.module.split(".")[0])
            elif node.level == level:
                found.update(alias.name for alias in node.names)
            elif node.module and node.module.startswith("sklearn_rnn."):
                found.add(node.module.split(".")[1])
            elif node.module == "sklearn_rnn":
                found.add("__init__")
    return found


def test_every_module_has_a_layer():
    modules = {p.stem for p in PACKAGE.glob("*.py")} | {"datasets"}
    assert modules == set(LAYERS)


def test_no_module_imports_a_later_stage():
    later_imports = {}
    for name in LAYERS:
        if name == "datasets":  # a subpackage: what its files import from above it
            imported = set().union(
                *(package_imports(p, 2) for p in (PACKAGE / "datasets").glob("*.py"))
            )
        else:
            imported = package_imports(PACKAGE / f"{name}.py", 1)
        allowed = set(LAYERS[: LAYERS.index(name)])
        if name == "__main__":
            allowed.add("__init__")
        wrong = imported - allowed
        if wrong:
            later_imports[name] = sorted(wrong)
    assert later_imports == {}


def test_importing_the_package_loads_no_optional_dependency():
    # (pandas is left out: scikit-learn itself imports it when it is installed.)
    code = (
        "import sys, sklearn_rnn; "
        "optional = ('torch', 'skops', 'matplotlib', 'aeon', 'onnx', 'onnxruntime', "
        "'skl2onnx'); "
        "print(sorted(m for m in optional if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[]"
