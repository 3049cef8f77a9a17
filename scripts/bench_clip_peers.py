#!/usr/bin/env python3
"""The peers of Braid's CLIP benchmark (scripts/bench-clip): a full-size ViT-B/32 CLIP with seeded random weights
(none can be downloaded here), synthetic photos and captions, and the throughput of PyTorch and ONNX Runtime on
them. Run it with the peers venv ("$(scripts/peers-venv)"); it needs scripts/fetch-models clip-tokenizer.

    bench_clip_peers.py make-checkpoint DIR
        CLIPConfig() defaults (ViT-B/32: text 512 wide, 12 layers, 8 heads, 77 positions, vocabulary 49408;
        vision 768 wide, 12 layers, 12 heads, 224 px in 32 px patches; projection 512), torch.manual_seed(0),
        default initialisation with every layer norm and bias perturbed (weights 1 + 0.2 N(0,1), biases
        0.2 N(0,1)) and the attention and MLP weights tripled (so features depend on the input); saved with save_pretrained(safe_serialization=True) (config.json, model.safetensors, 605 MB)
        with the real vocab.json and merges.txt from the clip-tokenizer cache and CLIPImageProcessor()'s
        preprocessor_config.json. Skipped when DIR already has all five files.
    bench_clip_peers.py make-photos DIR N
        N seeded photo-like JPEGs (quality 90) named 00000.jpg...: 640x480, every fifth one 480x640; smooth
        colour fields, shapes, blur and noise. Existing files are kept (photo i is the same whatever N is).
    bench_clip_peers.py make-texts FILE N
        N seeded caption-like English sentences of 5 to 25 words, one a line.
    bench_clip_peers.py pytorch DIR PHOTOS TEXTS [--threads 2] [--batch 32] [--runs 1] [--save-embeddings OUT.npz]
    bench_clip_peers.py onnxruntime DIR PHOTOS TEXTS [same options] [--onnx-cache FOLDER]
        Images/s end to end from the files (PIL Image.open + CLIPImageProcessor, the slow NumPy/PIL one, +
        image features) over the *.jpg/*.png of PHOTOS in name order, and texts/s (CLIPTokenizerFast, padding
        to the longest in the batch, truncation to 77, + text features) over the non-empty lines of TEXTS, in
        batches of 32, after a warm-up batch of each; the median of --runs passes. Prints one JSON line.
        onnxruntime exports the vision tower + visual_projection and the text tower + text_projection to ONNX
        once (opset 17, TorchScript exporter, dynamic batch and sequence) into DIR-onnx/ beside DIR (or
        --onnx-cache), and runs them with intra_op_num_threads=threads, inter_op 1, all graph optimisations.
        --save-embeddings writes the unnormalised features (get_image_features / get_text_features) of the
        first 64 images and texts to an .npz (image_files, image_embeddings, texts, text_embeddings), for a
        cosine comparison with Braid's output.
"""
import argparse
import json
import os
import shutil
import statistics
import sys
import time
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFilter

CHECKPOINT_FILES = ("config.json", "model.safetensors", "vocab.json", "merges.txt", "preprocessor_config.json")
SAVED = 64
PHOTO_SEED = 20260303
TEXT_SEED = 20260304


def clip_tokenizer_folder():
    return Path(os.environ.get("BRAID_MODELS", Path.home() / ".cache" / "braid" / "models")) / "clip-tokenizer"


# ---------------------------------------------------------------------------------------------------- checkpoint

def make_checkpoint(folder: Path):
    if all((folder / name).is_file() for name in CHECKPOINT_FILES):
        return
    import torch
    from transformers import CLIPConfig, CLIPImageProcessor, CLIPModel

    vocabulary = clip_tokenizer_folder()
    if not (vocabulary / "vocab.json").is_file():
        sys.exit(f"bench_clip_peers: no CLIP vocabulary in {vocabulary}; run scripts/fetch-models clip-tokenizer")
    torch.manual_seed(0)
    model = CLIPModel(CLIPConfig()).eval()
    generator = torch.Generator().manual_seed(1)
    layer_norms = {name for name, module in model.named_modules() if isinstance(module, torch.nn.LayerNorm)}
    with torch.no_grad():
        for name, parameter in model.named_parameters():
            module, _, leaf = name.rpartition(".")
            if leaf == "bias":
                parameter.copy_(0.2 * torch.randn(parameter.shape, generator=generator))
            elif module in layer_norms:
                parameter.copy_(1 + 0.2 * torch.randn(parameter.shape, generator=generator))
            elif ".encoder.layers." in name:
                # With the default initialisation (std 0.02) the residual stream hardly depends on the input: all
                # captions come out within cosine 0.998 of each other, so a cosine check against Braid would
                # prove little. Three times the weights of attention and MLP spread them (median 0.96 for
                # captions, 0.83 for photos).
                parameter.mul_(3)
    # Built beside, moved in whole.
    work = folder.with_name(folder.name + ".partial")
    shutil.rmtree(work, ignore_errors=True)
    model.save_pretrained(work, safe_serialization=True)
    CLIPImageProcessor().save_pretrained(work)
    for name in ("vocab.json", "merges.txt"):
        shutil.copyfile(vocabulary / name, work / name)
    for extra in set(p.name for p in work.iterdir()) - set(CHECKPOINT_FILES):
        (work / extra).unlink()
    shutil.rmtree(folder, ignore_errors=True)
    work.rename(folder)
    print(f"bench_clip_peers: ViT-B/32 checkpoint with random weights in {folder}", file=sys.stderr)


