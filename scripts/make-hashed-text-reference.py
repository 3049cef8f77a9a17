#!/usr/bin/env python3
"""Writes Fixtures/encode/hashed-text-reference.json: vectors of the `hashed` text encoder computed by this
second, independent implementation of the recipe documented in Sources/Braid/Encode/HashedTextEncoder.swift.

Words here are runs of characters with str.isalpha() or a Unicode numeric value; Swift uses the Alphabetic
property, which also admits some combining marks, so the sentences below avoid those.
Run from the repository root with any Python 3: python3 scripts/make-hashed-text-reference.py
"""
import json
import math
import pathlib
import unicodedata

DIMENSION = 512
SENTENCES = [
    "the cat sat on the mat",
    "Ｔｈｅ ﬁrst café — naïve CAFÉ, 42 times!",
    "a",
]


def fnv1a64(data):
    value = 0xCBF29CE484222325
    for byte in data:
        value = ((value ^ byte) * 0x100000001B3) & 0xFFFFFFFFFFFFFFFF
    return value


def words(text):
    found, current = [], ""
    for character in text:
        if character.isalpha() or unicodedata.numeric(character, None) is not None:
            current += character
        elif current:
            found.append(current)
            current = ""
    if current:
        found.append(current)
    return found


def family_hashes(tokens):
    unigrams = [fnv1a64(b"\x01" + w.encode()) for w in tokens]
    pairs = [fnv1a64(b"\x02" + a.encode() + b" " + b.encode()) for a, b in zip(tokens, tokens[1:])]
    grams = []
    for w in tokens:
        marked = "<" + w + ">"
        for n in (3, 4, 5):
            grams += [fnv1a64(b"\x03" + marked[i:i + n].encode()) for i in range(len(marked) - n + 1)]
    return [unigrams, pairs, grams]


def embed(text):
    tokens = words(unicodedata.normalize("NFKC", text).lower())
    vector = [0.0] * DIMENSION
    for hashes in family_hashes(tokens):
        counts = {}
        for h in hashes:
            counts[h] = counts.get(h, 0) + 1
        weights = {h: 1 + math.log(n) for h, n in counts.items()}
        norm = math.sqrt(sum(w * w for w in weights.values()))
        for h, w in weights.items():
            vector[h % DIMENSION] += (1 if h >> 63 == 0 else -1) * w / norm
    length = math.sqrt(sum(v * v for v in vector))
    return [v / length for v in vector]


def main():
    cases = []
    for text in SENTENCES:
        vector = embed(text)
        nonzero = {str(i): float(f"{v:.7g}") for i, v in enumerate(vector) if abs(v) > 1e-9}
        cases.append({"text": text, "nonzero": nonzero})
    path = pathlib.Path("Fixtures/encode/hashed-text-reference.json")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"generator": "scripts/make-hashed-text-reference.py", "dimension": DIMENSION,
                                "cases": cases}, indent=1, ensure_ascii=False) + "\n")
    print(f"wrote {path} ({path.stat().st_size} bytes)")


if __name__ == "__main__":
    main()
