#!/usr/bin/env python3
"""Pairs whose parts come from writers and voices the datasets do not hold, as far as a machine can make them.
The fusion models are judged on hands and voices they never met; this measures, on the pairs at hand, how they do
when a part encoder meets a new one.

    scripts/restyle-pairs.py PAIRS OUT [--hand STYLE] [--voice FACTOR]
    scripts/restyle-pairs.py .build/pairs/fusion-test.jsonl .build/restyled/thick --hand thick
    scripts/restyle-pairs.py .build/pairs/fusion-test.jsonl .build/restyled/voice-1.25 --voice 1.25

--hand redraws every image with FFmpeg's filters. The slants are beyond what the image classifier's augmentation
covers (shear ±8°, elastic warps); the pens are a kind of change it trains on (±0.6 px, a 3×3 blend at the digit's
own size), drawn another way:
  thick        a broader pen: dilated at twice the size, then scaled back (the stroke about a pixel wider)
  thin         a finer pen: eroded the same way (the stroke about a pixel narrower)
  slant-left   sheared by -0.35 (about 19°)
  slant-right  sheared by +0.35
--voice plays every recording FACTOR× faster and higher (pitch and tempo together, as a quicker, higher voice; below
1 slower and lower) by asetrate and aresample, outside the ±12% the sound classifier trained on.

Writes OUT/images/*.png and OUT/recordings/*.wav for the parts it changed, and OUT/pairs.jsonl, PAIRS with those
parts pointing at their new files; then
    braid eval digits-fusion-cross --records OUT/pairs.jsonl [--corrupt image-noise=0.5]
"""
import argparse
import concurrent.futures
import json
import os
import subprocess
import sys

# Shear fills the corners it uncovers with limited-range black (16); the lut takes them, and nothing of the
# digit's ink, back to 0.
SLANT = "shear=shx={}:fillcolor=black,lut=y='if(lte(val,16),0,val)'"
HANDS = {
    "thick": "scale=56:56,dilation,scale=28:28",
    "thin": "scale=56:56,erosion,scale=28:28",
    "slant-left": SLANT.format(-0.35),
    "slant-right": SLANT.format(0.35),
}


def redraw(source, target, hand):
    subprocess.run(
        ["ffmpeg", "-v", "error", "-y", "-i", source, "-vf", f"format=gray,{HANDS[hand]}", "-pix_fmt", "gray",
         target], check=True)


def revoice(source, target, factor):
    rate = int(subprocess.run(
        ["ffprobe", "-v", "error", "-select_streams", "a:0", "-show_entries", "stream=sample_rate",
         "-of", "csv=p=0", source], check=True, capture_output=True, text=True).stdout.strip())
    # Read at factor × the rate, then resampled back to the rate: factor× faster and higher.
    subprocess.run(
        ["ffmpeg", "-v", "error", "-y", "-i", source, "-af", f"asetrate={rate}*{factor},aresample={rate}", target],
        check=True)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("pairs")
    parser.add_argument("out")
    parser.add_argument("--hand", choices=sorted(HANDS))
    parser.add_argument("--voice", type=float, metavar="FACTOR")
    args = parser.parse_args()
    if args.voice is not None and not 0.25 <= args.voice <= 4:
        parser.error(f"--voice must be in [0.25, 4], got {args.voice}")
    changes = {}  # part name → (folder, function that writes the new file)
    if args.hand:
        changes["image"] = ("images", lambda source, target: redraw(source, target, args.hand))
    if args.voice is not None:
        changes["audio"] = ("recordings", lambda source, target: revoice(source, target, args.voice))
    if not changes:
        parser.error("give --hand, --voice or both")
    if not os.path.isfile(args.pairs):
        parser.error(f"{args.pairs}: no such file")
    rows = [json.loads(line) for line in open(args.pairs) if line.strip()]
    made = {}  # source path → its restyled file
    work = []  # (write, source, target)
    for part, (folder, write) in changes.items():
        os.makedirs(os.path.join(args.out, folder), exist_ok=True)
        for row in rows:
            source = row.get(part)
            if source is None or source in made:
                continue
            made[source] = os.path.abspath(os.path.join(args.out, folder, os.path.basename(source)))
            work.append((write, source, made[source]))
    # One FFmpeg process a file, as many at once as there are cores; the first that fails raises here.
    with concurrent.futures.ThreadPoolExecutor(os.cpu_count()) as pool:
        list(pool.map(lambda job: job[0](job[1], job[2]), work))
    with open(os.path.join(args.out, "pairs.jsonl"), "w") as lines:
        for row in rows:
            lines.write(json.dumps({key: made.get(value, value) if key in changes else value
                                    for key, value in row.items()}) + "\n")
    print(f"restyle-pairs: {len(made)} parts restyled, {len(rows)} pairs in {args.out}/pairs.jsonl", file=sys.stderr)


if __name__ == "__main__":
    main()
