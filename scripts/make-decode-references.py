#!/usr/bin/env python3
"""Decode every fixture in Fixtures/manifest.json with independent decoders, into Fixtures/reference/.

    "$(scripts/peers-venv)" scripts/make-decode-references.py   (scripts/make-fixtures runs it)

References are what Braid's decoders must reproduce; they come from other people's decoders:
    PNG    Pillow, cross-checked sample for sample against pypng's reader (the script fails if they
           disagree). uint8 H x W x C in the image's own channels: grey 1, grey+alpha 2, RGB 3,
           RGBA 4; palette -> RGB, or RGBA when it has tRNS; tRNS on grey/RGB adds an alpha channel
           (0 where the sample equals the tRNS colour, else max). Samples of depth d < 8 scale by
           255 / (2^d - 1) (exact), 16-bit samples by round(v * 255 / 65535). No gamma, sBIT or
           bKGD applied. 16-bit files also get a uint16 H x W x C reference (alpha 0 or 65535).
           Pillow keeps only the high byte of 16-bit colour samples, so for those the 16-bit values
           come from pypng and Pillow must equal their high byte.
    WAV    soundfile (libsndfile), float32 frames x channels, its default full-scale
           normalisation (integer / 2^(bits-1); u8 as (v - 128) / 128; mu/A-law via 16-bit).
    Video  ffmpeg 5.1 CLI to rawvideo rgb24, N x H x W x 3 uint8, with swscale flags `bilinear`
           (see VIDEO_COMMANDS) for: all frames at native size, all frames scaled to 32x24, and the
           `fps=5` filter's sampling; plus ffprobe's per-frame pts/key flags in a JSON.
    Text   Python's codecs (utf-8, utf-8-sig, utf-16) -> one UTF-8 file of the expected string.
Error fixtures get no reference; the manifest records which peers reject them ("rejected_by").
The properties in the manifest's "expected" (from construction) are checked against the peers here.
"""

import json
import math
import subprocess
import sys
from pathlib import Path

import numpy as np
import png
import soundfile
from PIL import Image

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "Fixtures"
REFERENCE = FIXTURES / "reference"

SWS_FLAGS = "bilinear"
SCALED_SIZE = (32, 24)
SAMPLE_FPS = 5
# The ffmpeg arguments after `ffmpeg -i FILE -map 0:v:0`, per reference; recorded in the manifest.
VIDEO_COMMANDS = {
    "frames_rgb24": ["-vf", f"scale=w=iw:h=ih:flags={SWS_FLAGS},format=rgb24", "-fps_mode", "passthrough"],
    "frames_scaled": ["-vf", f"scale={SCALED_SIZE[0]}:{SCALED_SIZE[1]}:flags={SWS_FLAGS},format=rgb24",
                      "-fps_mode", "passthrough"],
    "frames_fps5": ["-vf", f"fps={SAMPLE_FPS},scale=w=iw:h=ih:flags={SWS_FLAGS},format=rgb24"],
}


def save(array, fixture_path, role):
    target = REFERENCE / f"{fixture_path.rsplit('.', 1)[0]}.{role}.npy"
    target.parent.mkdir(parents=True, exist_ok=True)
    np.save(target, np.ascontiguousarray(array), allow_pickle=False)
    return str(target.relative_to(FIXTURES))


# ----------------------------------------------------------------------------------------------
# PNG
# ----------------------------------------------------------------------------------------------

