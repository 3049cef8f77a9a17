#!/usr/bin/env python3
r"""Writes Fixtures/encode/clip-tokenizer-reference.jsonl.gz: texts of our own with the token ids the slow Python
`transformers.CLIPTokenizer` gives them under OpenAI CLIP's full vocabulary (49408 tokens, 48894 merges), for
the Swift CLIP tokenizer's tests.

    scripts/fetch-models clip-tokenizer
    "$(scripts/peers-venv)" scripts/make-clip-tokenizer-reference.py [CLIP_TOKENIZER_FOLDER]

One JSON object a line, {"text": ..., "ids": [...]}: the ids with add_special_tokens=True and no truncation,
so every list starts with <|startoftext|> 49406, ends with <|endoftext|> 49407, and may be longer than 77
(CLIP's context; the encoder truncates, the tokenizer reference does not). Lines are separated by "\n" only:
U+0085, U+2028 and U+2029 in a text are written as \u escapes, so no line-splitting rule can cut a record.

ftfy must NOT be installed (the script stops if it is): without it CLIPTokenizer cleans text with BERT's
BasicTokenizer(strip_accents=False, do_split_on_punc=False): it deletes NUL, U+FFFD and every character of a
general category C* except \t \n \r (so \x0b, \x0c, U+0085, U+200B, ZWJ, BOM, private use and unassigned code
points go), turns " ", \t, \n, \r and Zs into spaces, puts spaces around CJK ideographs, NFC-normalises, splits
with Python's str.split() (whose whitespace also includes U+2028 and U+2029, which survive the cleaning) and
lower-cases each word with Python's full str.lower() (İ -> i + U+0307, final sigma: ΟΔΟΣ -> οδος), then joins the
words with single spaces. That is what Braid reproduces; with ftfy the cleaning would be ftfy.fix_text +
whitespace_clean + lower.
Special tokens spelled in the text are split out first, case-sensitively; then CLIP's regex
<\|startoftext\|>|<\|endoftext\|>|'s|'t|'re|'ve|'m|'ll|'d|[\p{L}]+|[\p{N}]|[^\s\p{L}\p{N}]+ (IGNORECASE,
the `regex` module) and byte-level BPE with "</w>" on each piece's last symbol.

The texts are 170 hand-picked hard cases plus 10,400 seeded random mixtures (random.Random(SEED)) of
vocabulary words, case, contractions, numbers, punctuation, whitespace and characters of many scripts. Random
characters are only code points Python's unicodedata (Unicode 14.0 here) has assigned, so a newer Unicode
table on the Swift side cannot disagree about them. The same seed gives the same bytes (gzip mtime 0).
For information the script prints how many texts CLIPTokenizerFast (HF `tokenizers`, which has no
BasicTokenizer) tokenises differently; the reference is the slow tokenizer's.
"""
import gzip
import importlib.util
import io
import json
import os
import random
import sys
import unicodedata
from pathlib import Path

assert importlib.util.find_spec("ftfy") is None, \
    "ftfy is installed: CLIPTokenizer would use ftfy.fix_text instead of BasicTokenizer (see the docstring)"

import transformers  # noqa: E402
from transformers import CLIPTokenizer, CLIPTokenizerFast  # noqa: E402

SEED = 20260302
RANDOM_TEXTS = 10_400
ROOT = Path(__file__).resolve().parent.parent
OUTPUT = ROOT / "Fixtures" / "encode" / "clip-tokenizer-reference.jsonl.gz"

LONG_SENTENCE = ("A golden retriever puppy is sitting on a wooden porch next to a red bicycle, while two "
                 "children in yellow raincoats play with a kite in the garden behind the old stone house. ")