# ---------------------------------------------------------------------------------------------------- photos

def photo(index: int) -> Image.Image:
    rng = np.random.default_rng([PHOTO_SEED, index])
    width, height = (480, 640) if index % 5 == 4 else (640, 480)
    # A smooth colour field: a coarse random grid scaled up bicubically.
    grid = rng.uniform(0, 255, (rng.integers(2, 6), rng.integers(2, 6), 3)).astype(np.uint8)
    image = Image.fromarray(grid, "RGB").resize((width, height), Image.BICUBIC)
    draw = ImageDraw.Draw(image)
    for _ in range(rng.integers(3, 12)):
        colour = tuple(int(c) for c in rng.integers(0, 256, 3))
        x0, x1 = sorted(rng.integers(-50, width + 50, 2))
        y0, y1 = sorted(rng.integers(-50, height + 50, 2))
        shape = rng.integers(0, 4)
        if shape == 0:
            draw.ellipse((x0, y0, x1, y1), fill=colour)
        elif shape == 1:
            draw.rectangle((x0, y0, x1, y1), fill=colour)
        elif shape == 2:
            points = [(int(x), int(y)) for x, y in zip(rng.integers(0, width, 5), rng.integers(0, height, 5))]
            draw.polygon(points, fill=colour)
        else:
            draw.line((x0, y0, x1, y1), fill=colour, width=int(rng.integers(1, 8)))
    image = image.filter(ImageFilter.GaussianBlur(float(rng.uniform(0, 2))))
    pixels = np.asarray(image, dtype=np.float32) + rng.normal(0, 4, (height, width, 3))
    return Image.fromarray(np.clip(np.rint(pixels), 0, 255).astype(np.uint8), "RGB")


def make_photos(folder: Path, count: int):
    folder.mkdir(parents=True, exist_ok=True)
    made = 0
    for index in range(count):
        path = folder / f"{index:05d}.jpg"
        if path.exists():
            continue
        partial = path.with_suffix(".partial")
        photo(index).save(partial, "JPEG", quality=90)
        partial.rename(path)
        made += 1
    print(f"bench_clip_peers: {count} photos in {folder} ({made} new)", file=sys.stderr)


# ---------------------------------------------------------------------------------------------------- texts

SUBJECTS = "dog cat man woman child girl boy horse bird car bus train bicycle boat plane cow sheep elephant giraffe " \
           "zebra bear player chef couple family crowd puppy kitten truck motorcycle skateboarder surfer".split()
ADJECTIVES = "small large old young red blue green yellow white black brown wooden shiny happy tired busy quiet " \
             "crowded empty wet sunny snowy colourful tall little striped fluffy".split()
VERBS = "sitting standing walking running lying jumping eating looking playing waiting riding parked flying " \
        "sleeping holding crossing climbing resting".split()
PLACES = "street beach table field park kitchen road river bench grass window fence city market mountain forest " \
         "building station lake garden bridge sidewalk shore hill room".split()
PREPOSITIONS = "on|in|near|beside|under|behind|across|along|next to|in front of|at".split("|")
OBJECTS = "umbrella|ball|frisbee|plate of food|laptop|kite|bag|hat|bottle|bunch of flowers|book|phone|pizza|" \
          "sandwich|cup of coffee|orange|apple".split("|")


