#!/usr/bin/env python3
"""Writes Fixtures/encode/logmel-reference.json: librosa's mel filterbank, log-mel frames and statistics for the
`logmel` encoder's recipe (see Sources/Braid/Encode/LogMelEncoder.swift), computed once so the Swift tests compare
against an independent implementation.

Run from the repository root with the peers' venv (librosa 0.11.0, pinned in scripts/peers-requirements.txt):
    "$(scripts/peers-venv)" scripts/make-logmel-reference.py
"""
import json
import pathlib

import librosa
import numpy as np

BANDS = 40
FLOOR = 1e-6


def frame_sizes(sample_rate):
    """25 ms window and 10 ms hop, halves rounded up; FFT size the next power of two."""
    window = max(1, (sample_rate * 25 + 500) // 1000)
    hop = max(1, (sample_rate * 10 + 500) // 1000)
    fft_size = 2
    while fft_size < window:
        fft_size *= 2
    return window, hop, fft_size


def filterbank(sample_rate, fft_size):
    return librosa.filters.mel(
        sr=sample_rate, n_fft=fft_size, n_mels=BANDS, fmin=0.0, fmax=min(8000.0, sample_rate / 2),
        htk=False, norm="slaney", dtype=np.float64)


def test_signal(sample_rate, count):
    """A steady 440 Hz tone plus a 1500 Hz tone fading in, rounded to float32 as the Swift test builds it."""
    n = np.arange(count, dtype=np.float64)
    tone = 0.5 * np.sin(2 * np.pi * 440 * n / sample_rate)
    fading = 0.3 * (n / count) * np.sin(2 * np.pi * 1500 * n / sample_rate + 0.3)
    return (tone + fading).astype(np.float32)


def log_mel_frames(samples, sample_rate):
    window, hop, fft_size = frame_sizes(sample_rate)
    signal = samples.astype(np.float64)
    if len(signal) < window:
        signal = np.pad(signal, (0, window - len(signal)))
    # librosa centres a short window inside each FFT frame; padding the signal by that offset on the left (and the
    # rest on the right) makes its frames start where the encoder's do, without changing any power spectrum.
    offset = (fft_size - window) // 2
    signal = np.pad(signal, (offset, fft_size - window - offset))
    power = librosa.feature.melspectrogram(
        y=signal, sr=sample_rate, n_fft=fft_size, hop_length=hop, win_length=window, window="hann",
        center=False, power=2.0, n_mels=BANDS, fmin=0.0, fmax=min(8000.0, sample_rate / 2),
        htk=False, norm="slaney")
    return np.log(power + FLOOR)  # (bands, frames)


def statistics(log_mel):
    deltas = librosa.feature.delta(log_mel, width=5, order=1, axis=-1, mode="nearest")
    means = log_mel.mean(axis=1)
    vector = np.concatenate([means - means.mean(), log_mel.std(axis=1), deltas.mean(axis=1), deltas.std(axis=1)])
    return vector / np.linalg.norm(vector)


def rounded(values):
    return [float(f"{value:.7g}") for value in np.asarray(values).ravel()]


def main():
    bank = filterbank(8000, 256)
    bands = []
    for row in bank:
        nonzero = np.flatnonzero(row > 0)
        bands.append({"first_bin": int(nonzero[0]), "weights": rounded(row[nonzero[0]:nonzero[-1] + 1])})

    cases = []
    # 0.3 s at 8 kHz (FSDD's rate), 0.1 s at 22.05 kHz (fmax capped at 8 kHz, odd window length),
    # and 0.01 s at 16 kHz (shorter than one window).
    for sample_rate, count in [(8000, 2400), (22050, 2205), (16000, 160)]:
        log_mel = log_mel_frames(test_signal(sample_rate, count), sample_rate)
        cases.append({
            "sample_rate": sample_rate,
            "sample_count": count,
            "frame_count": int(log_mel.shape[1]),
            "log_mel": rounded(log_mel.T),  # (frames, bands) row-major
            "statistics": rounded(statistics(log_mel)),
        })

    reference = {
        "generator": "scripts/make-logmel-reference.py",
        "librosa_version": librosa.__version__,
        "filterbank": {"sample_rate": 8000, "fft_size": 256, "bands": bands},
        "cases": cases,
    }
    path = pathlib.Path("Fixtures/encode/logmel-reference.json")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(reference, indent=1) + "\n")
    print(f"wrote {path} ({path.stat().st_size} bytes)")


if __name__ == "__main__":
    main()