HAND_PICKED = [
    # Empty, whitespace only.
    "", " ", "   ", "\t", "\n", "\r\n", " \t\n\r\x0b\x0c ", "\u00a0", "\u3000", "\u2028\u2029", "\u0085",
    # Contractions, in every case, straight and curly apostrophes.
    "it's", "It's", "IT'S", "iT'S", "don't", "DON'T", "Don'T", "we're", "WE'RE", "you've", "I'm", "I'M",
    "they'll", "THEY'LL", "she'd", "SHE'D", "it\u2019s", "don\u2019t", "rock 'n' roll", "'s", "'S", "'t", "'T",
    "'re", "'RE", "dogs' toys", "''s", "'''", "'ss", "o'clock", "y'all'd've", "It's a dog's life, isn't it?",
    # Special tokens spelled inside text: split out case-sensitively; upper case is lowered into one too.
    "<|startoftext|>", "<|endoftext|>", "a<|endoftext|>b", "<|startoftext|>hello<|endoftext|>",
    "<|ENDOFTEXT|>", "<|StartOfText|> x", "<|endoftext|", "<endoftext>", "<|endoftext|><|endoftext|>",
    "< |endoftext| >", "x <|startoftext|> y <|endoftext|> z",
    # Whitespace of every kind, tabs, newlines, controls, NUL, U+FFFD, format characters.
    "a\u00a0b\u2002c\u2003d\u2009e\u200af\u202fg\u205fh\u3000i", "a\u2028b\u2029c\u0085d\u1680e",
    "tab\tnew\nline\r\ncarriage\rreturn", "a\x0bb\x0cc\x1cd\x1de\x1ff", "bell\x07 esc\x1b del\x7f c1\x80\x9f",
    "nul\x00in\x00side", "\x00", "a\ufffdb", "\ufffd\ufffd", "zero\u200bwidth\u200cnon\u200djoiner",
    "word\u2060joiner\ufeffbom", "soft\u00adhyphen", "\u200b", "\u200d", "\ufeff", "bidi\u200e\u200f\u202a\u202e",
    "private \ue000 use \U000f0000", "  leading and trailing  ",
    # Accents: NFC vs NFD, several marks, marks without a base.
    "caf\u00e9", "cafe\u0301", "CAF\u00c9", "CAFE\u0301", "o\u0308\u0304 vs \u022b", "\u0301\u0301a",
    "na\u00efve r\u00e9sum\u00e9 fa\u00e7ade", "\u00c0\u00c9\u00ce\u00d5\u00dc \u00e0\u00e9\u00ee\u00f5\u00fc",
    "\u1e9b\u0323", "A\u030a vs \u00c5 vs \u212b",
    # Case mappings that are not one to one.
    "\u0130stanbul", "ISTANBUL \u0131stanbul", "\u039f\u0394\u039f\u03a3 \u03bf\u03b4\u03bf\u03c2",
    "\u03a3\u03a3 \u03c3\u03c2", "stra\u00dfe STRASSE \u1e9e", "\u01c5ungla \u01c4 \u01c6", "\u0149 \u1f88 \u1ff3",
    # Compatibility characters (NFC keeps them), fullwidth, ligatures.
    "\ufb01nance \ufb02ow \ufb03", "\uff21\uff22\uff23 \uff11\uff12\uff13 \uff41\uff42\uff43",
    "\u00b2 \u00bd \u2163 \u33cf \u2122 \u2103 \u2460", "\u212a\u2126",
    # Scripts: CJK ideographs are split one by one, kana and Hangul are not.
    "\u6771\u4eac\u30bf\u30ef\u30fc", "\u4e2d\u6587\uff0c\u6807\u70b9\u3002\u7b26\u53f7\uff01",
    "\u6211\u559c\u6b22\u5b66\u4e60\u673a\u5668\u5b66\u4e60", "\u3072\u3089\u304c\u306a \u30ab\u30bf\u30ab\u30ca",
    "\uc11c\uc6b8\ud2b9\ubcc4\uc2dc \uac15\ub0a8\uad6c", "\U00020000\U0002a700\U0002b740 ext",
    "\u0e20\u0e32\u0e29\u0e32\u0e44\u0e17\u0e22", "\u0939\u093f\u0928\u094d\u0926\u0940 \u092d\u093e\u0937\u093e",
    "\u0627\u0644\u0639\u0631\u0628\u064a\u0629 \u0641\u0627\u0631\u0633\u06cc", "\u05e2\u05d1\u05e8\u05d9\u05ea",
    "\u10e5\u10d0\u10e0\u10d7\u10e3\u10da\u10d8", "\u0395\u03bb\u03bb\u03b7\u03bd\u03b9\u03ba\u03ac",
    "\u0420\u0443\u0441\u0441\u043a\u0438\u0439 \u044f\u0437\u044b\u043a", "\u0531\u0580\u0574\u0565\u0576",
    "\u1200\u1208\u1218 \u0f00 \u1780\u1781", "mixed\u6771\u4eacwords\uc11c\uc6b8here",
    # Emoji: skin tones, ZWJ families, flags, keycaps, variation selectors.
    "\U0001f600\U0001f602\U0001f60d", "\U0001f44d\U0001f3fd \U0001f44b\U0001f3ff",
    "\U0001f468\u200d\U0001f469\u200d\U0001f467\u200d\U0001f466", "\U0001f469\U0001f3fe\u200d\U0001f4bb",
    "\U0001f1ef\U0001f1f5\U0001f1eb\U0001f1f7\U0001f1fa\U0001f1f8", "#\ufe0f\u20e3 1\ufe0f\u20e3 *\u20e3",
    "\u2764\ufe0f \u2764 \u263a\ufe0e", "\U0001f3f3\ufe0f\u200d\U0001f308", "I \u2764\ufe0f NY \U0001f5fd!",
    "\U0001f355\U0001f355\U0001f355", "\U0001f40ddog", "cat\U0001f431cat",
    # Numbers: CLIP splits every digit; other scripts' digits are \p{N} too.
    "3.14159", "1,000,000", "2nd 3rd 4th 21st", "0xDEADBEEF", "-42 +17 1e-10 6.02e23", "2026-03-02 12:34:56",
    "\u0663\u0664\u0665 \u0969\u096b \uff19\uff18 \u2155 \u2167 \u00b3", "12345678901234567890", "$5.99 \u20ac10 \u00a320",
    # Punctuation runs and symbols.
    "!!!???", "...", "\u2026", "?!?!", "--", "\u2014\u2013\u2010", "((nested [brackets] {here}))",
    "\u00abquotes\u00bb \u201eGerman\u201c \u2018single\u2019 \u201cdouble\u201d", "\u00a1hola! \u00bfqu\u00e9?",
    "a+b=c; x<y>z | p&q ^ ~n @home #tag $var %mod", "\u00a9 \u00ae \u00b0 \u00b1 \u00d7 \u00f7 \u2211 \u221e \u2260",
    ":-) ;-) :D <3 xD ^_^ \u00af\\_(\u30c4)_/\u00af",
    # URLs, e-mail, code, paths.
    "https://www.example.com/path?q=1&r=two#frag", "user.name+tag@example.co.uk",
    "def f(x): return x**2 if x > 0 else -x", "if (a && b || !c) { return arr[i++]; }",
    "C:\\Users\\me\\file.txt /usr/local/bin/python3", "snake_case camelCase kebab-case SCREAMING_CASE",
    # Long words, long texts.
    "supercalifragilisticexpialidocious", "pneumonoultramicroscopicsilicovolcanoconiosis",
    "antidisestablishmentarianism", "a" * 100, "ab" * 80, "\u00e9" * 60, "x" * 1200,
    "Donaudampfschifffahrtselektrizit\u00e4tenhauptbetriebswerkbauunterbeamtengesellschaft",
    LONG_SENTENCE, LONG_SENTENCE * 3, LONG_SENTENCE * 12, "word " * 100, "\u6771" * 100,
    "\U0001f600" * 40, "<|endoftext|>" * 80,
    # Captions as CLIP sees them.
    "a photo of a cat.", "A PHOTO OF A DOG.", "a photo of a {}.", "An image of a Golden Retriever.",
    "a close-up photo of the  big   red car", "the Eiffel Tower at night", "A MAN RIDING A HORSE ON THE BEACH",
]

