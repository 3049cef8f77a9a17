#!/usr/bin/env python3
"""Writes the PyTorch reference outputs that Tests/BraidTensorTests compare against.

Outputs (committed; torch is not):
  Fixtures/tensor/torch-reference.json   inputs and forward outputs of conv, attention, norms, GELU, pooling
  Fixtures/tensor/python-written.safetensors  a file written by Python's `safetensors` with F32/F16/BF16
  Fixtures/tensor/python-written.json    the Float32 values those tensors decode to, per torch

Run with the peers' venv (scripts/peers-venv):
  "$(scripts/peers-venv)" scripts/make-tensor-references.py
"""
import json
import pathlib

import torch
import torch.nn.functional as F
from safetensors.torch import save_file

OUT = pathlib.Path(__file__).resolve().parent.parent / "Fixtures" / "tensor"
torch.manual_seed(20261125)


def dump(t):
    t = t.detach().to(torch.float32).contiguous()
    return {"shape": list(t.shape), "data": [float(v) for v in t.flatten().tolist()]}


def rand(*shape):
    return torch.randn(*shape)


cases = {}

x, w, b = rand(2, 4, 7, 6), rand(6, 2, 3, 3), rand(6)
cases["conv2d"] = {
    "params": {"stride": [2, 1], "padding": [1, 2], "dilation": [1, 2], "groups": 2},
    "inputs": {"x": dump(x), "weight": dump(w), "bias": dump(b)},
    "output": dump(F.conv2d(x, w, b, stride=(2, 1), padding=(1, 2), dilation=(1, 2), groups=2)),
}

x, w, b = rand(2, 4, 4, 5), rand(4, 3, 3, 2), rand(6)
cases["conv_transpose2d"] = {
    "params": {"stride": [2, 2], "padding": [1, 0], "output_padding": [1, 1], "dilation": [1, 2], "groups": 2},
    "inputs": {"x": dump(x), "weight": dump(w), "bias": dump(b)},
    "output": dump(F.conv_transpose2d(x, w, b, stride=2, padding=(1, 0), output_padding=1, dilation=(1, 2), groups=2)),
}

x, w, b = rand(2, 3, 10), rand(4, 3, 3), rand(4)
cases["conv1d"] = {
    "params": {"stride": 2, "padding": 1, "dilation": 2, "groups": 1},
    "inputs": {"x": dump(x), "weight": dump(w), "bias": dump(b)},
    "output": dump(F.conv1d(x, w, b, stride=2, padding=1, dilation=2)),
}

q, k, v = rand(2, 3, 4, 8), rand(2, 3, 5, 8), rand(2, 3, 5, 8)
keep = torch.rand(2, 1, 4, 5) > 0.3
keep[..., 0] = True  # every query keeps at least one key
mask = torch.zeros(2, 1, 4, 5).masked_fill(~keep, float("-inf"))
cases["attention_masked"] = {
    "inputs": {"query": dump(q), "key": dump(k), "value": dump(v), "mask": {"shape": [2, 1, 4, 5], "data": [0.0 if m else -1.0e30 for m in keep.flatten().tolist()]}},
    "output": dump(F.scaled_dot_product_attention(q, k, v, attn_mask=mask)),
}
q = rand(2, 2, 5, 8)
cases["attention_causal"] = {
    "inputs": {"query": dump(q)},
    "output": dump(F.scaled_dot_product_attention(q, q, q, is_causal=True)),
}

x, w, b = rand(3, 4, 10), rand(10), rand(10)
cases["layer_norm"] = {
    "params": {"eps": 1e-5},
    "inputs": {"x": dump(x), "weight": dump(w), "bias": dump(b)},
    "output": dump(F.layer_norm(x, (10,), w, b, eps=1e-5)),
}

x, w, b = rand(2, 6, 3, 3), rand(6), rand(6)
cases["group_norm"] = {
    "params": {"groups": 3, "eps": 1e-5},
    "inputs": {"x": dump(x), "weight": dump(w), "bias": dump(b)},
    "output": dump(F.group_norm(x, 3, w, b, eps=1e-5)),
}

x = torch.linspace(-6, 6, 61)
cases["gelu_erf"] = {"inputs": {"x": dump(x)}, "output": dump(F.gelu(x))}
cases["gelu_tanh"] = {"inputs": {"x": dump(x)}, "output": dump(F.gelu(x, approximate="tanh"))}

