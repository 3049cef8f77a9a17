#!/usr/bin/env python3
"""Builds the image-and-sound pairs the fusion and caption models train and are tested on, deterministically
(fixed seed), from ../shared/data: training pairs from MNIST's training digits and FSDD's training takes (5-49),
test pairs from MNIST's test digits and FSDD's test takes (0-4) only.

    scripts/make-pairs.py [OUT]        # default .build/pairs

Writes OUT/images/{train,test}-N.png (the MNIST digits the pairs use, as 8-bit grey PNG) and JSON lines whose
paths point at them and at ../shared/data/fsdd/recordings:
  caption-train.jsonl, caption-test.jsonl   {"id","image","audio","caption"}: all 100 digit combinations, image and
                                             sound drawn independently (20,000 / 2,000), plus image-only and
                                             sound-only pairs (2,000 + 2,000 / 300 + 300)
  fusion-train.jsonl, fusion-test.jsonl     {"id","image","audio","label"}: the same digit seen and heard
                                             (12,000 / 3,000)
  fusion-validation.jsonl                    20,000 such pairs from training digits that no other training pair
                                             uses, for choosing how fusion models train without looking at the
                                             test pairs (scripts/fusion-robustness PAIRS)
  caption-bench.jsonl                        10,000 test pairs (100 per combination) for throughput
Standard library only, so it runs wherever Python 3 does.
"""
import gzip, json, os, random, struct, sys, zlib

DATA = os.path.join(os.path.dirname(__file__), "..", "..", "shared", "data")
DATA = os.path.normpath(os.environ.get("BRAID_DATA", DATA))
WORDS = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"]


def caption(seen, heard):
    if seen is None:
        return f"no image and a spoken {heard}"
    if heard is None:
        return f"a handwritten {seen} and no sound"
    if seen == heard:
        return f"a handwritten {seen}, spoken as {WORDS[heard]}"
    return f"a handwritten {seen} and a spoken {heard}"


def read_idx(path):
    with gzip.open(path) as f:
        data = f.read()
    dims = data[3]
    shape = struct.unpack(">" + "I" * dims, data[4:4 + 4 * dims])
    return shape, data[4 + 4 * dims:]


def png(pixels, side):
    raw = b"".join(b"\x00" + pixels[row * side:(row + 1) * side] for row in range(side))
    def chunk(kind, body):
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body) & 0xFFFFFFFF)
    header = struct.pack(">IIBBBBB", side, side, 8, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b"")


class Split:
    def __init__(self, name, out, takes):
        (count, rows, cols), pixels = read_idx(os.path.join(DATA, "mnist", f"{name}-images-idx3-ubyte.gz"))
        _, labels = read_idx(os.path.join(DATA, "mnist", f"{name}-labels-idx1-ubyte.gz"))
        self.name, self.out, self.side, self.pixels = name, out, rows, pixels
        self.used = set()
        self.images = [[i for i in range(count) if labels[i] == d] for d in range(10)]
        recordings = os.path.join(DATA, "fsdd", "recordings")
        self.sounds = [[] for _ in range(10)]
        for file in sorted(os.listdir(recordings)):
            digit, _, take = file[:-4].split("_")
            if int(take) in takes:
                self.sounds[int(digit)].append(os.path.join(recordings, file))

    def image(self, digit, rng, unused=False):
        """A digit's image drawn by `rng`; with `unused`, one that no pair drawn before has used."""
        candidates = [i for i in self.images[digit] if i not in self.used] if unused else self.images[digit]
        index = rng.choice(candidates)
        self.used.add(index)
        path = os.path.join(self.out, "images", f"{self.name}-{index}.png")
        if not os.path.exists(path):
            size = self.side * self.side
            with open(path, "wb") as f:
                f.write(png(self.pixels[index * size:(index + 1) * size], self.side))
        return path

    def sound(self, digit, rng):
        return rng.choice(self.sounds[digit])


def write(path, records):
    with open(path, "w") as f:
        for record in records:
            f.write(json.dumps(record) + "\n")
    print(f"make-pairs: {len(records)} records in {path}", file=sys.stderr)


def caption_pairs(split, prefix, per_combination, per_missing, rng):
    records = []
    for n in range(100 * per_combination):
        seen, heard = n % 10, (n // 10) % 10
        records.append({"id": f"{prefix}-{n}", "image": split.image(seen, rng), "audio": split.sound(heard, rng),
                        "caption": caption(seen, heard)})
    for n in range(per_missing):
        digit = n % 10
        records.append({"id": f"{prefix}-image-{n}", "image": split.image(digit, rng), "caption": caption(digit, None)})
        records.append({"id": f"{prefix}-audio-{n}", "audio": split.sound(digit, rng), "caption": caption(None, digit)})
    return records


def fusion_pairs(split, prefix, count, rng, unused=False):
    return [{"id": f"{prefix}-{n}", "image": split.image(n % 10, rng, unused), "audio": split.sound(n % 10, rng),
             "label": str(n % 10)} for n in range(count)]


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else ".build/pairs"
    os.makedirs(os.path.join(out, "images"), exist_ok=True)
    train = Split("train", out, range(5, 50))
    test = Split("test", out, range(0, 5))
    write(os.path.join(out, "caption-train.jsonl"), caption_pairs(train, "train", 200, 2000, random.Random(1)))
    write(os.path.join(out, "caption-test.jsonl"), caption_pairs(test, "test", 20, 300, random.Random(2)))
    write(os.path.join(out, "fusion-train.jsonl"), fusion_pairs(train, "train", 12000, random.Random(3)))
    write(os.path.join(out, "fusion-test.jsonl"), fusion_pairs(test, "test", 3000, random.Random(4)))
    write(os.path.join(out, "caption-bench.jsonl"), caption_pairs(test, "bench", 100, 0, random.Random(5)))
    write(os.path.join(out, "fusion-validation.jsonl"), fusion_pairs(train, "validation", 20000, random.Random(6), True))


if __name__ == "__main__":
    main()