WORD_CASES = (str.lower,) * 6 + (str.title,) * 2 + (str.upper,) + (lambda w: w,)
CONTRACTIONS = ["'s", "'t", "'re", "'ve", "'m", "'ll", "'d", "'S", "'T", "'RE", "'VE", "'M", "'LL", "'D",
                "\u2019s", "\u2019t", "n't", "N'T", "'", "s'"]
WHITESPACE = [" "] * 12 + ["  ", "\t", "\n", "\r\n", "\u00a0", "\u3000", "\u2009", "\u2028", "\u0085", "\u200b",
                           "\x0b", "\x0c", " \n "]
CONTROLS = ["\x00", "\x07", "\x1b", "\x7f", "\x9c", "\ufffd", "\u200d", "\u200c", "\ufeff", "\u00ad", "\u2060",
            "\u200e", "\ue000"]
PUNCTUATION = "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~" + "\u00ab\u00bb\u2014\u2013\u2026\u00bf\u00a1\u201c\u201d\u2018\u2019\u00a7\u00b6\u2022"
EMOJI = ["\U0001f600", "\U0001f602", "\U0001f60d", "\U0001f622", "\U0001f44d", "\U0001f44d\U0001f3fb",
         "\U0001f44d\U0001f3ff", "\U0001f44b\U0001f3fd", "\u2764\ufe0f", "\u2728", "\U0001f525", "\U0001f355",
         "\U0001f436", "\U0001f431", "\U0001f697", "\U0001f3e0", "\U0001f308", "\U0001f1eb\U0001f1f7",
         "\U0001f1ef\U0001f1f5", "\U0001f468\u200d\U0001f469\u200d\U0001f467", "\U0001f469\u200d\U0001f4bb",
         "1\ufe0f\u20e3", "#\ufe0f\u20e3", "\u263a", "\u2600\ufe0f", "\U0001f389", "\U0001f4f7"]
