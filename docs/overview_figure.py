"""Draw the index page's picture: what the package does, from text to probabilities.

Run by conf.py at build time, so the figure is made from this source, not stored.
"""

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.patches import FancyArrowPatch, FancyBboxPatch  # noqa: E402

DOCUMENT = "not at all bad"


def steps():
    """The boxes, with what the default model fitted on the tutorial's sentences
    actually does with one document (so the picture cannot drift from the code)."""
    from sklearn_rnn import TextRNNClassifier
    from sklearn_rnn.datasets import load_sentiment

    X, y = load_sentiment(subset="train", return_X_y=True)
    model = TextRNNClassifier(random_state=0).fit(X, y)
    ids, _ = model.tokenizer_.transform_ragged([DOCUMENT])
    negative, positive = model.predict_proba([DOCUMENT])[0]
    return [
        ("raw text\nor sequences", f'"{DOCUMENT}"', "#e8eef7"),
        ("TextTokenizer", f"token ids\n{ids.tolist()}", "#e8f4ea"),
        ("recurrent network", "h_t = tanh(x_t W_xh\n + h_{t-1} W_hh + b_h)", "#fdf0e0"),
        ("pooling, softmax", "mean of h_1 … h_T\n→ output layer", "#f6e8f2"),
        (
            "predict_proba",
            f"negative {negative:.2f}\npositive {positive:.2f}",
            "#eeeeee",
        ),
    ]


def draw(path):
    STEPS = steps()
    fig, ax = plt.subplots(figsize=(12, 2.5), dpi=110)
    ax.set_xlim(0, len(STEPS) * 2.2)
    ax.set_ylim(0, 2.4)
    ax.axis("off")
    for i, (title, detail, color) in enumerate(STEPS):
        x = i * 2.2 + 0.1
        ax.add_patch(
            FancyBboxPatch(
                (x, 0.25),
                1.8,
                1.9,
                boxstyle="round,pad=0.02,rounding_size=0.12",
                facecolor=color,
                edgecolor="#555555",
            )
        )
        ax.text(
            x + 0.9,
            1.7,
            title,
            ha="center",
            va="center",
            fontsize=10,
            fontweight="bold",
        )
        ax.text(
            x + 0.9,
            0.85,
            detail,
            ha="center",
            va="center",
            fontsize=8,
            family="monospace",
        )
        if i:
            ax.add_patch(
                FancyArrowPatch(
                    (x - 0.32, 1.2),
                    (x - 0.02, 1.2),
                    arrowstyle="-|>",
                    mutation_scale=14,
                    color="#333333",
                )
            )
    ax.text(
        len(STEPS) * 1.1,
        0.05,
        "one scikit-learn estimator: fit / predict / predict_proba, in Pipeline, "
        "GridSearchCV, cross_val_score, joblib.dump",
        ha="center",
        va="bottom",
        fontsize=9,
        style="italic",
        color="#333333",
    )
    fig.savefig(path, bbox_inches="tight")
    plt.close(fig)


if __name__ == "__main__":
    draw("overview.png")
