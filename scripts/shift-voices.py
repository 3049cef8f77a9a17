#!/usr/bin/env python3
"""Pairs whose sounds are spoken by voices FSDD does not hold, as far as a machine can make them: every recording
played faster or slower (pitch and tempo together, as a higher or lower, quicker or slower voice), by FFmpeg's
asetrate and aresample, outside the ±12% the sound classifier trained on. The fusion models are judged on voices
they never heard; this measures, on the pairs at hand, how they do when the sound classifier hears a new voice.

    scripts/shift-voices.py PAIRS FACTOR OUT    # e.g. .build/pairs/fusion-test.jsonl 1.25 .build/voices-1.25

Writes OUT/recordings/*.wav and OUT/pairs.jsonl, PAIRS with each "audio" pointing at its shifted recording; then
    braid eval digits-fusion-cross --records OUT/pairs.jsonl [--corrupt image-noise=0.5]
"""
import json
import os
import subprocess
import sys


def main():
    if len(sys.argv) != 4:
        sys.exit(__doc__)
    pairs, factor, out = sys.argv[1], float(sys.argv[2]), sys.argv[3]
    if not 0.25 <= factor <= 4:
        sys.exit(f"shift-voices: FACTOR must be in [0.25, 4], got {factor}")
    rows = [json.loads(line) for line in open(pairs) if line.strip()]
    recordings = os.path.join(out, "recordings")
    os.makedirs(recordings, exist_ok=True)
    shifted = {}
    for row in rows:
        source = row.get("audio")
        if source is None or source in shifted:
            continue
        target = os.path.join(recordings, os.path.basename(source))
        rate = int(subprocess.run(
            ["ffprobe", "-v", "error", "-select_streams", "a:0", "-show_entries", "stream=sample_rate",
             "-of", "csv=p=0", source], check=True, capture_output=True, text=True).stdout.strip())
        # Read at factor × the rate, then resampled back to the rate: factor× faster and higher.
        subprocess.run(
            ["ffmpeg", "-v", "error", "-y", "-i", source, "-af", f"asetrate={rate}*{factor},aresample={rate}", target],
            check=True)
        shifted[source] = os.path.abspath(target)
    with open(os.path.join(out, "pairs.jsonl"), "w") as lines:
        for row in rows:
            if "audio" in row:
                row = dict(row, audio=shifted[row["audio"]])
            lines.write(json.dumps(row) + "\n")
    print(f"shift-voices: {len(shifted)} recordings ×{factor}, {len(rows)} pairs in {out}/pairs.jsonl", file=sys.stderr)


if __name__ == "__main__":
    main()
