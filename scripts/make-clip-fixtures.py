#!/usr/bin/env python3
"""Makes a tiny CLIP checkpoint with seeded random weights, a few test images, and what Hugging Face
`transformers` computes from them, for the Swift CLIP encoder's parity tests.

    scripts/fetch-models clip-tokenizer
    "$(scripts/peers-venv)" scripts/make-clip-fixtures.py [CLIP_TOKENIZER_FOLDER]

Writes:
Fixtures/clip/tiny/            a CLIPModel folder in the Hugging Face layout: config.json, model.safetensors,
                               vocab.json, merges.txt, preprocessor_config.json. Text and vision towers of
                               width 32, 2 layers, 4 heads, MLP 64, quick_gelu; 32x32 images in 8x8 patches;
                               projection 16. The vocabulary is the real CLIP one cut down: its 512 byte
                               tokens, its first 1000 merges, <|startoftext|> (1512) and <|endoftext|> (1513,
                               also the padding id, as CLIPTokenizer pads with it): 1514 tokens. Every
                               parameter is perturbed away from its initialisation (layer-norm weights
                               1 + 0.2 N(0,1), biases 0.2 N(0,1), other weights plus noise of their own
                               scale, logit_scale log 20), so a tensor read under the wrong name shows.
Fixtures/clip/images/          seeded test images: a photo-like 300x200 RGB PNG (downscaling), a 17x40 RGB PNG
                               (upscaling, tall), a 64x48 greyscale PNG, a 50x50 RGBA PNG with varying alpha
                               (dropped by PIL's convert("RGB")), a 200x120 4:2:0 JPEG of quality 90.
                               Fixtures/jpeg/subsampling-444.jpg is used too.
Fixtures/reference/clip/NAME.pixels-32.npy   CLIPImageProcessor's pixel_values[0] (float32, 3 x 32 x 32)
                               for every image with the tiny folder's preprocessor_config.json;
                               NAME.pixels-224.npy the same with CLIPImageProcessor() defaults (224) for
                               photo-300x200 and tall-17x40 only.
Fixtures/reference/clip/tiny.json   the tiny model's unnormalised text and image features
                               (get_text_features / get_image_features), the token ids it was given, and
                               zero-shot probabilities (softmax of logits_per_image over labels).

Images are opened with PIL's Image.open and nothing else (no EXIF transpose), as transformers takes them.
Everything is float32, one thread, torch.inference_mode; the same script gives the same bytes.
"""
import hashlib
import json
import math
import os
import shutil
import sys
from pathlib import Path

import numpy as np
import PIL
import torch
import transformers
from PIL import Image
from transformers import CLIPConfig, CLIPImageProcessor, CLIPModel, CLIPTokenizer

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "Fixtures"
TINY = FIXTURES / "clip" / "tiny"
IMAGES = FIXTURES / "clip" / "images"
REFERENCE = FIXTURES / "reference" / "clip"

MERGES = 1000
BOS, EOS = 512 + MERGES, 512 + MERGES + 1  # 1512, 1513
VOCAB_SIZE = EOS + 1  # 1514
PAD = EOS

TEXTS = [
    "",
    "a photo of a cat.",
    "It's a dog's life, isn't it?",
    "A PHOTO OF A DOG IN THE SNOW",
    "Café naïve — 東京タワー 🎉👍🏽 Ελληνικά",
    "  spaces,\ttabs\nand   newlines  ",
    "3.14159 and 1,000,000 are numbers; 2nd place!!!",
    # Over 77 tokens: CLIPTokenizer(truncation=True, max_length=77) keeps <|startoftext|>, 75 tokens, <|endoftext|>.
    "the quick brown fox jumps over the lazy dog while a photographer takes pictures of the whole scene "
    "from a distance, and then everyone goes home to look at the photos on a large screen in the evening, "
    "talking about how lucky they were with the light and the weather that day",
]
LABELS = ["cat", "dog", "car", "tree", "sunset"]
TEMPLATE = "a photo of {}."


