#!/usr/bin/env python3
"""The PyTorch twin of Braid's text-to-image U-Net (Sources/Braid/Generate/Diffusion/DiffusionUNet.swift), written
from the architecture's description, not from Braid's code: the same blocks, the same weight names, so that it loads
a Braid model.safetensors as it is.

  torch_diffusion.py reference OUT_DIR   # a tiny model with seeded random weights, an input and the twin's output
  torch_diffusion.py bench MODEL_DIR     # DDIM sampling time of a trained model, one image and a batch, 2 threads

The reference is what Tests/BraidTests/Generate/DiffusionTwinTests.swift compares Braid's forward pass with.
"""
import json
import math
import os
import sys
import time

import numpy as np
import torch
import torch.nn.functional as F
from safetensors.torch import load_file, save_file


def sinusoidal(steps, width):
    half = width // 2
    frequencies = torch.exp(-math.log(10_000) * torch.arange(half, dtype=torch.float64) / half)
    angles = steps.to(torch.float64)[:, None] * frequencies[None, :]
    return torch.cat([torch.sin(angles), torch.cos(angles)], dim=1).to(torch.float32)


class Twin:
    """The U-Net as functions over a dict of named tensors."""

    def __init__(self, config, weights):
        self.c = config
        self.w = weights

    def linear(self, name, x):
        return F.linear(x, self.w[name + ".weight"], self.w[name + ".bias"])

    def conv(self, name, x, stride=1, padding=1):
        return F.conv2d(x, self.w[name + ".weight"], self.w[name + ".bias"], stride=stride, padding=padding)

    def group_norm(self, name, x):
        return F.group_norm(x, self.c["groups"], self.w[name + ".weight"], self.w[name + ".bias"], eps=1e-5)

    def layer_norm(self, name, x):
        return F.layer_norm(x, (x.shape[-1],), self.w[name + ".weight"], self.w[name + ".bias"], eps=1e-5)

    def residual(self, name, x, conditioning):
        h = self.conv(name + ".conv_1", F.silu(self.group_norm(name + ".norm_1", x)))
        h = h + self.linear(name + ".time", conditioning)[:, :, None, None]
        h = self.conv(name + ".conv_2", F.silu(self.group_norm(name + ".norm_2", h)))
        shortcut = self.conv(name + ".shortcut", x, padding=0) if name + ".shortcut.weight" in self.w else x
        return shortcut + h

    def attention(self, name, x, context=None, mask=None):
        b, t, e = x.shape
        heads = self.c["heads"]
        source = x if context is None else context
        q = self.linear(name + ".q_proj", x).view(b, t, heads, e // heads).transpose(1, 2)
        k = self.linear(name + ".k_proj", source).view(b, source.shape[1], heads, e // heads).transpose(1, 2)
        v = self.linear(name + ".v_proj", source).view(b, source.shape[1], heads, e // heads).transpose(1, 2)
        out = F.scaled_dot_product_attention(q, k, v, attn_mask=mask)
        return self.linear(name + ".out_proj", out.transpose(1, 2).reshape(b, t, e))

    def spatial(self, name, x, context, mask):
        b, c, h, w = x.shape
        tokens = x.reshape(b, c, h * w).transpose(1, 2)
        if name + ".norm_1.weight" in self.w:
            tokens = tokens + self.attention(name + ".attn_1", self.layer_norm(name + ".norm_1", tokens))
        tokens = tokens + self.attention(name + ".attn_2", self.layer_norm(name + ".norm_2", tokens), context, mask)
        return tokens.transpose(1, 2).reshape(b, c, h, w)

    def __call__(self, x, steps, tokens, lengths):
        c = self.c
        keys = tokens.shape[1]
        # Padded keys get −inf: a boolean mask, True where a key may be attended to.
        mask = (torch.arange(keys)[None, :] < torch.tensor(lengths)[:, None])[:, None, None, :]
        time = self.linear("time_embedding.linear_2", F.silu(
            self.linear("time_embedding.linear_1", sinusoidal(steps, c["time_width"] // 2))))
        conditioning = F.silu(time + self.linear("prompt_embedding", tokens[:, 0, :]))
        context = self.linear("context_projection", tokens)
        h = self.conv("conv_in", x)
        levels = len(c["channels"])
        skips = []
        for level in range(levels):
            h = self.residual(f"down.{level}.residual", h, conditioning)
            if level in c["attention_levels"]:
                h = self.spatial(f"down.{level}.attention", h, context, mask)
            skips.append(h)
            if level < levels - 1:
                h = self.conv(f"down.{level}.downsample", h, stride=2)
        h = self.residual("mid.residual_1", h, conditioning)
        h = self.spatial("mid.attention", h, context, mask)
        h = self.residual("mid.residual_2", h, conditioning)
        for level in reversed(range(levels)):
            h = self.residual(f"up.{level}.residual", torch.cat([h, skips[level]], dim=1), conditioning)
            if level in c["attention_levels"]:
                h = self.spatial(f"up.{level}.attention", h, context, mask)
            if level > 0:
                name = f"up.{level}.upsample"
                h = F.conv_transpose2d(h, self.w[name + ".weight"], self.w[name + ".bias"], stride=2, padding=1)
        return self.conv("conv_out", F.silu(self.group_norm("norm_out", h)))


def shapes(c):
    """Every weight's name and shape, from the architecture."""
    out = {}

    def linear(name, inputs, outputs):
        out[name + ".weight"], out[name + ".bias"] = (outputs, inputs), (outputs,)

    def conv(name, inputs, outputs, kernel):
        out[name + ".weight"], out[name + ".bias"] = (outputs, inputs, kernel, kernel), (outputs,)

    def norm(name, width):
        out[name + ".weight"], out[name + ".bias"] = (width,), (width,)

    def residual(name, inputs, outputs):
        norm(name + ".norm_1", inputs)
        conv(name + ".conv_1", inputs, outputs, 3)
        linear(name + ".time", c["time_width"], outputs)
        norm(name + ".norm_2", outputs)
        conv(name + ".conv_2", outputs, outputs, 3)
        if inputs != outputs:
            conv(name + ".shortcut", inputs, outputs, 1)

    def attention(name, width, self_attends):
        if self_attends:
            norm(name + ".norm_1", width)
            for projection in ["q_proj", "k_proj", "v_proj", "out_proj"]:
                linear(f"{name}.attn_1.{projection}", width, width)
        norm(name + ".norm_2", width)
        linear(name + ".attn_2.q_proj", width, width)
        linear(name + ".attn_2.k_proj", c["context_width"], width)
        linear(name + ".attn_2.v_proj", c["context_width"], width)
        linear(name + ".attn_2.out_proj", width, width)

    channels, width = c["channels"], c["time_width"]
    linear("time_embedding.linear_1", width // 2, width)
    linear("time_embedding.linear_2", width, width)
    linear("prompt_embedding", c["context_size"], width)
    linear("context_projection", c["context_size"], c["context_width"])
    conv("conv_in", 1, channels[0], 3)
    for level, outputs in enumerate(channels):
        residual(f"down.{level}.residual", channels[max(0, level - 1)], outputs)
        if level in c["attention_levels"]:
            attention(f"down.{level}.attention", outputs, level in c["self_attention_levels"])
        if level < len(channels) - 1:
            conv(f"down.{level}.downsample", outputs, outputs, 3)
    residual("mid.residual_1", channels[-1], channels[-1])
    attention("mid.attention", channels[-1], True)
    residual("mid.residual_2", channels[-1], channels[-1])
    for level, outputs in enumerate(channels):
        residual(f"up.{level}.residual", 2 * outputs, outputs)
        if level in c["attention_levels"]:
            attention(f"up.{level}.attention", outputs, level in c["self_attention_levels"])
        if level > 0:
            out[f"up.{level}.upsample.weight"] = (outputs, channels[level - 1], 4, 4)
            out[f"up.{level}.upsample.bias"] = (channels[level - 1],)
    norm("norm_out", channels[0])
    conv("conv_out", channels[0], 1, 3)
    return out


def reference(folder):
    """A tiny model with seeded random weights, in Braid's model-folder layout, and the twin's output for one input."""
    network = {"input_size": 8, "channels": [8, 16], "attention_levels": [1], "self_attention_levels": [1],
               "time_width": 16, "context_size": 6, "context_width": 8, "heads": 2, "groups": 4}
    generator = torch.Generator().manual_seed(7)
    weights = {name: torch.randn(shape, generator=generator) * 0.3 for name, shape in shapes(network).items()}
    os.makedirs(folder, exist_ok=True)
    save_file(weights, os.path.join(folder, "model.safetensors"))
    config = {"architecture": "diffusion", "modality": "image", "front_end": {"size": 8, "box": 6},
              "network": network, "prompt": {"encoder": "hashed", "dimension": 6, "max_words": 12},
              "schedule": "cosine", "timesteps": 1000, "prediction": "epsilon", "labels": ["a", "b"],
              "prompt_dropout": 0.1, "average_decay": 0.999}
    x = torch.randn((3, 1, 8, 8), generator=generator)
    tokens = torch.randn((3, 4, 6), generator=generator)
    lengths = [4, 2, 1]
    for row, length in enumerate(lengths):
        tokens[row, length:] = 0
    steps = torch.tensor([0, 417, 999])
    with torch.inference_mode():
        output = Twin(network, weights)(x, steps, tokens, lengths)
    json.dump(config, open(os.path.join(folder, "config.json"), "w"), indent=1)
    json.dump({"x": x.flatten().tolist(), "steps": steps.tolist(), "tokens": tokens.flatten().tolist(),
               "lengths": lengths, "output": output.flatten().tolist(), "torch": torch.__version__},
              open(os.path.join(folder, "reference.json"), "w"))
    print(f"wrote {folder}: {sum(w.numel() for w in weights.values())} weights", file=sys.stderr)


def bench(folder, steps=50, guidance=3.0, count=10, batch=32):
    """DDIM (η = 0) sampling with classifier-free guidance, the trailing steps and x̂₀ clipping Braid uses."""
    torch.set_num_threads(2)
    config = json.load(open(os.path.join(folder, "config.json")))
    network = config["network"]
    twin = Twin(network, load_file(os.path.join(folder, "model.safetensors")))
    total = config["timesteps"]
    t = torch.arange(total + 1, dtype=torch.float64) / total
    f = torch.cos((t + 0.008) / 1.008 * math.pi / 2) ** 2
    betas = torch.clamp(1 - f[1:] / f[:-1], max=0.999)
    alphas = torch.cumprod(1 - betas, 0)
    schedule = [total - 1 - i * total // steps for i in range(steps)]
    size, width = network["input_size"], network["context_size"]

    def sample(images):
        generator = torch.Generator().manual_seed(0)
        x = torch.randn((images, 1, size, size), generator=generator)
        tokens = torch.zeros((2 * images, 4, width))
        tokens[:images] = torch.randn((images, 4, width), generator=generator) * 0.3
        lengths = [4] * images + [1] * images
        for index, step in enumerate(schedule):
            a = alphas[step].item()
            a_prev = alphas[schedule[index + 1]].item() if index + 1 < len(schedule) else 1.0
            out = twin(torch.cat([x, x]), torch.full((2 * images,), step), tokens, lengths)
            eps = (1 + guidance) * out[:images] - guidance * out[images:]
            x0 = ((x - math.sqrt(1 - a) * eps) / math.sqrt(a)).clamp(-1, 1)
            eps = (x - math.sqrt(a) * x0) / math.sqrt(1 - a)
            x = math.sqrt(a_prev) * x0 + math.sqrt(1 - a_prev) * eps
        return x

    with torch.inference_mode():
        sample(1)
        single = []
        for _ in range(count):
            start = time.perf_counter()
            sample(1)
            single.append(time.perf_counter() - start)
        start = time.perf_counter()
        sample(batch)
        batched = time.perf_counter() - start
    single.sort()
    print(json.dumps({"peer": f"torch {torch.__version__}", "threads": 2, "steps": steps, "guidance": guidance,
                      "p50_s": single[len(single) // 2], "mean_s": sum(single) / len(single),
                      "batch": batch, "batch_images_per_s": batch / batched}))


if __name__ == "__main__":
    {"reference": reference, "bench": bench}[sys.argv[1]](sys.argv[2])
