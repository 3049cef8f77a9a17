#!/usr/bin/env python3
"""Makes the compressed-audio and rotated-video fixtures and their references with ffmpeg 5.1 (run it with the
peers venv, for numpy: `"$(scripts/peers-venv)" scripts/make-av-fixtures.py`).

Fixtures/audio/tone.{mp3,m4a,flac,ogg,opus}: a quarter second of a tone on the left and a lower one with pink noise
on the right, 44.1 kHz stereo, in each codec; Fixtures/audio/corrupt/: an MP3 whose valid ID3 tag is followed by
garbage.
Fixtures/reference/audio/FILE.npy: `ffmpeg -i FILE -f f32le` as float32 frames x channels.

Fixtures/video/rotated/NAME.mp4: one H.264 clip (34x26: chroma planes of 17x13, odd sides) whose
track header's display matrix turns it: rotate-90, rotate-180, rotate-270 (as `-metadata:s:v rotate=N` writes
them), and mirror-x, mirror-y, transpose and antitranspose (matrices with a reflection, written into the tkhd
box, since ffmpeg 5.1's command line cannot ask for them).
Fixtures/reference/video/rotated/NAME.npy: `ffmpeg -i FILE -sws_flags bilinear -pix_fmt rgb24` (autorotate on,
as by default), N x H x W x 3 uint8; NAME.16x12.npy: the same with `-vf scale=16:12` after the turn.
"""
import os
import struct
import subprocess

import numpy as np

root = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "Fixtures")
FFMPEG = ["ffmpeg", "-hide_banner", "-loglevel", "error", "-nostdin", "-y"]
BITEXACT = ["-fflags", "+bitexact", "-flags:v", "+bitexact", "-flags:a", "+bitexact", "-map_metadata", "-1",
            "-threads", "1"]


def folder(*parts):
    path = os.path.join(root, *parts)
    os.makedirs(path, exist_ok=True)
    return path


def output(arguments):
    return subprocess.run(FFMPEG + arguments, check=True, capture_output=True).stdout


# Audio ---------------------------------------------------------------------------------------------------------
audio, audio_refs = folder("audio"), folder("reference", "audio")
source = os.path.join(audio, "tone.wav")
output(["-f", "lavfi", "-i", "sine=frequency=440:duration=0.25", "-f", "lavfi", "-i", "anoisesrc=d=0.25:c=pink:a=0.1:seed=7",
        "-filter_complex", "[0][1]join=inputs=2:channel_layout=stereo", "-ar", "44100", source])
codecs = {"mp3": ["-c:a", "libmp3lame"], "m4a": ["-c:a", "aac"], "flac": ["-c:a", "flac"],
          "ogg": ["-c:a", "libvorbis"], "opus": ["-c:a", "libopus"]}
for extension, arguments in codecs.items():
    path = os.path.join(audio, f"tone.{extension}")
    output(["-i", source] + BITEXACT + arguments + [path])
    samples = np.frombuffer(output(["-i", path, "-f", "f32le", "-acodec", "pcm_f32le", "-"]), np.float32)
    np.save(os.path.join(audio_refs, f"tone.{extension}.npy"), samples.reshape(-1, 2))
os.remove(source)
with open(os.path.join(audio, "tone.mp3"), "rb") as f:
    mp3 = f.read()
tag = 10 + int.from_bytes(bytes(b & 0x7F for b in mp3[6:10]), "big") if mp3[:3] == b"ID3" else 0
garbage = np.random.default_rng(3).integers(0, 256, 4096, dtype=np.uint8).tobytes()
with open(os.path.join(folder("audio", "corrupt"), "garbage-after-id3.mp3"), "wb") as f:
    f.write(b"ID3\x04\x00\x00\x00\x00\x00\x0a" + b"\x00" * 10 + garbage if tag == 0 else mp3[:tag] + garbage)

# Rotated video -------------------------------------------------------------------------------------------------
video, video_refs = folder("video", "rotated"), folder("reference", "video", "rotated")
base = os.path.join(video, "base.mp4")
output(["-f", "lavfi", "-i",
        "nullsrc=size=34x26:rate=5:duration=0.6,format=rgb24,"
        "geq=r='mod(7*X+9*N,256)':g='mod(11*Y+5*N,256)':b='if(lt(X,9)*lt(Y,7),255,40)'"]
       + BITEXACT + ["-c:v", "libx264", "-preset", "fast", "-crf", "20", "-pix_fmt", "yuv420p", base])
ONE = 0x10000
# a b u / c d v / x y w in the file's order, 16.16 fixed point (w 2.30).
reflections = {"mirror-x": (-ONE, 0, 0, ONE), "mirror-y": (ONE, 0, 0, -ONE),
               "transpose": (0, ONE, ONE, 0), "antitranspose": (0, -ONE, -ONE, 0)}


def with_matrix(data, a, b, c, d):
    """The file with its track header's matrix replaced (tkhd version 0: the matrix is 40 bytes into its body)."""
    at = data.find(b"tkhd")
    assert at > 0 and data[at + 4] == 0, "a version 0 tkhd"
    matrix = struct.pack(">9i", a, b, 0, c, d, 0, 0, 0, 0x40000000)
    start = at + 4 + 4 + 36
    return data[:start] + matrix + data[start + 36:]


for degrees in (90, 180, 270):
    output(["-i", base, "-c", "copy", "-metadata:s:v:0", f"rotate={degrees}"] + BITEXACT[:-2]
           + [os.path.join(video, f"rotate-{degrees}.mp4")])
with open(base, "rb") as f:
    plain = f.read()
for name, (a, b, c, d) in reflections.items():
    with open(os.path.join(video, f"{name}.mp4"), "wb") as f:
        f.write(with_matrix(plain, a, b, c, d))
os.remove(base)

for name in sorted(os.listdir(video)):
    path = os.path.join(video, name)
    stem = name.rsplit(".", 1)[0]
    for suffix, scale in (("", []), (".16x12", ["-vf", "scale=16:12"])):
        raw = output(["-i", path, "-map", "0:v:0", "-sws_flags", "bilinear", *scale, "-f", "rawvideo", "-pix_fmt", "rgb24", "-"])
        # A quarter turn either way (the matrix has no x-to-x term) swaps the sides.
        quarter = stem.startswith(("rotate-90", "rotate-270", "transpose", "antitranspose"))
        width, height = (16, 12) if scale else (26, 34) if quarter else (34, 26)
        frames = np.frombuffer(raw, np.uint8)
        np.save(os.path.join(video_refs, f"{stem}{suffix}.npy"), frames.reshape(-1, height, width, 3))