def tiny_vocabulary(folder: Path, clip_tokenizer: Path):
    """The real vocabulary cut to its byte tokens, first MERGES merges and the two special tokens."""
    real = json.loads((clip_tokenizer / "vocab.json").read_text(encoding="utf-8"))
    by_id = sorted(real, key=real.get)
    assert len(by_id) == 49408 and by_id[49406:] == ["<|startoftext|>", "<|endoftext|>"]
    lines = (clip_tokenizer / "merges.txt").read_text(encoding="utf-8").split("\n")
    assert lines[0] == "#version: 0.2"
    merges = [tuple(line.split()) for line in lines[1 : 1 + MERGES]]
    vocab = by_id[:512] + ["".join(pair) for pair in merges] + ["<|startoftext|>", "<|endoftext|>"]
    assert vocab[512:512 + MERGES] == by_id[512:512 + MERGES] and len(vocab) == VOCAB_SIZE
    known = set(vocab)
    assert all(a in known and b in known for a, b in merges), "a merge uses a token outside the tiny vocabulary"
    # The layout of scripts/fetch-models' clip-tokenizer (and the Hub's): one line in id order, no spaces.
    with open(folder / "vocab.json", "w", encoding="utf-8") as f:
        f.write(json.dumps({t: i for i, t in enumerate(vocab)}, ensure_ascii=False, separators=(",", ":")) + "\n")
    with open(folder / "merges.txt", "w", encoding="utf-8") as f:
        f.write("#version: 0.2\n")
        f.writelines(f"{a} {b}\n" for a, b in merges)


def tiny_model() -> CLIPModel:
    common = dict(hidden_size=32, intermediate_size=64, num_hidden_layers=2, num_attention_heads=4,
                  hidden_act="quick_gelu", projection_dim=16)
    config = CLIPConfig(
        text_config=dict(common, vocab_size=VOCAB_SIZE, max_position_embeddings=77,
                         bos_token_id=BOS, eos_token_id=EOS, pad_token_id=PAD),
        vision_config=dict(common, image_size=32, patch_size=8, num_channels=3),
        projection_dim=16,
    )
    torch.manual_seed(0)
    model = CLIPModel(config).eval()
    generator = torch.Generator().manual_seed(1)
    layer_norms = {name for name, module in model.named_modules() if isinstance(module, torch.nn.LayerNorm)}
    with torch.no_grad():
        for name, parameter in model.named_parameters():
            module, _, leaf = name.rpartition(".")
            noise = torch.randn(parameter.shape, generator=generator)
            if name == "logit_scale":
                parameter.fill_(math.log(20.0))
            elif leaf == "bias":
                parameter.copy_(0.2 * noise)
            elif module in layer_norms:
                parameter.copy_(1 + 0.2 * noise)
            elif leaf == "class_embedding":
                parameter.copy_(noise)
            else:
                assert parameter.dim() >= 2, name
                parameter.add_(noise * parameter.std())
    return model