def caption(rng) -> str:
    pick = lambda words: words[rng.integers(len(words))].split()  # noqa: E731

    def noun_phrase(nouns, article):
        words = (pick(ADJECTIVES) if rng.random() < 0.6 else []) + pick(nouns)
        if article == "a" and words[0][0] in "aeiou":
            article = "an"
        return [article] + words

    target = int(rng.integers(5, 26))
    words = noun_phrase(SUBJECTS, "a") + ["is"] + pick(VERBS)
    while len(words) < target:
        choice = rng.random()
        if choice < 0.5:
            phrase = pick(PREPOSITIONS) + noun_phrase(PLACES, "the")
        elif choice < 0.75:
            phrase = ["with"] + noun_phrase(OBJECTS, "a")
        else:
            phrase = ["while"] + noun_phrase(SUBJECTS, "a") + ["is"] + pick(VERBS)
        if len(words) + len(phrase) > 25:
            break
        words += phrase
    return " ".join(words).capitalize() + "."


def make_texts(path: Path, count: int):
    rng = np.random.default_rng(TEXT_SEED)
    path.write_text("".join(caption(rng) + "\n" for _ in range(count)), encoding="utf-8")
    print(f"bench_clip_peers: {count} captions in {path}", file=sys.stderr)


# ---------------------------------------------------------------------------------------------------- benchmarks

class Encoders:
    """Image and text features of one peer; `images(paths)` and `texts(strings)` return float32 arrays."""

    def __init__(self, folder: Path):
        from transformers import CLIPImageProcessor, CLIPTokenizerFast
        self.processor = CLIPImageProcessor.from_pretrained(folder)
        self.tokenizer = CLIPTokenizerFast.from_pretrained(folder)

    def pixels(self, paths):
        images = [Image.open(path) for path in paths]
        try:
            return self.processor(images=images, return_tensors="np").pixel_values
        finally:
            for image in images:
                image.close()

    def tokens(self, texts):
        return self.tokenizer(texts, padding=True, truncation=True, max_length=77, return_tensors="np")


class PyTorch(Encoders):
    def __init__(self, folder: Path, threads: int):
        import torch
        from transformers import CLIPModel
        super().__init__(folder)
        torch.set_num_threads(threads)
        self.torch = torch
        self.model = CLIPModel.from_pretrained(folder, dtype=torch.float32).eval()
        self.name = f"pytorch {torch.__version__.split('+')[0]}"

    def images(self, paths):
        with self.torch.inference_mode():
            return self.model.get_image_features(pixel_values=self.torch.from_numpy(self.pixels(paths))).numpy()

    def texts(self, texts):
        batch = self.tokens(texts)
        with self.torch.inference_mode():
            return self.model.get_text_features(input_ids=self.torch.from_numpy(batch["input_ids"]),
                                                attention_mask=self.torch.from_numpy(batch["attention_mask"])).numpy()


