"""PyTorch twins of Braid's classifier networks: the same layers, batch, optimiser and schedule, timed on the same
machine in the same run as Braid by scripts/bench-train.

  python torch_twins.py train --model image --mnist train-images-idx3-ubyte.gz --threads 2
  python torch_twins.py train --model audio --examples 2449 --threads 2
  python torch_twins.py infer --model image --batch-size 128 --threads 2

Each prints one JSON line. The networks mirror Sources/Braid/Encode/Classifier/{ImageCNN,AudioCNN,ConvBlock}.swift;
the training step mirrors Braid's loop: AdamW (decay on weights of rank >= 2 only), linear warm-up over one epoch
then cosine decay, label smoothing 0.1, gradient clipping at norm 5, the last partial batch dropped.
"""
import argparse
import gzip
import json
import math
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F


class ConvBlock(nn.Module):
    def __init__(self, inputs, outputs):
        super().__init__()
        self.conv = nn.Conv2d(inputs, outputs, 3, padding=1, bias=False)
        self.norm = nn.BatchNorm2d(outputs)

    def forward(self, x):
        return F.relu(self.norm(self.conv(x)))


class Head(nn.Module):
    def __init__(self, features, hidden=128, classes=10, dropout=0.3):
        super().__init__()
        self.hidden = nn.Linear(features, hidden, bias=False)
        self.hidden_norm = nn.BatchNorm1d(hidden)
        self.dropout = nn.Dropout(dropout)
        self.classifier = nn.Linear(hidden, classes)

    def forward(self, x):
        return self.classifier(self.dropout(F.relu(self.hidden_norm(self.hidden(x)))))


class ImageCNN(nn.Module):
    """(B, 1, 28, 28): 2 stages of 2 ConvBlocks and a 2x2 max pool, flatten, head."""

    def __init__(self, channels=(32, 64), blocks=2):
        super().__init__()
        stages, width = [], 1
        for out in channels:
            stages.append(nn.Sequential(*[ConvBlock(width if b == 0 else out, out) for b in range(blocks)]))
            width = out
        self.stages = nn.ModuleList(stages)
        side = 28 >> len(channels)
        self.head = Head(width * side * side)

    def forward(self, x):
        for stage in self.stages:
            x = F.max_pool2d(stage(x), 2)
        return self.head(x.flatten(1))


class AudioCNN(nn.Module):
    """(B, 1, 40, 98): per stage a ConvBlock and a 2x2 max pool; mean over bands; mean and max over time; head."""

    def __init__(self, channels=(32, 64, 128)):
        super().__init__()
        widths = (1,) + tuple(channels)
        self.stages = nn.ModuleList(ConvBlock(widths[i], widths[i + 1]) for i in range(len(channels)))
        self.head = Head(2 * channels[-1])

    def forward(self, x):
        for block in self.stages:
            x = F.max_pool2d(block(x), 2)
        steps = x.mean(dim=2)
        return self.head(torch.cat([steps.mean(dim=2), steps.amax(dim=2)], dim=1))


def mnist(path):
    with gzip.open(path, "rb") as file:
        data = file.read()
    count, rows, cols = (int.from_bytes(data[4 + 4 * i:8 + 4 * i], "big") for i in range(3))
    pixels = np.frombuffer(data, dtype=np.uint8, offset=16).reshape(count, 1, rows, cols)
    return torch.from_numpy(pixels.astype(np.float32) / 255)


def make(model):
    return ImageCNN() if model == "image" else AudioCNN()


def train(args):
    torch.manual_seed(1)
    if args.model == "image":
        inputs = mnist(args.mnist)[: args.examples or None]
    else:
        inputs = torch.randn(args.examples or 2449, 1, 40, 98)
    labels = torch.randint(0, 10, (inputs.shape[0],))
    net = make(args.model)
    decayed = [p for p in net.parameters() if p.ndim >= 2]
    plain = [p for p in net.parameters() if p.ndim < 2]
    optimizer = torch.optim.AdamW(
        [{"params": decayed, "weight_decay": 5e-4}, {"params": plain, "weight_decay": 0}], lr=2e-3)
    steps = inputs.shape[0] // args.batch_size
    schedule = torch.optim.lr_scheduler.LambdaLR(
        optimizer, lambda s: (s + 1) / steps if s < steps else 0.5 * (1 + math.cos(math.pi * (s - steps) / steps)))
    net.train()
    start = time.perf_counter()
    order = torch.randperm(inputs.shape[0])
    for step in range(steps):
        batch = order[step * args.batch_size:(step + 1) * args.batch_size]
        optimizer.zero_grad()
        loss = F.cross_entropy(net(inputs[batch]), labels[batch], label_smoothing=0.1)
        loss.backward()
        nn.utils.clip_grad_norm_(net.parameters(), 5.0)
        optimizer.step()
        schedule.step()
    seconds = time.perf_counter() - start
    print(json.dumps({"peer": f"pytorch {torch.__version__}", "model": args.model, "threads": args.threads,
                      "examples": steps * args.batch_size, "seconds_per_epoch": seconds,
                      "examples_per_second": steps * args.batch_size / seconds}))


def infer(args):
    torch.manual_seed(1)
    net = make(args.model)
    shape = (1, 28, 28) if args.model == "image" else (1, 40, 98)
    inputs = torch.rand(args.batch_size, *shape)
    # A few backward passes first: in a process that has run none, this PyTorch build's inference runs at about half
    # the speed (1,700 against 3,250 images/s measured here), so the twin gets its faster state.
    for _ in range(3):
        net(inputs).sum().backward()
    net.eval()
    timings = []
    with torch.inference_mode():
        net(inputs)
        for _ in range(args.runs):
            start = time.perf_counter()
            for _ in range(args.repeat):
                net(inputs)
            timings.append(time.perf_counter() - start)
    median = sorted(timings)[len(timings) // 2]
    print(json.dumps({"peer": f"pytorch {torch.__version__}", "model": args.model, "threads": args.threads,
                      "batch_size": args.batch_size, "items_per_second": args.batch_size * args.repeat / median}))


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("task", choices=["train", "infer"])
    parser.add_argument("--model", choices=["image", "audio"], required=True)
    parser.add_argument("--mnist", help="the MNIST training images (IDX, gzip)")
    parser.add_argument("--examples", type=int, default=0, help="examples per epoch (default: all of MNIST, or 2449)")
    parser.add_argument("--batch-size", type=int, default=128)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    train(args) if args.task == "train" else infer(args)


if __name__ == "__main__":
    main()
