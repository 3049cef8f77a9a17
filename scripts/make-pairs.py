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
                                             (24,000 / 3,000; the second 12,000 training pairs are of parts
                                             the part encoders held out, see below)
  caption-bench.jsonl                        10,000 test pairs (100 per combination) for throughput
  fusion-validation.jsonl                    20,000 fusion pairs from training digits that no other training pair
                                             uses, for choosing how fusion models train without looking at the
                                             test pairs (scripts/fusion-robustness PAIRS)
  fusion-validation-unseen.jsonl             10,000 fusion pairs of parts the part encoders never trained on
  caption-validation-unseen.jsonl            caption pairs as caption-test.jsonl's (2,000 + 300 + 300) of such parts,
                                             with images no caption training pair uses, for choosing how caption
                                             models train: `braid eval MODEL --records` on them
  caption-validation.jsonl                   the same of parts the part encoders trained on

The part encoders (handwritten-digits, spoken-digits) trained on the training split less the 10% they held out
for validation, so the parts of fusion-validation.jsonl and of the first 12,000 pairs of fusion-train.jsonl are
parts they know, while a test part is one they have never seen. The parts both encoders held out are split in two
halves: the second 12,000 pairs of fusion-train.jsonl draw on one ("fit"), so that the fusion models also learn
how the classifiers do on parts new to them, and fusion-validation-unseen.jsonl on the other ("check"), both with
images that no other fusion pair uses; the "check" recordings do occur in the first 12,000 training pairs, which
draw on every training take. held_out reproduces braid's validation rule (ValidationSplit: FNV-1a 64 of the item's
id, mixed with the seed by splitmix64) for the ids braid gave those items: "train-images-idx3-ubyte.gz#N" and the
recording's file name.
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


MASK = (1 << 64) - 1


def _mix(value):
    value = ((value ^ (value >> 30)) * 0xBF58476D1CE4E5B9) & MASK
    value = ((value ^ (value >> 27)) * 0x94D049BB133111EB) & MASK
    return value ^ (value >> 31)


def held_out(item_id, fraction=0.1, seed=1):
    """Whether braid's ValidationSplit(fraction, seed) holds `item_id` out (SeededRNG.derivedSeed of its FNV-1a)."""
    fnv = 0xCBF29CE484222325
    for byte in item_id.encode():
        fnv = ((fnv ^ byte) * 0x100000001B3) & MASK
    position = _mix(_mix(seed) ^ _mix((fnv + 0x9E3779B97F4A7C15) & MASK)) % 1_000_000
    return position < fraction * 1_000_000


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
    def __init__(self, name, out, takes, keep=lambda item_id: True):
        """`keep` picks digits and recordings by the ids braid gives them ("train-images-idx3-ubyte.gz#N", the
        recording's file name)."""
        (count, rows, cols), pixels = read_idx(os.path.join(DATA, "mnist", f"{name}-images-idx3-ubyte.gz"))
        _, labels = read_idx(os.path.join(DATA, "mnist", f"{name}-labels-idx1-ubyte.gz"))
        self.name, self.out, self.side, self.pixels = name, out, rows, pixels
        self.used = set()
        self.images = [[i for i in range(count) if labels[i] == d and keep(image_id(name, i))] for d in range(10)]
        recordings = os.path.join(DATA, "fsdd", "recordings")
        self.sounds = [[] for _ in range(10)]
        for file in sorted(os.listdir(recordings)):
            digit, _, take = file[:-4].split("_")
            if int(take) in takes and keep(file):
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


def image_id(split, index):
    """The id braid gives an MNIST digit read from the IDX file."""
    return f"{split}-images-idx3-ubyte.gz#{index}"


def encoders_held_out(half, excluded):
    """A Split filter: the parts both encoders held out, in the "fit" or the "check" half (an even split of them
    by the same rule under seed 2), but for the ids in `excluded`."""
    return lambda item_id: (item_id not in excluded and held_out(item_id)
                            and held_out(item_id, 0.5, 2) == (half == "check"))


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
    caption_train = caption_pairs(train, "train", 200, 2000, random.Random(1))
    write(os.path.join(out, "caption-train.jsonl"), caption_train)
    write(os.path.join(out, "caption-test.jsonl"), caption_pairs(test, "test", 20, 300, random.Random(2)))
    fusion_train = fusion_pairs(train, "train", 12000, random.Random(3))
    write(os.path.join(out, "fusion-test.jsonl"), fusion_pairs(test, "test", 3000, random.Random(4)))
    write(os.path.join(out, "caption-bench.jsonl"), caption_pairs(test, "bench", 100, 0, random.Random(5)))
    fusion_validation = fusion_pairs(train, "validation", 20000, random.Random(6), True)
    write(os.path.join(out, "fusion-validation.jsonl"), fusion_validation)
    # Drawn last, so that the lists above stay what they were, from images no fusion pair above uses.
    used = {image_id("train", record["image"].rsplit("-", 1)[1][:-4]) for record in fusion_train + fusion_validation}
    unseen = {half: Split("train", out, range(5, 50), encoders_held_out(half, used)) for half in ("fit", "check")}
    write(os.path.join(out, "fusion-train.jsonl"),
          fusion_train + fusion_pairs(unseen["fit"], "train-unseen", 12000, random.Random(8)))
    write(os.path.join(out, "fusion-validation-unseen.jsonl"),
          fusion_pairs(unseen["check"], "validation-unseen", 10000, random.Random(9)))
    captioned = used | {image_id("train", record["image"].rsplit("-", 1)[1][:-4])
                        for record in caption_train if "image" in record}
    write(os.path.join(out, "caption-validation-unseen.jsonl"),
          caption_pairs(Split("train", out, range(5, 50), encoders_held_out("check", captioned)), "validation-unseen",
                        20, 300, random.Random(10)))
    seen = Split("train", out, range(5, 50), lambda item_id: not held_out(item_id) and item_id not in captioned)
    write(os.path.join(out, "caption-validation.jsonl"), caption_pairs(seen, "validation", 20, 300, random.Random(11)))


if __name__ == "__main__":
    main()