x = rand(2, 3, 5, 6)
cases["max_pool2d"] = {
    "params": {"kernel": [3, 2], "stride": [2, 2], "padding": [1, 1]},
    "inputs": {"x": dump(x)},
    "output": dump(F.max_pool2d(x, (3, 2), stride=2, padding=1)),
}
cases["avg_pool2d"] = {
    "params": {"kernel": [3, 2], "stride": [2, 2], "padding": [1, 1]},
    "inputs": {"x": dump(x)},
    "output": dump(F.avg_pool2d(x, (3, 2), stride=2, padding=1)),
}

# Optimizers: three steps from the same start with fixed gradients, parameters recorded after each.
start = rand(6)
gradients = [rand(6) for _ in range(3)]
optimizers = {
    "sgd_momentum": lambda p: torch.optim.SGD([p], lr=0.1, momentum=0.9, weight_decay=0.01),
    "sgd_nesterov": lambda p: torch.optim.SGD([p], lr=0.1, momentum=0.9, nesterov=True),
    "adam": lambda p: torch.optim.Adam([p], lr=0.01, weight_decay=0.1),
    "adamw": lambda p: torch.optim.AdamW([p], lr=0.01, weight_decay=0.1),
}
for name, make in optimizers.items():
    parameter = torch.nn.Parameter(start.clone())
    optimizer = make(parameter)
    steps = []
    for gradient in gradients:
        parameter.grad = gradient.clone()
        optimizer.step()
        steps.append(dump(parameter))
    cases["optim_" + name] = {
        "inputs": {"start": dump(start), **{f"gradient{i}": dump(g) for i, g in enumerate(gradients)}},
        "output": {"shape": [3, 6], "data": [v for step in steps for v in step["data"]]},
    }

# Cases added later draw from their own generator, so the global stream (and every value above and below) stays.
later = torch.Generator().manual_seed(20261127)


def rand_later(*shape):
    return torch.randn(*shape, generator=later)


# Batch norm, PyTorch's default momentum 0.1 and eps 1e-5: a training step's output and updated running statistics,
# then evaluation with those statistics.
x, w, b = rand_later(4, 3, 5, 2) * 2 + 1, rand_later(3), rand_later(3)
running_mean, running_var = rand_later(3), rand_later(3).abs() + 0.5
inputs = {"x": dump(x), "weight": dump(w), "bias": dump(b), "running_mean": dump(running_mean),
          "running_var": dump(running_var)}
training = F.batch_norm(x, running_mean, running_var, w, b, training=True, momentum=0.1, eps=1e-5)
cases["batch_norm_training"] = {"inputs": inputs, "output": dump(training),
                                "after": {"running_mean": dump(running_mean), "running_var": dump(running_var)}}
cases["batch_norm_evaluation"] = {
    "inputs": {**inputs, "running_mean": dump(running_mean), "running_var": dump(running_var)},
    "output": dump(F.batch_norm(x, running_mean, running_var, w, b, training=False, eps=1e-5)),
}
x = rand_later(2, 3, 6, 7)
cases["max_pool2d_2x2"] = {"inputs": {"x": dump(x)}, "output": dump(F.max_pool2d(x, 2))}

OUT.mkdir(parents=True, exist_ok=True)
(OUT / "torch-reference.json").write_text(json.dumps({"torch": torch.__version__, "cases": cases}) + "\n")

# A file written by Python's safetensors: half-precision values that exercise subnormals, the
# largest half, negative zero and rounding, next to plain F32.
half_values = torch.tensor([0.0, -0.0, 1.0, -2.5, 65504.0, 6.103515625e-05, 5.960464477539063e-08, 1.0 / 3.0, -1000.5])
tensors = {
    "layer.weight": rand(3, 4),
    "layer.half": half_values.reshape(3, 3).to(torch.float16),
    "layer.brain": torch.tensor([1.0, -3.140625, 1.0e30, -2.0e-30, 0.1, 256.0]).reshape(2, 3).to(torch.bfloat16),
}
save_file(tensors, str(OUT / "python-written.safetensors"), metadata={"format": "pt"})
expected = {name: dump(t.to(torch.float32)) for name, t in tensors.items()}
expected_dtypes = {"layer.weight": "F32", "layer.half": "F16", "layer.brain": "BF16"}
(OUT / "python-written.json").write_text(json.dumps({"dtypes": expected_dtypes, "tensors": expected}, indent=1) + "\n")
print("wrote", sorted(p.name for p in OUT.iterdir()))
