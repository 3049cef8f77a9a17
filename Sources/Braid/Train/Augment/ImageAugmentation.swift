import BraidTensor
import Foundation

/// Random distortions of a training digit, drawn afresh for every example of every epoch, so the model learns the
/// digit rather than one writer's hand (Simard, Steinkraus & Platt, "Best Practices for Convolutional Neural
/// Networks Applied to Visual Document Analysis", 2003).
///
/// In order, each with its range:
/// - A change of pen, with probability `penProbability`: the strokes grow or thin by an amount uniform in
///   `penChange` pixels on each side (negative thins), as a blend toward the grey 3×3 dilation or erosion of the
///   digit. Writers hold broader and finer pens than MNIST's, and a thin stroke is what noise wipes out first.
/// - Affine, always: rotation uniform in ±`rotationDegrees`, scale uniform in `scale`, horizontal shear uniform in
///   ±`shearDegrees`, translation uniform in ±`translation` pixels on each axis, about the field's centre.
/// - Elastic distortion, with probability `elasticProbability`: a displacement field of uniform(−1, 1) values on
///   each axis, smoothed by a Gaussian of `elasticSigma` pixels and scaled by `elasticAlpha`. Applied in the same
///   bilinear resampling pass as the affine map.
/// - Noise, with probability `noiseProbability`: Gaussian noise of standard deviation uniform in
///   [0, `noiseDeviation`], clipped to [0, 1].
/// - Erasing (Zhong et al., "Random Erasing Data Augmentation", 2017), with probability `erasingProbability`: a
///   rectangle covering a fraction uniform in `erasingArea` of the field, aspect ratio log-uniform in [1/3, 3],
///   set to the background.
public struct ImageAugmentation: Codable, Sendable, Equatable {
    public var rotationDegrees: Float = 10
    public var scale: [Float] = [0.9, 1.1]
    public var shearDegrees: Float = 8
    public var translation: Float = 2
    public var elasticProbability: Float = 0.25
    public var elasticAlpha: Float = 34
    public var elasticSigma: Float = 4
    public var noiseProbability: Float = 0.15
    public var noiseDeviation: Float = 0.1
    public var erasingProbability: Float = 0.1
    public var erasingArea: [Float] = [0.02, 0.08]
    public var penProbability: Float = 0
    public var penChange: [Float] = [-0.5, 0.5]

    public init() {}

    enum CodingKeys: String, CodingKey {
        case rotationDegrees = "rotation_degrees"
        case scale
        case shearDegrees = "shear_degrees"
        case translation
        case elasticProbability = "elastic_probability"
        case elasticAlpha = "elastic_alpha"
        case elasticSigma = "elastic_sigma"
        case noiseProbability = "noise_probability"
        case noiseDeviation = "noise_deviation"
        case erasingProbability = "erasing_probability"
        case erasingArea = "erasing_area"
        case penProbability = "pen_probability"
        case penChange = "pen_change"
    }