def photo(rng, width, height):
    """Smooth gradients, sharp shapes, fine stripes and a little noise: downscaling has edges, aliasing and
    gradients to get right."""
    y, x = np.mgrid[0:height, 0:width].astype(np.float64)
    u, v = x / width, y / height
    channels = []
    for _ in range(3):
        a, b, c, phase = rng.uniform(-1, 1, 4)
        channels.append(128 + 60 * a * u + 60 * b * v + 40 * np.sin(2 * np.pi * (c * u + 0.7 * v) + 3 * phase))
    rgb = np.stack(channels, axis=-1)
    cx, cy, r = width * 0.3, height * 0.55, min(width, height) * 0.25
    rgb[(x - cx) ** 2 + (y - cy) ** 2 < r * r] = rng.uniform(0, 255, 3)
    rgb[int(height * 0.1):int(height * 0.35), int(width * 0.6):int(width * 0.9)] = rng.uniform(0, 255, 3)
    stripes = (x > width * 0.55) & (y > height * 0.6) & (y < height * 0.9)
    rgb[stripes & ((x.astype(int) // 2) % 2 == 0)] = [250, 250, 250]
    rgb[(np.abs(y - 0.4 * x - height * 0.05) < 0.8)] = [10, 10, 10]  # a thin diagonal line
    rgb += rng.normal(0, 1.0, rgb.shape)
    return np.clip(np.rint(rgb), 0, 255).astype(np.uint8)


def write_images(rng):
    """(name, path) of every test image, writing the generated ones."""
    IMAGES.mkdir(parents=True, exist_ok=True)
    Image.fromarray(photo(rng, 300, 200), "RGB").save(IMAGES / "photo-300x200.png", compress_level=9)
    Image.fromarray(photo(rng, 17, 40), "RGB").save(IMAGES / "tall-17x40.png", compress_level=9)
    grey = photo(rng, 64, 48).astype(np.float64) @ [0.299, 0.587, 0.114]
    Image.fromarray(np.rint(grey).astype(np.uint8), "L").save(IMAGES / "grey-64x48.png", compress_level=9)
    # Alpha from 0 to 255 across, colour that differs where alpha is 0: dropping alpha and compositing differ.
    rgba = np.zeros((50, 50, 4), np.uint8)
    rgba[..., :3] = photo(rng, 50, 50)
    rgba[..., 3] = np.rint(np.linspace(0, 255, 50))[None, :]
    rgba[:10, :10, 3] = 0
    rgba[:10, :10, :3] = [255, 0, 255]
    Image.fromarray(rgba, "RGBA").save(IMAGES / "alpha-50x50.png", compress_level=9)
    Image.fromarray(photo(rng, 200, 120), "RGB").save(IMAGES / "photo-200x120.jpg", "JPEG", quality=90,
                                                      subsampling=2)
    names = ["photo-300x200.png", "tall-17x40.png", "grey-64x48.png", "alpha-50x50.png", "photo-200x120.jpg"]
    return [(Path(n).stem, IMAGES / n) for n in names] + [
        ("subsampling-444", FIXTURES / "jpeg" / "subsampling-444.jpg")]


def main():
    clip_tokenizer = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(
        os.environ.get("BRAID_MODELS", Path.home() / ".cache" / "braid" / "models")) / "clip-tokenizer"
    torch.set_num_threads(1)

    shutil.rmtree(TINY, ignore_errors=True)
    TINY.mkdir(parents=True)
    REFERENCE.mkdir(parents=True, exist_ok=True)
    model = tiny_model()
    model.save_pretrained(TINY, safe_serialization=True)
    processor = CLIPImageProcessor(size={"shortest_edge": 32}, crop_size={"height": 32, "width": 32})
    processor.save_pretrained(TINY)
    tiny_vocabulary(TINY, clip_tokenizer)
    assert sorted(p.name for p in TINY.iterdir()) == [
        "config.json", "merges.txt", "model.safetensors", "preprocessor_config.json", "vocab.json"], \
        list(TINY.iterdir())

    # Everything below reads the folder back, as a user of it would.
    model = CLIPModel.from_pretrained(TINY, dtype=torch.float32).eval()
    tokenizer = CLIPTokenizer.from_pretrained(TINY)
    assert (tokenizer.bos_token_id, tokenizer.eos_token_id, tokenizer.pad_token_id, len(tokenizer)) == (
        BOS, EOS, PAD, VOCAB_SIZE)
    processor = CLIPImageProcessor.from_pretrained(TINY)
    assert (processor.size, processor.crop_size, processor.resample) == (
        {"shortest_edge": 32}, {"height": 32, "width": 32}, 3)
    default_processor = CLIPImageProcessor()

    def encode_text(text):
        ids = tokenizer(text, padding=False, truncation=True, max_length=77).input_ids
        return ids, model.get_text_features(input_ids=torch.tensor([ids]))[0]

    reference = {
        "model": str(TINY.relative_to(ROOT)),
        "versions": {"transformers": transformers.__version__, "torch": torch.__version__.split("+")[0],
                     "Pillow": PIL.__version__},
        "logit_scale": model.logit_scale.exp().item(),
        "texts": [],
        "images": [],
    }
    with torch.inference_mode():
        for text in TEXTS:
            ids, features = encode_text(text)
            full = tokenizer(text).input_ids
            entry = {"text": text, "input_ids": ids, "embedding": features.tolist()}
            if len(full) > 77:
                entry["untruncated_token_count"] = len(full)
            reference["texts"].append(entry)
        assert any("untruncated_token_count" in t for t in reference["texts"])

        pixels = []
        for name, path in write_images(np.random.default_rng(20260301)):
            with Image.open(path) as image:
                values = processor(images=image, return_tensors="np").pixel_values[0]
                assert values.dtype == np.float32 and values.shape == (3, 32, 32)
                np.save(REFERENCE / f"{name}.pixels-32.npy", values)
                entry = {"path": str(path.relative_to(ROOT)), "mode": image.mode, "size": list(image.size),
                         "pixels_32": str((REFERENCE / f"{name}.pixels-32.npy").relative_to(ROOT))}
                if name in ("photo-300x200", "tall-17x40"):
                    values224 = default_processor(images=image, return_tensors="np").pixel_values[0]
                    assert values224.dtype == np.float32 and values224.shape == (3, 224, 224)
                    np.save(REFERENCE / f"{name}.pixels-224.npy", values224)
                    entry["pixels_224"] = str((REFERENCE / f"{name}.pixels-224.npy").relative_to(ROOT))
            features = model.get_image_features(pixel_values=torch.from_numpy(values)[None])[0]
            entry["embedding"] = features.tolist()
            reference["images"].append(entry)
            pixels.append(values)

        # Zero-shot as CLIPModel's forward does it: the labels padded into one batch (with <|endoftext|>, masked),
        # all images in one batch; checked against the unbatched features above.
        prompts = [TEMPLATE.format(label) for label in LABELS]
        batch = tokenizer(prompts, padding=True, return_tensors="pt")
        output = model(input_ids=batch.input_ids, attention_mask=batch.attention_mask,
                       pixel_values=torch.from_numpy(np.stack(pixels)))
        probabilities = output.logits_per_image.softmax(dim=-1)
        texts = torch.stack([encode_text(p)[1] for p in prompts])
        images = torch.tensor([entry["embedding"] for entry in reference["images"]])
        logits = reference["logit_scale"] * torch.nn.functional.normalize(images, dim=-1) @ \
            torch.nn.functional.normalize(texts, dim=-1).T
        assert torch.allclose(logits, output.logits_per_image, atol=1e-4), (logits, output.logits_per_image)
        reference["zero_shot"] = {
            "labels": LABELS,
            "template": TEMPLATE,
            "input_ids": [tokenizer(p).input_ids for p in prompts],
            "logits_per_image": output.logits_per_image.tolist(),
            "probabilities": probabilities.tolist(),
        }

    with open(REFERENCE / "tiny.json", "w", encoding="utf-8") as f:
        json.dump(reference, f, ensure_ascii=False, indent=1)
        f.write("\n")

    def size(folder):
        return sum(p.stat().st_size for p in folder.iterdir())
    print(f"wrote {TINY.relative_to(ROOT)} ({size(TINY) // 1024} KB), {IMAGES.relative_to(ROOT)} "
          f"({size(IMAGES) // 1024} KB), {REFERENCE.relative_to(ROOT)} ({size(REFERENCE) // 1024} KB); "
          f"model.safetensors sha256 {hashlib.sha256((TINY / 'model.safetensors').read_bytes()).hexdigest()[:16]}",
          file=sys.stderr)


if __name__ == "__main__":
    main()
