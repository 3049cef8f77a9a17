#!/usr/bin/env python3
"""Makes the JPEG test fixtures and their references with Pillow (run it with the peers venv:
`"$(scripts/peers-venv)" scripts/make-jpeg-fixtures.py`).

Fixtures/jpeg/NAME.jpg: chroma subsampling 4:4:4, 4:2:2 and 4:2:0, greyscale, progressive, restart markers,
odd and 1x1 sizes, CMYK (Pillow writes Adobe's inverted CMYK), and the eight EXIF orientations of one picture;
Fixtures/jpeg/corrupt/: the same picture cut short, and with its Huffman table damaged.
Fixtures/reference/jpeg/NAME.npy: Pillow's pixels after ImageOps.exif_transpose, as uint8 H x W x C (grey 1,
everything else RGB, CMYK converted by Pillow), the reference Braid's decoder must equal.
"""
import io, os
import numpy as np
from PIL import Image, ImageOps

root = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "Fixtures")
out = os.path.join(root, "jpeg")
refs = os.path.join(root, "reference", "jpeg")
os.makedirs(os.path.join(out, "corrupt"), exist_ok=True)
os.makedirs(refs, exist_ok=True)


def picture(width, height):
    """Smooth gradients with sharp edges, so that both the DCT and the chroma upsampling show."""
    y, x = np.mgrid[0:height, 0:width]
    rgb = np.stack([x * 255 // max(1, width - 1), y * 255 // max(1, height - 1), (x ^ y) * 37 % 256], axis=-1)
    rgb[(x // 5 + y // 7) % 3 == 0] = [250, 30, 40]
    return Image.fromarray(rgb.astype(np.uint8), "RGB")


def save(name, image, **options):
    path = os.path.join(out, name + ".jpg")
    image.save(path, "JPEG", **options)
    with Image.open(path) as stored:
        shown = ImageOps.exif_transpose(stored)
        shown = shown if shown.mode == "L" else shown.convert("RGB")
        pixels = np.asarray(shown)
        np.save(os.path.join(refs, name + ".npy"), pixels if pixels.ndim == 3 else pixels[:, :, None])


base = picture(40, 24)
save("subsampling-444", base, quality=90, subsampling=0)
save("subsampling-422", base, quality=90, subsampling=1)
save("subsampling-420", base, quality=90, subsampling=2)
save("grey", base.convert("L"), quality=90)
save("progressive", base, quality=85, progressive=True)
save("restart-markers", base, quality=90, restart_marker_blocks=2)
save("odd-17x13", picture(17, 13), quality=90)
save("one-pixel", picture(1, 1), quality=90)
save("cmyk", base.convert("CMYK"), quality=90)
for orientation in range(1, 9):
    exif = Image.Exif()
    exif[0x0112] = orientation
    save(f"orientation-{orientation}", picture(30, 20), quality=90, exif=exif.tobytes())

whole = io.BytesIO()
base.save(whole, "JPEG", quality=90)
data = whole.getvalue()
with open(os.path.join(out, "corrupt", "truncated.jpg"), "wb") as f:
    f.write(data[: len(data) // 2])
huffman = data.find(b"\xff\xc4")
damaged = bytearray(data)
for offset in range(huffman + 5, huffman + 21):
    damaged[offset] = 0xFF
with open(os.path.join(out, "corrupt", "bad-huffman-table.jpg"), "wb") as f:
    f.write(bytes(damaged))
