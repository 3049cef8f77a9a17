import Foundation

/// Triangular mel filters over the bins of a real FFT, on the Slaney mel scale with Slaney area normalisation
/// (the defaults of librosa's `filters.mel`, matching Malcolm Slaney's Auditory Toolbox).
///
/// Mel scale: linear below 1 kHz, `mel = 3 f / 200`; logarithmic above, `mel = 15 + 27 · ln(f / 1000) / ln 6.4`.
/// Band `b` of `n` rises from `f[b]` to a peak at `f[b + 1]` and falls to `f[b + 2]`, where `f` are `n + 2`
/// frequencies equally spaced in mel from `minimumFrequency` to `maximumFrequency`; FFT bin `k` sits at
/// `k · sampleRate / fftSize` Hz. Each triangle is scaled by `2 / (f[b + 2] − f[b])` so every band has the
/// same area, which keeps a flat spectrum flat across bands.
struct MelFilterbank: Sendable {
    /// One band: the weights of consecutive FFT bins starting at `firstBin`, all positive.
    struct Band: Sendable {
        let firstBin: Int
        let weights: [Float]
    }

    let bands: [Band]

    init(bandCount: Int, fftSize: Int, sampleRate: Int, minimumFrequency: Double, maximumFrequency: Double) {
        let lowestMel = Self.mel(minimumFrequency)
        let melStep = (Self.mel(maximumFrequency) - lowestMel) / Double(bandCount + 1)
        let edges = (0...(bandCount + 1)).map { Self.hertz(lowestMel + Double($0) * melStep) }
        let binSpacing = Double(sampleRate) / Double(fftSize)
        bands = (0..<bandCount).map { band in
            let (lower, centre, upper) = (edges[band], edges[band + 1], edges[band + 2])
            let areaScale = 2 / (upper - lower)
            var firstBin = 0
            var weights: [Float] = []
            for bin in 0...(fftSize / 2) {
                let frequency = Double(bin) * binSpacing
                let rising = (frequency - lower) / (centre - lower)
                let falling = (upper - frequency) / (upper - centre)
                let weight = max(0, min(rising, falling)) * areaScale
                if weight > 0 {
                    if weights.isEmpty { firstBin = bin }
                    weights.append(Float(weight))
                }
            }
            return Band(firstBin: firstBin, weights: weights)
        }
    }

    /// Hertz to Slaney mel.
    static func mel(_ hertz: Double) -> Double {
        hertz < 1000 ? 3 * hertz / 200 : 15 + 27 * log(hertz / 1000) / log(6.4)
    }

    /// Slaney mel to hertz.
    static func hertz(_ mel: Double) -> Double {
        mel < 15 ? 200 * mel / 3 : 1000 * exp((mel - 15) * log(6.4) / 27)
    }

    /// Applies every band to a power spectrum of `fftSize / 2 + 1` bins.
    func apply(to power: UnsafeBufferPointer<Float>, into energies: UnsafeMutableBufferPointer<Float>) {
        for (index, band) in bands.enumerated() {
            var energy: Float = 0
            for (offset, weight) in band.weights.enumerated() {
                energy += weight * power[band.firstBin + offset]
            }
            energies[index] = energy
        }
    }
}
