#!/usr/bin/env python3
"""Times NumPy and PyTorch (CPU) on the shapes `braid bench` uses; prints the same JSON lines.

  matmul     (N, N) @ (N, N), forward                          numpy and torch
  conv2d     3x3, 64->64, padding 1 on (8, 64, N, N), fwd+bwd  torch
  attention  B=4, H=8, T=N, D=64 self-attention, fwd+bwd       torch

Usage (the peers' venv, made by scripts/peers-venv):
  env -u OPENBLAS_CORETYPE "$(scripts/peers-venv)" scripts/bench-tensor-peers.py matmul --size 2048 --threads 2
Thread caps are set before numpy/torch load, so every BLAS pool starts at the requested size.
"""
import argparse
import json
import os
import statistics
import time

parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
parser.add_argument("op", choices=["matmul", "conv2d", "attention"])
parser.add_argument("--size", type=int, default=512)
parser.add_argument("--threads", type=int, default=1)
parser.add_argument("--seconds", type=float, default=1.0, help="time at least this long (and 5 iterations)")
args = parser.parse_args()

for variable in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[variable] = str(args.threads)

import numpy as np  # noqa: E402  (after the thread caps)
import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402

torch.set_num_threads(args.threads)
torch.manual_seed(1)


def median_seconds(iteration):
    iteration()
    times, start = [], time.perf_counter()
    while len(times) < 5 or time.perf_counter() - start < args.seconds:
        begin = time.perf_counter()
        iteration()
        times.append(time.perf_counter() - begin)
    return statistics.median(times)


def report(peer, shape, flops, seconds):
    print(json.dumps({"peer": peer, "op": args.op, "shape": shape, "threads": args.threads,
                      "seconds": seconds, "gflops": flops / seconds / 1e9}, sort_keys=True), flush=True)


n = args.size
if args.op == "matmul":
    a, b = np.random.default_rng(1).standard_normal((2, n, n), dtype=np.float32)
    report("numpy " + np.__version__, [n, n, n], 2 * n**3, median_seconds(lambda: a @ b))
    ta, tb = torch.from_numpy(a), torch.from_numpy(b)
    report("torch " + torch.__version__, [n, n, n], 2 * n**3, median_seconds(lambda: ta @ tb))
elif args.op == "conv2d":
    batch, channels = 8, 64
    x = torch.randn(batch, channels, n, n, requires_grad=True)
    w = (torch.randn(channels, channels, 3, 3) * 0.05).requires_grad_()
    bias = torch.zeros(channels, requires_grad=True)

    def step():
        F.conv2d(x, w, bias, padding=1).sum().backward()
        x.grad = w.grad = bias.grad = None

    report("torch " + torch.__version__, [batch, channels, n, n], 3 * 2 * batch * channels * channels * 9 * n * n,
           median_seconds(step))
else:
    batch, heads, head_size = 4, 8, 64
    q, k, v = (torch.randn(batch, heads, n, head_size, requires_grad=True) for _ in range(3))

    def step():
        # The unfused math path, which is what Braid computes; the fused kernel is timed below too.
        scores = (q * head_size**-0.5) @ k.transpose(-2, -1)
        (scores.softmax(-1) @ v).sum().backward()
        q.grad = k.grad = v.grad = None

    def fused():
        F.scaled_dot_product_attention(q, k, v).sum().backward()
        q.grad = k.grad = v.grad = None

    flops = 6 * 2 * batch * heads * n * n * head_size
    report("torch " + torch.__version__, [batch, heads, n, head_size], flops, median_seconds(step))
    report("torch " + torch.__version__ + " sdpa", [batch, heads, n, head_size], flops, median_seconds(fused))