def to_8bit(samples, depth):
    samples = samples.astype(np.int64)
    if depth == 16:
        # round(v * 255 / 65535) = round(v / 257); v / 257 is never exactly .5, so no tie rule needed.
        return ((2 * samples + 257) // 514).astype(np.uint8)
    return (samples * 255 // ((1 << depth) - 1)).astype(np.uint8)


def pypng_samples(path):
    """(samples in the file's own depth, H x W x C, with palette and tRNS expanded; depth)."""
    width, height, rows, info = png.Reader(filename=str(path)).read()
    depth, planes = info["bitdepth"], info["planes"]
    raw = np.array([list(row) for row in rows], dtype=np.int64).reshape(height, width, planes)
    if "palette" in info:
        return np.array(info["palette"], dtype=np.int64)[raw[:, :, 0]], 8
    if "transparent" in info:
        colour = np.atleast_1d(np.array(info["transparent"], dtype=np.int64))
        opaque = np.any(raw != colour, axis=2, keepdims=True)
        raw = np.concatenate([raw, np.where(opaque, (1 << depth) - 1, 0)], axis=2)
    return raw, depth


def pillow_8bit(path, depth, colour_type):
    """Pillow's decode in the reference layout; for 16-bit colour, Pillow's high bytes."""
    with Image.open(path) as image:
        image.load()
        mode, transparency = image.mode, image.info.get("transparency")
        if mode == "P":
            converted = image.convert("RGBA" if transparency is not None else "RGB")
            return np.array(converted)
        if mode == "1":
            samples = np.array(image.convert("L"))
        else:
            samples = np.array(image)
    if mode == "RGBA" and colour_type == 4:
        # Pillow opens 16-bit grey+alpha as RGBA with R = G = B.
        assert np.array_equal(samples[:, :, 0], samples[:, :, 1]) and np.array_equal(samples[:, :, 0], samples[:, :, 2])
        samples = samples[:, :, [0, 3]]
    if mode.startswith("I"):
        native = samples.astype(np.int64)  # 16-bit grey keeps every bit
        scaled = to_8bit(native, 16)
    else:
        native = samples.astype(np.int64) * ((1 << depth) - 1) // 255 if depth < 8 else samples.astype(np.int64)
        scaled = samples
    scaled = scaled.reshape(scaled.shape[0], scaled.shape[1], -1)
    if transparency is not None and mode in ("1", "L", "I", "I;16", "I;16B", "RGB"):
        colour = np.atleast_1d(np.array(transparency, dtype=np.int64))
        if depth == 16 and mode == "RGB":
            colour = colour >> 8  # Pillow's RGB holds high bytes; exactness is checked against pypng
        opaque = np.any(native.reshape(scaled.shape) != colour, axis=2, keepdims=True)
        scaled = np.concatenate([scaled, np.where(opaque, 255, 0).astype(np.uint8)], axis=2)
    return scaled


def png_reference(entry):
    path = FIXTURES / entry["path"]
    expected = entry["expected"]
    samples, depth = pypng_samples(path)
    height, width, channels = samples.shape
    assert (width, height, channels) == (expected["width"], expected["height"], expected["channels"]), entry["path"]
    assert depth == expected["bit_depth"] or expected["colour_type"] == 3, entry["path"]
    reference = to_8bit(samples, depth)
    pillow = pillow_8bit(path, depth, expected["colour_type"])
    if depth == 16 and expected["colour_type"] != 0:
        # Pillow's colour modes are 8-bit: it keeps the high byte; alpha from tRNS is 0/255 either way.
        high = (samples >> 8).astype(np.uint8)
        if expected["has_trns"]:
            high[:, :, -1] = reference[:, :, -1]
        assert np.array_equal(pillow, high), f"{entry['path']}: Pillow's high bytes differ from pypng"
    else:
        assert np.array_equal(pillow, reference), f"{entry['path']}: Pillow and pypng disagree"
    refs = {"uint8": save(reference, entry["path"], "u8")}
    if depth == 16:
        refs["uint16"] = save(samples.astype(np.uint16), entry["path"], "u16")
    return refs


def png_rejections(path):
    rejected = []
    try:
        png.Reader(filename=str(path)).read_flat()
    except Exception:
        rejected.append("pypng")
    try:
        with Image.open(path) as image:
            image.load()
    except Exception:
        rejected.append("pillow")
    return rejected


# ----------------------------------------------------------------------------------------------
# WAV
# ----------------------------------------------------------------------------------------------

def wav_reference(entry):
    path = FIXTURES / entry["path"]
    expected = entry["expected"]
    info = soundfile.info(str(path))
    assert (info.samplerate, info.channels, info.frames, info.subtype) == (
        expected["sample_rate"], expected["channels"], expected["frames"], expected["subtype"]), (entry["path"], info)
    frames, _ = soundfile.read(str(path), dtype="float32", always_2d=True)
    return {"float32": save(frames, entry["path"], "f32")}


def wav_rejections(path):
    try:
        soundfile.read(str(path), dtype="float32")
        return []
    except Exception:
        return ["soundfile"]


# ----------------------------------------------------------------------------------------------
# Video
# ----------------------------------------------------------------------------------------------

def ffprobe(path, *arguments):
    result = subprocess.run(["ffprobe", "-v", "error", *arguments, "-of", "json", str(path)],
                            capture_output=True, check=True)
    return json.loads(result.stdout)


def rgb_frames(path, arguments, width, height):
    command = ["ffmpeg", "-hide_banner", "-loglevel", "error", "-nostdin", "-threads", "1", "-i", str(path),
               "-map", "0:v:0", *arguments, "-f", "rawvideo", "-pix_fmt", "rgb24", "-"]
    raw = subprocess.run(command, capture_output=True, check=True).stdout
    return np.frombuffer(raw, dtype=np.uint8).reshape(-1, height, width, 3)


def video_reference(entry):
    path = FIXTURES / entry["path"]
    expected = entry["expected"]
    streams = ffprobe(path, "-show_entries", "stream=codec_type,codec_name,width,height,r_frame_rate,time_base")
    video = next(s for s in streams["streams"] if s["codec_type"] == "video")
    audio = [s for s in streams["streams"] if s["codec_type"] == "audio"]
    assert (video["codec_name"], video["width"], video["height"]) == (
        expected["video_codec"], expected["width"], expected["height"]), (entry["path"], video)
    assert video["r_frame_rate"] == f"{expected['fps']}/1", (entry["path"], video)
    assert bool(audio) == expected["has_audio"], entry["path"]
    assert not audio or audio[0]["codec_name"] == expected["audio_codec"], (entry["path"], audio)

    probed = ffprobe(path, "-select_streams", "v:0", "-show_entries",
                     "frame=pts,pts_time,best_effort_timestamp_time,key_frame,pict_type")["frames"]
    frames = [{"index": i, "pts": f.get("pts"), "time": float(f["best_effort_timestamp_time"]),
               "key_frame": f["key_frame"] == 1, "pict_type": f["pict_type"]} for i, f in enumerate(probed)]
    assert len(frames) == expected["frame_count"], (entry["path"], len(frames))
    width, height = expected["width"], expected["height"]
    native = rgb_frames(path, VIDEO_COMMANDS["frames_rgb24"], width, height)
    scaled = rgb_frames(path, VIDEO_COMMANDS["frames_scaled"], *SCALED_SIZE)
    sampled = rgb_frames(path, VIDEO_COMMANDS["frames_fps5"], width, height)
    assert len(native) == len(frames) == len(scaled), entry["path"]
    assert len({frame.tobytes() for frame in native}) == len(native), f"{entry['path']}: frames repeat"

    # The fps filter passes frames through untouched, so each sampled frame is one native frame.
    sampled_indices = [next(i for i, frame in enumerate(native) if np.array_equal(frame, s)) for s in sampled]
    # The rule the manifest states for fps=5 sampling, checked against what the filter picked.
    ticks = [math.floor((f["time"] - frames[0]["time"]) * SAMPLE_FPS + 0.5) for f in frames]
    span = frames[-1]["time"] + 1 / expected["fps"] - frames[0]["time"]
    rule = [max(i for i, tick in enumerate(ticks) if tick <= k) for k in range(math.floor(span * SAMPLE_FPS + 0.5))]
    assert sampled_indices == rule, (entry["path"], sampled_indices, rule)
    keys = [f["index"] for f in frames if f["key_frame"]]
    skip = subprocess.run(["ffmpeg", "-hide_banner", "-loglevel", "error", "-nostdin", "-threads", "1",
                           "-skip_frame", "nokey", "-i", str(path), "-map", "0:v:0", *VIDEO_COMMANDS["frames_rgb24"],
                           "-f", "rawvideo", "-pix_fmt", "rgb24", "-"], capture_output=True, check=True).stdout
    keyframes_only = np.frombuffer(skip, dtype=np.uint8).reshape(-1, height, width, 3)
    # Decoders of intra-only codecs (FFV1, MJPEG) ignore skip_frame and return every frame.
    if len(keyframes_only) != len(native):
        assert np.array_equal(keyframes_only, native[keys]), f"{entry['path']}: -skip_frame nokey != key frames"
    if expected["keyframe_interval"]:
        assert keys == list(range(0, len(frames), expected["keyframe_interval"])), (entry["path"], keys)

    timeline = {"time_base": video["time_base"], "frames": frames, "key_frame_indices": keys,
                f"fps{SAMPLE_FPS}_source_indices": sampled_indices}
    target = REFERENCE / f"{entry['path'].rsplit('.', 1)[0]}.frames.json"
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(json.dumps(timeline, indent=1) + "\n")
    return {"frames_rgb24": save(native, entry["path"], "rgb24"),
            "frames_scaled": save(scaled, entry["path"], f"rgb24-{SCALED_SIZE[0]}x{SCALED_SIZE[1]}"),
            "frames_fps5": save(sampled, entry["path"], f"rgb24-fps{SAMPLE_FPS}"),
            "frames_json": str(target.relative_to(FIXTURES))}


def video_rejections(path):
    result = subprocess.run(["ffmpeg", "-hide_banner", "-loglevel", "error", "-nostdin", "-i", str(path),
                             "-map", "0:v:0", "-f", "null", "-"], capture_output=True)
    return ["ffmpeg"] if result.returncode != 0 else []


# ----------------------------------------------------------------------------------------------
# Text
# ----------------------------------------------------------------------------------------------

CODECS = {"utf-8": "utf-8", "utf-8-bom": "utf-8-sig", "utf-16le": "utf-16", "utf-16be": "utf-16"}


def text_reference(entry):
    data = (FIXTURES / entry["path"]).read_bytes()
    string = data.decode(CODECS[entry["expected"]["encoding"]])
    assert len(string) == entry["expected"]["unicode_scalars"], entry["path"]
    target = "reference/text/multilingual.utf8.txt" if string else "reference/text/empty.utf8.txt"
    assert (FIXTURES / target).read_bytes().decode("utf-8") == string, entry["path"]
    return {"utf8": target}


def text_rejections(path):
    data = path.read_bytes()
    codec = "utf-16" if data[:2] in (b"\xff\xfe", b"\xfe\xff") else "utf-8"
    try:
        data.decode(codec)
        return []
    except UnicodeDecodeError:
        return ["python-codecs"]


REFERENCES = {"image": png_reference, "audio": wav_reference, "video": video_reference, "text": text_reference}
REJECTIONS = {"image": png_rejections, "audio": wav_rejections, "video": video_rejections, "text": text_rejections}


def main():
    manifest_path = FIXTURES / "manifest.json"
    manifest = json.loads(manifest_path.read_text())
    for entry in manifest["fixtures"]:
        if entry["error"]:
            rejected = REJECTIONS[entry["modality"]](FIXTURES / entry["path"])
            entry["rejected_by"] = rejected
            entry["reference"] = {}
        else:
            entry["reference"] = REFERENCES[entry["modality"]](entry)
    failures = [e["path"] for e in manifest["fixtures"] if e["error"] and e["modality"] == "image"
                and "pypng" not in e["rejected_by"]]
    assert not failures, f"pypng accepts these corrupt PNGs: {failures}"
    manifest["conventions"] = {
        "paths": "relative to Fixtures/",
        "png_uint8": "H x W x C uint8; channels: grey 1, grey+alpha 2, RGB 3, RGBA 4; palette -> RGB "
                     "(RGBA with tRNS); tRNS on grey/RGB adds alpha 0/max; depth<8 scaled by 255/(2^d-1); "
                     "16-bit by round(v*255/65535); no gamma/sBIT/bKGD applied",
        "png_uint16": "16-bit files only: H x W x C uint16 raw samples (tRNS alpha 0 or 65535)",
        "wav_float32": "frames x channels float32, libsndfile normalisation (int / 2^(bits-1), u8 (v-128)/128)",
        "video_frames": "N x H x W x 3 uint8 rgb24 from `ffmpeg -i FILE -map 0:v:0 ARGS -f rawvideo "
                        "-pix_fmt rgb24 -`, swscale flags " + SWS_FLAGS,
        "video_commands": {role: " ".join(arguments) for role, arguments in VIDEO_COMMANDS.items()},
        "video_frames_json": "time_base, frames[{index, pts, time (s), key_frame, pict_type}] in "
                             "presentation order (index = position in frames_rgb24; time = ffprobe's "
                             "best_effort_timestamp_time, container time, not rebased to 0), "
                             "key_frame_indices, fps5_source_indices (which native frame each fps=5 "
                             "sample is). ffmpeg's fps filter (round=near) emits round(span * 5) samples, "
                             "span = last time + 1/fps - first time; sample k is the last frame with "
                             "round((time - first time) * 5) <= k (the script checks this rule)",
        "tools": {"ffmpeg": subprocess.run(["ffmpeg", "-version"], capture_output=True, text=True)
                  .stdout.split("\n")[0].split(" Copyright")[0],
                  "pillow": Image.__version__, "soundfile": soundfile.__version__,
                  "libsndfile": soundfile.__libsndfile_version__, "numpy": np.__version__},
    }
    ordered = {"conventions": manifest.pop("conventions"), **manifest}
    manifest_path.write_text(json.dumps(ordered, indent=1, ensure_ascii=False) + "\n")
    counts = {}
    for entry in manifest["fixtures"]:
        key = (entry["modality"], "error" if entry["error"] else "ok")
        counts[key] = counts.get(key, 0) + 1
    print("make-decode-references:", ", ".join(f"{m} {k}: {n}" for (m, k), n in sorted(counts.items())),
          file=sys.stderr)


if __name__ == "__main__":
    main()
