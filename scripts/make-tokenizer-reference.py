#!/usr/bin/env python3
"""Writes Fixtures/encode/minilm-tokenizer-reference.jsonl: texts of our own with the token ids
HuggingFace `tokenizers` gives them under all-MiniLM-L6-v2's tokenizer.json, truncated to 256 as
sentence-transformers does. BertTokenizerTests checks the Swift tokenizer against it.

    scripts/fetch-models minilm
    "$(scripts/peers-venv)" scripts/make-tokenizer-reference.py [MODEL_FOLDER]

The texts are hand-picked edge cases plus seeded random mixtures of the character classes BERT
tokenisation distinguishes (the same seed gives the same file).
"""
import json
import os
import random
import sys
from pathlib import Path

import tokenizers

MAX_SEQ_LENGTH = 256  # sentence_bert_config.json
ROOT = Path(__file__).resolve().parent.parent
OUTPUT = ROOT / "Fixtures" / "encode" / "minilm-tokenizer-reference.jsonl"

HAND_PICKED = [
    # Added tokens spelled inside text: matched case-sensitively, before normalisation.
    "hello [SEP] world", "[CLS][CLS]", "x[MASK]y", "[cls] [Sep] [MASK", "[[UNK]]", "[PAD]",
    # Whitespace of every kind, controls and formats (deleted), U+FFFD and NUL (deleted).
    "a\u00a0b\u2003c\u3000d\u2028e\u2029f\u0085g\u000bh\u000ci", "a\u200db\ufeffc\u2060d\u00ade", "a\x00b\ufffdc",
    "tab\tnew\nline\r\ncarriage", "private \ue000 use \U000f0000 x",
    # Accents, full Unicode lowercase mappings, compatibility characters NFD leaves alone.
    "ÀÉÎÕÜ àéîõü ÇçÑñ", "İstanbul ΣΊΣΥΦΟΣ straße ǅungla", "e\u0301 vs \u00e9, o\u0308\u0304 vs \u022b",
    "ﬁﬂﬃ ＡＢＣ１２３ ² ½ Ⅻ ㎏ ™ ℃", "Ω Å K", "\u1e9e \u0130 \u03a3",
    # Scripts: CJK ideographs split, kana and Hangul not; Hangul decomposes to jamo.
    "東京タワーとスカイツリー", "中文，标点。符号！", "서울특별시 강남구", "𠀀𪜀𫝀𫠠𬺰 CJK extension ideographs",
    "ภาษาไทย", "हिन्दी भाषा", "العربية فارسی", "עברית", "ქართული", "Ελληνικά", "Русский язык",
    # Punctuation: ASCII symbols count, Unicode P* count, other symbols do not.
    "$5 + 3 = 8 < 9 > 7 ^ 2 ` ~ | \\", "«quotes» „German“ ‘single’ — dash – en ‐ hyphen", "¡hola! ¿qué? §1 ¶2 †‡",
    "© ® ° ± × ÷ € £ ¥ ¢ ∑ ∞ ≠ ≤ √", "☺ ♥ ★ ✓ ✗ ➜ ⚡ 🎉 👍🏽 👨‍👩‍👧 🇯🇵 #️⃣",
    # Word pieces: long words, numbers, identifiers.
    "supercalifragilisticexpialidocious", "a" * 100, "a" * 101, "é" * 100, "ab" * 60,
    "unbelievably antidisestablishmentarianism", "3.14159e-10 0xDEADBEEF 1,234,567.89",
    "snake_case camelCase kebab-case SCREAMING_CASE", "user@example.com https://x.y/z?a=1&b=2#c",
    # Empty and near-empty.
    "", " ", "\n\t ", "\u200b", ".", "a",
    # Truncation at 256 tokens.
    "word " * 300, "[SEP] " * 300, "東" * 300,
]

POOLS = [
    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789",
    " \t\n\u00a0\u3000\u200b\u00ad\x07\x00",
    "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~«»—…¿¡",
    "áéíóúàèìòùâêîôûäëïöüçñãõåøæœßÁÉÍÓÚÇÑÅØÆŒİıſ",
    "\u0301\u0300\u0308\u0327\u0323\u0345\u05b0\u0e31",
    "東京日本首都我喜欢学习機器자연어서울은대한민국ひらがなカタカナ",
    "привет мир Ελληνικά مرحبا שלום नमस्ते สวัสดี",
    "🍕😂👍🏽👨‍👩‍👧🇫🇷❤️✨",
    "ﬁﬂＡＢＣ１２３²³½Ⅻ™℃",
]


def random_texts(count, seed=20261125):
    rng = random.Random(seed)
    texts = []
    for _ in range(count):
        parts = []
        for _ in range(rng.randint(1, 12)):
            if rng.random() < 0.08:
                parts.append(rng.choice(["[CLS]", "[SEP]", "[MASK]", "[UNK]", "[PAD]"]))
            else:
                pool = rng.choice(POOLS)
                parts.append("".join(rng.choice(pool) for _ in range(rng.randint(1, 8))))
            parts.append(rng.choice(["", " ", " "]))
        texts.append("".join(parts))
    return texts


def main():
    folder = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(
        os.environ.get("BRAID_MODELS", Path.home() / ".cache" / "braid" / "models")) / "minilm"
    tokenizer = tokenizers.Tokenizer.from_file(str(folder / "tokenizer.json"))
    tokenizer.no_padding()
    tokenizer.enable_truncation(MAX_SEQ_LENGTH)
    texts = HAND_PICKED + random_texts(300)
    with open(OUTPUT, "w", encoding="utf-8") as out:
        for text, encoding in zip(texts, tokenizer.encode_batch(texts)):
            out.write(json.dumps({"text": text, "token_ids": encoding.ids}, ensure_ascii=False) + "\n")
    print(f"wrote {len(texts)} texts to {OUTPUT.relative_to(ROOT)} (tokenizers {tokenizers.__version__})",
          file=sys.stderr)


if __name__ == "__main__":
    main()
