"""Plots the training and validation loss per epoch of one or more `braid train --log` files into one PNG, one
panel per log, so runs (Braid against a twin, or one model against another) can be read side by side.

  python plot-training.py --log ae=run-ae/log.jsonl --log vae=run-vae/log.jsonl --out losses.png
  python plot-training.py --log a.jsonl --log b.jsonl --metric accuracy --shared-y --out accuracy.png

Each log line: {"epoch":N,"training":{"loss":...},"validation":{"loss":...},"learning_rate":...,"seconds":...,
"examples_per_second":...}. A log without validation ({} or missing) gets the training curve alone. A later line
for an epoch already seen replaces the earlier one, since a resumed run appends to the same log. A log given
without LABEL= is labelled with its file name. Prints one JSON line: the PNG written and the epochs plotted per log.
"""
import argparse
import json
import math
import os

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402 (after the backend is chosen)


def read_log(path, metric):
    """{epoch: (training value or None, validation value or None)}, later lines winning."""
    epochs = {}
    if not os.path.isfile(path):
        raise SystemExit(f"{path}: no such file")
    with open(path) as file:
        for number, line in enumerate(file, 1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
                epoch = int(record["epoch"])
            except (ValueError, KeyError, TypeError) as error:
                raise SystemExit(f"{path}:{number}: not a log line ({error})")
            training = (record.get("training") or {}).get(metric)
            validation = (record.get("validation") or {}).get(metric)
            epochs[epoch] = (training, validation)
    if not epochs:
        raise SystemExit(f"{path}: no epochs")
    return dict(sorted(epochs.items()))


def series(epochs, which):
    points = [(epoch, values[which]) for epoch, values in epochs.items() if values[which] is not None]
    return [p[0] for p in points], [p[1] for p in points]


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--log", action="append", required=True, metavar="LABEL=PATH",
                        help="a JSONL training log, optionally labelled; repeat for more panels")
    parser.add_argument("--out", required=True, metavar="FILE.png")
    parser.add_argument("--metric", default="loss", help="the key in training/validation to plot (default loss)")
    parser.add_argument("--log-y", action="store_true", help="a logarithmic y axis")
    parser.add_argument("--shared-y", action="store_true", help="one y range for every panel")
    parser.add_argument("--columns", type=int, default=0, help="panels per row (default: up to 3)")
    parser.add_argument("--title", default="")
    args = parser.parse_args()

    logs = []
    for spec in args.log:
        label, separator, path = spec.partition("=")
        if not separator or (not os.path.exists(path) and os.path.exists(spec)):
            label, path = os.path.splitext(os.path.basename(spec))[0], spec
        logs.append((label, path, read_log(path, args.metric)))

    columns = args.columns or min(3, len(logs))
    rows = math.ceil(len(logs) / columns)
    figure, axes = plt.subplots(rows, columns, figsize=(5.2 * columns, 3.8 * rows), squeeze=False,
                                sharey=args.shared_y)
    for panel, (label, path, epochs) in zip(axes.flat, logs):
        for which, name, style in [(0, "training", "-"), (1, "validation", "--")]:
            x, y = series(epochs, which)
            if not x:
                continue
            panel.plot(x, y, style, marker="o", markersize=3.5, linewidth=1.6,
                       label=f"{name} (last {y[-1]:.4g})", color="tab:blue" if which == 0 else "tab:orange")
        panel.set_title(label, fontsize=11)
        panel.set_xlabel("epoch")
        panel.set_ylabel(args.metric)
        if args.log_y:
            panel.set_yscale("log")
        panel.xaxis.get_major_locator().set_params(integer=True)
        panel.grid(True, alpha=0.3)
        panel.legend(fontsize=9)
    for panel in list(axes.flat)[len(logs):]:
        panel.set_visible(False)
    if args.title:
        figure.suptitle(args.title, fontsize=13)
    figure.tight_layout()
    figure.savefig(args.out, dpi=120)
    print(json.dumps({"out": args.out, "epochs": {label: len(epochs) for label, _, epochs in logs}}))


if __name__ == "__main__":
    main()