SYMBOLS = "\u00a9\u00ae\u00b0\u00b1\u00d7\u00f7\u20ac\u00a3\u00a5\u00a2\u2211\u221e\u2260\u2264\u221a\u2665\u2605\u2713\u2192\u2190\u2191\u2193\u2030\u2032\u2033\u2122\u2103\u00b2\u00bd\u2163"
OTHER_DIGITS = "\u0660\u0661\u0662\u0663\u0664\u0665\u0666\u0667\u0668\u0669\u0966\u0967\u0968\u0969\u096a\u096b\uff10\uff11\uff12\uff19\u0e51\u0e52"


def block(first, last):
    return [chr(c) for c in range(first, last + 1) if unicodedata.category(chr(c)) not in ("Cn", "Cs", "Co")]


SCRIPT_BLOCKS = {
    "latin1": block(0xA0, 0xFF), "latin-extended": block(0x100, 0x24F), "ipa": block(0x250, 0x2AF),
    "greek": block(0x370, 0x3FF), "cyrillic": block(0x400, 0x4FF), "armenian": block(0x531, 0x587),
    "hebrew": block(0x5D0, 0x5EA), "arabic": block(0x620, 0x64A) + block(0x660, 0x669),
    "devanagari": block(0x900, 0x97F), "thai": block(0xE01, 0xE5B), "georgian": block(0x10D0, 0x10FA),
    "cjk": block(0x4E00, 0x9FA5), "cjk-extension-b": block(0x20000, 0x2A6D6), "hiragana": block(0x3041, 0x309F),
    "katakana": block(0x30A0, 0x30FF), "hangul": block(0xAC00, 0xD7A3), "fullwidth": block(0xFF01, 0xFF5E),
    "combining": block(0x300, 0x36F), "symbols": block(0x2190, 0x21FF) + block(0x2600, 0x26FF),
}


def vocabulary_words(folder: Path):
    """The whole ASCII words of the vocabulary, "</w>" stripped, sorted so the draw does not depend on dict order."""
    vocab = json.loads((folder / "vocab.json").read_text(encoding="utf-8"))
    return sorted({t[:-4] for t in vocab if t.endswith("</w>") and len(t) > 5 and t[:-4].isascii()
                   and t[:-4].isalpha()})