    /// A record written before the pen settings existed trained without a change of pen, and replays so.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        rotationDegrees = try container.decode(Float.self, forKey: .rotationDegrees)
        scale = try container.decode([Float].self, forKey: .scale)
        shearDegrees = try container.decode(Float.self, forKey: .shearDegrees)
        translation = try container.decode(Float.self, forKey: .translation)
        elasticProbability = try container.decode(Float.self, forKey: .elasticProbability)
        elasticAlpha = try container.decode(Float.self, forKey: .elasticAlpha)
        elasticSigma = try container.decode(Float.self, forKey: .elasticSigma)
        noiseProbability = try container.decode(Float.self, forKey: .noiseProbability)
        noiseDeviation = try container.decode(Float.self, forKey: .noiseDeviation)
        erasingProbability = try container.decode(Float.self, forKey: .erasingProbability)
        erasingArea = try container.decode([Float].self, forKey: .erasingArea)
        penProbability = try container.decodeIfPresent(Float.self, forKey: .penProbability) ?? 0
        penChange = try container.decodeIfPresent([Float].self, forKey: .penChange) ?? penChange
    }

    /// Why these settings cannot be used, or nil.
    var problem: String? {
        typealias Check = AugmentationBounds
        let problems: [String?] = [
            Check.nonNegative(rotationDegrees, "image.rotation_degrees"),
            Check.range(scale, "image.scale", within: 0.1...10),
            Check.require((0..<90).contains(shearDegrees), "'image.shear_degrees' must be in [0, 90)"),
            Check.nonNegative(translation, "image.translation"),
            Check.probability(elasticProbability, "image.elastic_probability"),
            Check.nonNegative(elasticAlpha, "image.elastic_alpha"),
            Check.require(elasticSigma > 0, "'image.elastic_sigma' must be more than 0"),
            Check.probability(noiseProbability, "image.noise_probability"),
            Check.nonNegative(noiseDeviation, "image.noise_deviation"),
            Check.probability(erasingProbability, "image.erasing_probability"),
            Check.range(erasingArea, "image.erasing_area", within: 0...1),
            Check.probability(penProbability, "image.pen_probability"),
            Check.range(penChange, "image.pen_change", within: -1...1),
        ]
        return problems.lazy.compactMap { $0 }.first
    }

    /// Distorts a `side`×`side` grey image in place.
    func apply(to image: inout [Float], side: Int, rng: inout SeededRNG) {
        // Drawn only when on, so a run recorded without a change of pen replays draw for draw.
        if penProbability > 0 && rng.chance(penProbability) {
            Self.changePen(of: &image, side: side, by: rng.uniform(penChange[0], penChange[1]))
        }
        let radians = Float.pi / 180
        let angle = rng.uniform(-rotationDegrees, rotationDegrees) * radians
        let zoom = rng.uniform(scale[0], scale[1])
        let shear = tan(rng.uniform(-shearDegrees, shearDegrees) * radians)
        let shift = (rng.uniform(-translation, translation), rng.uniform(-translation, translation))
        let displacement = rng.chance(elasticProbability) ? elasticField(side: side, rng: &rng) : nil
        // The forward map is rotate · shear · zoom about the centre; each output pixel samples the source at the
        // inverse map of its own position: zoom⁻¹ · shear⁻¹ · rotate⁻¹.
        let (cosine, sine) = (cos(angle), sin(angle))
        let centre = Float(side - 1) / 2
        let source = image
        for y in 0..<side {
            for x in 0..<side {
                let (dx, dy) = (Float(x) - centre - shift.0, Float(y) - centre - shift.1)
                let (rx, ry) = (cosine * dx + sine * dy, -sine * dx + cosine * dy)
                var (sx, sy) = ((rx - shear * ry) / zoom + centre, ry / zoom + centre)
                if let displacement {
                    sx += displacement.x[y * side + x]
                    sy += displacement.y[y * side + x]
                }
                image[y * side + x] = Self.bilinear(source, side: side, x: sx, y: sy)
            }
        }
        if rng.chance(noiseProbability) {
            let deviation = rng.uniform(0, noiseDeviation)
            let noise = rng.normals(image.count)
            for index in image.indices { image[index] = min(1, max(0, image[index] + deviation * noise[index])) }
        }
        if rng.chance(erasingProbability) { erase(&image, side: side, rng: &rng) }
    }

    /// Simard's smoothed random displacement field, in pixels.
    private func elasticField(side: Int, rng: inout SeededRNG) -> (x: [Float], y: [Float]) {
        let radius = Int((3 * elasticSigma).rounded(.up))
        let kernel = (-radius...radius).map { exp(-Float($0 * $0) / (2 * elasticSigma * elasticSigma)) }
        let total = kernel.reduce(0, +)
        let weights = kernel.map { $0 / total }
        func field() -> [Float] {
            var values = (0..<side * side).map { _ in rng.uniform(-1, 1) }
            // Separable Gaussian smoothing, zero beyond the edges.
            for horizontal in [true, false] {
                let source = values
                for y in 0..<side {
                    for x in 0..<side {
                        var sum: Float = 0
                        for (offset, weight) in zip(-radius...radius, weights) {
                            let (u, v) = horizontal ? (x + offset, y) : (x, y + offset)
                            if u >= 0 && u < side && v >= 0 && v < side { sum += weight * source[v * side + u] }
                        }
                        values[y * side + x] = sum
                    }
                }
            }
            return values.map { $0 * elasticAlpha }
        }
        return (field(), field())
    }

    /// Blends each pixel toward the brightest (a broader pen) or darkest (a finer one) of its 3×3 neighbourhood;
    /// `amount` of ±1 is a whole pixel more or less ink on each side of every stroke.
    static func changePen(of image: inout [Float], side: Int, by amount: Float) {
        let source = image
        let broader = amount > 0
        let weight = abs(amount)
        for y in 0..<side {
            for x in 0..<side {
                var extreme = source[y * side + x]
                for v in max(0, y - 1)...min(side - 1, y + 1) {
                    for u in max(0, x - 1)...min(side - 1, x + 1) {
                        extreme = broader ? max(extreme, source[v * side + u]) : min(extreme, source[v * side + u])
                    }
                }
                image[y * side + x] += weight * (extreme - source[y * side + x])
            }
        }
    }

    private func erase(_ image: inout [Float], side: Int, rng: inout SeededRNG) {
        let area = rng.uniform(erasingArea[0], erasingArea[1]) * Float(side * side)
        let aspect = exp(rng.uniform(log(1 / 3), log(3)))
        let width = min(side, max(1, Int((area * aspect).squareRoot().rounded())))
        let height = min(side, max(1, Int((area / aspect).squareRoot().rounded())))
        let left = Int(rng.uniform(0, Float(side - width + 1)))
        let top = Int(rng.uniform(0, Float(side - height + 1)))
        for y in top..<top + height { for x in left..<left + width { image[y * side + x] = 0 } }
    }

    /// Bilinear interpolation with zeros outside the image.
    private static func bilinear(_ image: [Float], side: Int, x: Float, y: Float) -> Float {
        let (x0, y0) = (Int(x.rounded(.down)), Int(y.rounded(.down)))
        let (fx, fy) = (x - Float(x0), y - Float(y0))
        func pixel(_ u: Int, _ v: Int) -> Float {
            u >= 0 && u < side && v >= 0 && v < side ? image[v * side + u] : 0
        }
        let top = pixel(x0, y0) * (1 - fx) + pixel(x0 + 1, y0) * fx
        let bottom = pixel(x0, y0 + 1) * (1 - fx) + pixel(x0 + 1, y0 + 1) * fx
        return top * (1 - fy) + bottom * fy
    }
}
