"""
Regression on numeric sequences: tomorrow's temperature
=======================================================

:class:`~sklearn_rnn.TextRNNRegressor` is the network of the classifier with a
linear output and a squared-error loss. Here it forecasts Seattle's weather: each
sample is a window of 14 days of four daily measurements (precipitation, maximum
and minimum temperature, wind), a 3-D array ``(n_samples, 14, 4)``, and the
targets are the next day's maximum and minimum temperature in °C, two outputs
fitted at once. The windows whose next day falls in 2012-2014 train the models;
the 365 days of 2015 test them.

The data, ``seattle_weather.csv`` beside this example, are NOAA's daily
observations for Seattle from 2012 to 2015, in the public domain, as shipped
unchanged in the ``vega_datasets`` package (version 0.9.0, file
``_data/seattle-weather.csv``).
"""

import time
from importlib.util import find_spec
from pathlib import Path

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view
from sklearn.linear_model import RidgeCV
from sklearn.metrics import r2_score

from sklearn_rnn import TextRNNRegressor

DAYS = 14
try:
    data = Path(__file__).with_name("seattle_weather.csv")
except NameError:  # sphinx-gallery runs the example in its folder, without __file__
    data = Path("seattle_weather.csv")
dates = np.loadtxt(data, delimiter=",", skiprows=1, usecols=0, dtype=str)
daily = np.loadtxt(data, delimiter=",", skiprows=1, usecols=(1, 2, 3, 4))

# Window i holds days i .. i + 13; its targets are the temperatures of day i + 14.
windows = sliding_window_view(daily[:-1], (DAYS, daily.shape[1]))[:, 0]
targets = daily[DAYS:, 1:3]
test = np.char.startswith(dates[DAYS:], "2015")
X_train, X_test = windows[~test], windows[test]
y_train, y_test = targets[~test], targets[test]

# %%
# The network scales its targets itself (``target_scaling="standard"``), but not
# its inputs: like any neural network it wants features of similar size, so each
# measurement is standardised with the training days' mean and standard deviation.
mean = X_train.mean(axis=(0, 1))
std = X_train.std(axis=(0, 1))
X_train, X_test = (X_train - mean) / std, (X_test - mean) / std

# %%
# Four forecasts: today's temperatures for tomorrow (persistence), a ridge
# regression on the 56 values of the window laid flat, and the network with its
# default ``pooling="auto"`` (for the regressor on numeric input, the state after
# the last day) and with ``pooling="max"`` (the element-wise maximum of the hidden
# states over the window).
today = X_test[:, -1, 1:3] * std[1:3] + mean[1:3]
scores = {"persistence (tomorrow = today)": r2_score(y_test, today)}
models = {
    "RidgeCV on the flat window": RidgeCV(alphas=np.logspace(-2, 3, 11)),
    "TextRNNRegressor, defaults": TextRNNRegressor(random_state=0),
    'TextRNNRegressor, pooling="max"': TextRNNRegressor(pooling="max", random_state=0),
}
for name, model in models.items():
    # Ridge sees each window as one row of 56 numbers.
    view = (lambda A: A.reshape(len(A), -1)) if "Ridge" in name else np.asarray
    start = time.perf_counter()
    model.fit(view(X_train), y_train)
    seconds = time.perf_counter() - start
    scores[name] = model.score(view(X_test), y_test)
    print(f"{name}: fit {seconds:.1f} s")
for name, score in scores.items():
    print(f"test R^2 {score:.3f}  {name}")

# %%
# Yesterday's weather is most of tomorrow's: persistence alone explains most of
# the variance, and ridge regression adds a little to it. The last hidden state
# reads the window in order and matches the ridge regression; the maximum over
# the hidden states forgets *when* a day was warm, and does worse than
# persistence here.
#
# Left, the test R^2 of the four forecasts; right, predicted against observed
# maxima for 2015, with the default network:
rnn = models["TextRNNRegressor, defaults"]
predicted = rnn.predict(X_test)

if find_spec("matplotlib"):  # the figure needs matplotlib; the numbers above do not
    import matplotlib.pyplot as plt

    fig, (left, right) = plt.subplots(
        1, 2, figsize=(10, 3.8), gridspec_kw={"width_ratios": [1.3, 1]}
    )
    names = list(scores)
    left.plot(list(scores.values()), range(len(names)), "o", markersize=8)
    for row, score in enumerate(scores.values()):
        left.annotate(
            f"{score:.3f}", (score, row), xytext=(0, 8), textcoords="offset points"
        )
    left.set_yticks(range(len(names)), names)
    left.invert_yaxis()
    left.set_ylim(len(names) - 0.5, -0.7)
    left.set_xlim(min(scores.values()) - 0.02, max(scores.values()) + 0.03)
    left.grid(axis="x", alpha=0.3)
    left.set(xlabel="test R^2, both targets (higher is better)")
    left.set_title("forecasts of 2015", fontsize=10)
    right.scatter(y_test[:, 0], predicted[:, 0], s=8, alpha=0.6)
    low, high = y_test[:, 0].min(), y_test[:, 0].max()
    right.plot([low, high], [low, high], color="grey", linestyle="--")
    right.set(
        xlabel="observed maximum (°C)",
        ylabel="predicted maximum (°C)",
        title="default network, next day's maximum\n"
        f"R^2 {r2_score(y_test[:, 0], predicted[:, 0]):.3f}",
    )
    right.title.set_fontsize(10)
    fig.tight_layout()
    plt.show()

# %%
# What each day of the window contributes: ``predict_per_step`` gives the forecast
# the network would make had the window ended after each day. Its error against
# the true next-day maximum falls steeply only over the last days read, the most
# recent ones, and in one window the forecast follows the maximum of the day just
# read: the network relies on the latest days, as persistence does.
per_step = np.stack(rnn.predict_per_step(X_test))  # (n_samples, DAYS, 2)
error = np.abs(per_step[:, :, 0] - y_test[:, [0]]).mean(axis=0)
print("mean absolute error of the maximum after reading k days:")
print(" ".join(f"{k}: {e:.1f}" for k, e in enumerate(error, start=1)))

if find_spec("matplotlib"):
    fig, (left, right) = plt.subplots(1, 2, figsize=(9, 3.5))
    left.plot(np.arange(1, DAYS + 1), error, marker="o")
    left.set(xlabel="days of the window read", ylabel="mean absolute error (°C)")
    left.set_title("forecast of the next day's maximum")
    sample = 180  # the window whose next day is 2015-06-30
    read = np.arange(1, DAYS + 1)
    right.plot(read, per_step[sample, :, 0], marker="o", label="forecast")
    right.plot(
        read,
        X_test[sample, :, 1] * std[1] + mean[1],
        marker=".",
        linestyle=":",
        label="maximum of the day read",
    )
    right.axhline(y_test[sample, 0], color="grey", linestyle="--", label="truth")
    right.set(xlabel="days of the window read", ylabel="°C")
    right.set_title(f"one window, forecast for {dates[DAYS:][test][sample]}")
    right.legend(fontsize=8)
    fig.tight_layout()
    plt.show()