def random_texts(words, count, seed):
    rng = random.Random(seed)
    script_names = sorted(SCRIPT_BLOCKS)

    def piece():
        kind = rng.random()
        if kind < 0.40:
            word = rng.choice(WORD_CASES)(rng.choice(words))
            if rng.random() < 0.12:
                word += rng.choice(CONTRACTIONS)
            return word
        if kind < 0.50:
            number = rng.choice([str(rng.randint(0, 99)), str(rng.randint(0, 10 ** 7)), f"{rng.uniform(0, 1000):.3f}",
                                 f"{rng.randint(1, 999)},{rng.randint(0, 999):03d}", f"{rng.randint(1, 31)}th"])
            return number if rng.random() < 0.9 else "".join(rng.choice(OTHER_DIGITS) for _ in range(rng.randint(1, 4)))
        if kind < 0.60:
            return "".join(rng.choice(PUNCTUATION) for _ in range(rng.randint(1, 4)))
        if kind < 0.85:
            pool = SCRIPT_BLOCKS[rng.choice(script_names)]
            return "".join(rng.choice(pool) for _ in range(rng.randint(1, 6)))
        if kind < 0.92:
            return "".join(rng.choice(EMOJI) for _ in range(rng.randint(1, 3)))
        if kind < 0.96:
            return rng.choice(SYMBOLS)
        if kind < 0.99:
            return rng.choice(CONTROLS)
        return rng.choice(["<|startoftext|>", "<|endoftext|>", "<|ENDOFTEXT|>", "<|endoftext|"])

    texts = []
    for _ in range(count):
        # Mostly caption-sized, some long, a few empty.
        band = rng.random()
        length = (rng.randint(0, 10) if band < 0.2 else rng.randint(10, 60) if band < 0.87
                  else rng.randint(60, 150) if band < 0.98 else rng.randint(150, 300))
        text = ""
        while len(text) < length:
            text += piece()
            text += rng.choice(WHITESPACE) if rng.random() < 0.8 else ""
        texts.append(text[:length] if rng.random() < 0.5 else text)
    return texts


def line(text, ids):
    out = json.dumps({"text": text, "ids": ids}, ensure_ascii=False, separators=(",", ":"))
    for separator in ("\u0085", "\u2028", "\u2029"):
        out = out.replace(separator, "\\u%04x" % ord(separator))
    return out + "\n"


def main():
    folder = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(
        os.environ.get("BRAID_MODELS", Path.home() / ".cache" / "braid" / "models")) / "clip-tokenizer"
    slow = CLIPTokenizer.from_pretrained(folder)
    assert slow.fix_text is None and len(slow) == 49408
    texts = HAND_PICKED + random_texts(vocabulary_words(folder), RANDOM_TEXTS, SEED)

    records = io.StringIO()
    over = 0
    all_ids = []
    for text in texts:
        ids = slow(text, add_special_tokens=True, truncation=False).input_ids
        assert ids[0] == 49406 and ids[-1] == 49407
        over += len(ids) > 77
        all_ids.append(ids)
        records.write(line(text, ids))
    payload = records.getvalue().encode("utf-8")
    assert all(json.loads(l)["text"] == t for l, t in zip(payload.decode("utf-8").split("\n"), texts))

    buffer = io.BytesIO()
    with gzip.GzipFile(filename="", mode="wb", fileobj=buffer, mtime=0, compresslevel=9) as f:
        f.write(payload)
    OUTPUT.write_bytes(buffer.getvalue())
    print(f"wrote {len(texts)} texts ({len(HAND_PICKED)} hand-picked) to {OUTPUT.relative_to(ROOT)} "
          f"({len(buffer.getvalue()) // 1024} KB gzipped, {len(payload) // 1024} KB raw; transformers "
          f"{transformers.__version__}); {over} have more than 77 tokens", file=sys.stderr)

    fast = CLIPTokenizerFast.from_pretrained(folder)
    differing = [t for t, ids, f in zip(texts, all_ids, fast(texts).input_ids) if ids != f]
    hand = sum(t in HAND_PICKED for t in differing)
    print(f"for information: CLIPTokenizerFast differs on {len(differing)} texts ({hand} hand-picked), e.g. "
          + ", ".join(repr(t[:30]) for t in differing[:5]), file=sys.stderr)


if __name__ == "__main__":
    main()
