#!/usr/bin/env python3
"""Makes the JPEG and WebP test fixtures and their references with Pillow (run it with the peers venv:
`"$(scripts/peers-venv)" scripts/make-photo-fixtures.py`).

Fixtures/jpeg/NAME.jpg: chroma subsampling 4:4:4, 4:2:2 and 4:2:0, greyscale, progressive, restart markers,
odd and 1x1 sizes, CMYK (Pillow writes Adobe's inverted CMYK), and the eight EXIF orientations of one picture;
Fixtures/jpeg/corrupt/: the same picture cut short, and with its Huffman table damaged.
Fixtures/reference/jpeg/NAME.npy: Pillow's pixels after ImageOps.exif_transpose, as uint8 H x W x C (grey 1,
everything else RGB, CMYK converted by Pillow), the reference Braid's decoder must equal.
Fixtures/reference/jpeg/NAME.scale-N.npy: Pillow's pixels decoded at 1/N of each side (N = 2, 4, 8) in the DCT
domain, by `Image.draft` (which picks N from the size asked for), then turned as above.

Fixtures/webp/NAME.webp: lossy, lossless, lossy and lossless with alpha, odd and 1x1 sizes, an animation of three
frames; Fixtures/webp/corrupt/: cut short, a chunk size that lies, a VP8 frame of garbage.
Fixtures/reference/webp/NAME.npy: Pillow's pixels, RGBA when the file has alpha, else RGB.
"""
import io, os
import numpy as np
from PIL import Image, ImageOps

root = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "Fixtures")
out = os.path.join(root, "jpeg")
refs = os.path.join(root, "reference", "jpeg")
webp_out = os.path.join(root, "webp")
webp_refs = os.path.join(root, "reference", "webp")
for folder in (os.path.join(out, "corrupt"), refs, os.path.join(webp_out, "corrupt"), webp_refs):
    os.makedirs(folder, exist_ok=True)


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
    for scale in (2, 4, 8):
        with Image.open(path) as stored:
            full = stored.size
            stored.draft(stored.mode, (max(1, full[0] // scale), max(1, full[1] // scale)))
            # Too small an image for the reduction asked: draft picked a smaller one, kept under its own name.
            if stored.size != ((full[0] + scale - 1) // scale, (full[1] + scale - 1) // scale):
                continue
            shown = ImageOps.exif_transpose(stored)
            shown = shown if shown.mode == "L" else shown.convert("RGB")
            pixels = np.asarray(shown)
            np.save(os.path.join(refs, f"{name}.scale-{scale}.npy"), pixels if pixels.ndim == 3 else pixels[:, :, None])


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


def save_webp(name, images, **options):
    images = images if isinstance(images, list) else [images]
    path = os.path.join(webp_out, name + ".webp")
    images[0].save(path, "WEBP", save_all=len(images) > 1, append_images=images[1:], **options)
    with Image.open(path) as stored:
        np.save(os.path.join(webp_refs, name + ".npy"), np.asarray(stored.convert(stored.mode)))
    return path


def with_alpha(image):
    """A ramp of transparency across, fully clear and fully opaque at the edges."""
    alpha = np.tile(np.linspace(0, 255, image.width).astype(np.uint8), (image.height, 1))
    rgba = image.convert("RGBA")
    rgba.putalpha(Image.fromarray(alpha, "L"))
    return rgba


save_webp("lossy", base, quality=80)
save_webp("lossless", base, lossless=True)
save_webp("alpha-lossy", with_alpha(base), quality=80)
save_webp("alpha-lossless", with_alpha(base), lossless=True)
save_webp("odd-17x13", picture(17, 13), quality=80)
save_webp("one-pixel", picture(1, 1), lossless=True)
frames = [picture(40, 24), picture(40, 24).transpose(Image.Transpose.FLIP_LEFT_RIGHT), base.convert("L").convert("RGB")]
save_webp("animated", frames, duration=100, loop=0, lossless=True)

with open(os.path.join(webp_out, "lossy.webp"), "rb") as f:
    lossy = f.read()
with open(os.path.join(webp_out, "corrupt", "truncated.webp"), "wb") as f:
    f.write(lossy[: len(lossy) // 2])
# The VP8 chunk (at byte 12) claims far more bytes than the file holds, and the RIFF size agrees with it.
lying = bytearray(lossy)
lying[4:8] = (0x7FFFFFF0).to_bytes(4, "little")
lying[16:20] = (0x7FFFFF00).to_bytes(4, "little")
with open(os.path.join(webp_out, "corrupt", "lying-chunk-size.webp"), "wb") as f:
    f.write(bytes(lying))
# A VP8 frame header (the start code 9D 01 2A at byte 23) followed by seeded garbage.
garbage = np.random.default_rng(17).integers(0, 256, len(lossy) - 30, dtype=np.uint8).tobytes()
with open(os.path.join(webp_out, "corrupt", "garbage-frame.webp"), "wb") as f:
    f.write(lossy[:30] + garbage)