def export_onnx(folder: Path, cache: Path):
    """Exports the two towers once; again when the checkpoint is newer than the export."""
    vision, text = cache / "vision.onnx", cache / "text.onnx"
    stamp = (folder / "model.safetensors").stat().st_mtime
    if vision.exists() and text.exists() and min(vision.stat().st_mtime, text.stat().st_mtime) >= stamp:
        return vision, text
    import torch
    from transformers import CLIPModel

    model = CLIPModel.from_pretrained(folder, dtype=torch.float32).eval()

    class Vision(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.clip = model

        def forward(self, pixel_values):
            return self.clip.get_image_features(pixel_values=pixel_values)

    class Text(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.clip = model

        def forward(self, input_ids, attention_mask):
            return self.clip.get_text_features(input_ids=input_ids, attention_mask=attention_mask)

    cache.mkdir(parents=True, exist_ok=True)
    size = model.config.vision_config.image_size
    ids = torch.tensor([[49406, 320, 1125, 539, 320, 2368, 49407], [49406, 320, 2368, 49407, 49407, 49407, 49407]])
    mask = (torch.arange(ids.shape[1]) < torch.tensor([[7], [4]])).long()
    with torch.no_grad():
        torch.onnx.export(Vision().eval(), (torch.zeros(2, 3, size, size),), str(vision) + ".partial",
                          input_names=["pixel_values"], output_names=["image_embeds"],
                          dynamic_axes={"pixel_values": {0: "batch"}, "image_embeds": {0: "batch"}},
                          opset_version=17, dynamo=False)
        torch.onnx.export(Text().eval(), (ids, mask), str(text) + ".partial",
                          input_names=["input_ids", "attention_mask"], output_names=["text_embeds"],
                          dynamic_axes={"input_ids": {0: "batch", 1: "tokens"},
                                        "attention_mask": {0: "batch", 1: "tokens"}, "text_embeds": {0: "batch"}},
                          opset_version=17, dynamo=False)
    os.replace(str(vision) + ".partial", vision)
    os.replace(str(text) + ".partial", text)
    print(f"bench_clip_peers: exported the towers to {cache}", file=sys.stderr)
    return vision, text


class OnnxRuntime(Encoders):
    def __init__(self, folder: Path, threads: int, cache: Path):
        import onnxruntime
        super().__init__(folder)
        vision, text = export_onnx(folder, cache)
        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        options.graph_optimization_level = onnxruntime.GraphOptimizationLevel.ORT_ENABLE_ALL
        self.vision = onnxruntime.InferenceSession(str(vision), options, providers=["CPUExecutionProvider"])
        self.text = onnxruntime.InferenceSession(str(text), options, providers=["CPUExecutionProvider"])
        self.name = f"onnxruntime {onnxruntime.__version__}"

    def images(self, paths):
        return self.vision.run(None, {"pixel_values": self.pixels(paths)})[0]

    def texts(self, texts):
        batch = self.tokens(texts)
        return self.text.run(None, {"input_ids": batch["input_ids"].astype(np.int64),
                                    "attention_mask": batch["attention_mask"].astype(np.int64)})[0]


def batches(items, size):
    return [items[start:start + size] for start in range(0, len(items), size)]


def timed(function, items, batch, runs):
    """Median seconds of `runs` passes over all items, after one warm-up batch; and the first SAVED outputs."""
    function(items[:batch])
    seconds, kept = [], []
    for run in range(runs):
        start = time.perf_counter()
        for chunk_index, chunk in enumerate(batches(items, batch)):
            out = function(chunk)
            if run == 0 and chunk_index * batch < SAVED:
                kept.append(out)
        seconds.append(time.perf_counter() - start)
    return statistics.median(seconds), np.concatenate(kept)[:SAVED]


def benchmark(peer, photos: Path, texts_file: Path, args):
    paths = sorted(p for p in photos.iterdir() if p.suffix.lower() in (".jpg", ".jpeg", ".png"))
    texts = [line for line in texts_file.read_text(encoding="utf-8").split("\n") if line]
    if not paths or not texts:
        sys.exit("bench_clip_peers: no photos or no texts")
    image_seconds, image_embeddings = timed(peer.images, paths, args.batch, args.runs)
    text_seconds, text_embeddings = timed(peer.texts, texts, args.batch, args.runs)
    if args.save_embeddings:
        np.savez(args.save_embeddings, image_files=np.array([p.name for p in paths[:SAVED]]),
                 image_embeddings=image_embeddings.astype(np.float32), texts=np.array(texts[:SAVED]),
                 text_embeddings=text_embeddings.astype(np.float32))
    print(json.dumps({
        "peer": peer.name, "threads": args.threads, "batch": args.batch, "runs": args.runs,
        "images": len(paths), "image_seconds": round(image_seconds, 4),
        "images_per_second": round(len(paths) / image_seconds, 3),
        "texts": len(texts), "text_seconds": round(text_seconds, 4),
        "texts_per_second": round(len(texts) / text_seconds, 3),
    }, sort_keys=True), flush=True)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    checkpoint = commands.add_parser("make-checkpoint")
    checkpoint.add_argument("dir", type=Path)
    photos = commands.add_parser("make-photos")
    photos.add_argument("dir", type=Path)
    photos.add_argument("n", type=int)
    texts = commands.add_parser("make-texts")
    texts.add_argument("file", type=Path)
    texts.add_argument("n", type=int)
    for name in ("pytorch", "onnxruntime"):
        bench = commands.add_parser(name)
        bench.add_argument("dir", type=Path)
        bench.add_argument("photos", type=Path)
        bench.add_argument("texts", type=Path)
        bench.add_argument("--threads", type=int, default=2)
        bench.add_argument("--batch", type=int, default=32)
        bench.add_argument("--runs", type=int, default=1)
        bench.add_argument("--save-embeddings", type=Path)
        if name == "onnxruntime":
            bench.add_argument("--onnx-cache", type=Path)
    args = parser.parse_args()

    if args.command == "make-checkpoint":
        make_checkpoint(args.dir)
    elif args.command == "make-photos":
        make_photos(args.dir, args.n)
    elif args.command == "make-texts":
        make_texts(args.file, args.n)
    else:
        if not all((args.dir / name).is_file() for name in CHECKPOINT_FILES):
            sys.exit(f"bench_clip_peers: {args.dir} is not a complete checkpoint; run make-checkpoint first")
        if args.command == "pytorch":
            peer = PyTorch(args.dir, args.threads)
        else:
            cache = args.onnx_cache or args.dir.with_name(args.dir.name + "-onnx")
            peer = OnnxRuntime(args.dir, args.threads, cache)
        benchmark(peer, args.photos, args.texts, args)


if __name__ == "__main__":
    main()
