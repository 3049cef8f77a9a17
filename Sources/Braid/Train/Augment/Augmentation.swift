import Foundation

/// The random distortions of training examples, per modality, and the damage done to multimodal pairs (each
/// documented in its own type), as `training.json` records them under `"augmentation"`.
public struct Augmentation: Codable, Sendable, Equatable {
    public var image = ImageAugmentation()
    public var audio = AudioAugmentation()
    public var pairs = PairAugmentation()

    public init() {}

    enum CodingKeys: String, CodingKey {
        case image, audio, pairs
    }

    /// A group a record leaves out keeps its defaults: records written before `pairs` existed have none.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        image = try container.decodeIfPresent(ImageAugmentation.self, forKey: .image) ?? ImageAugmentation()
        audio = try container.decodeIfPresent(AudioAugmentation.self, forKey: .audio) ?? AudioAugmentation()
        pairs = try container.decodeIfPresent(PairAugmentation.self, forKey: .pairs) ?? PairAugmentation()
    }

    /// These settings with the ones a JSON object gives replaced, keys as `training.json` spells them, e.g.
    /// `{"image": {"erasing_probability": 0.5, "erasing_area": [0.02, 0.25]}}`: a run changes what it needs and
    /// keeps the other defaults.
    /// - Throws: ``AugmentationError`` naming `source` for JSON that is not such an object, a key these settings
    ///   do not have, a value of the wrong type, or a range or probability out of bounds.
    public func overridden(by json: Data, source: String) throws -> Augmentation {
        let fail = { (reason: String) in AugmentationError(source: source, reason: reason) }
        guard let changes = try? JSONSerialization.jsonObject(with: json) as? [String: Any] else {
            throw fail("not a JSON object")
        }
        let current = try JSONSerialization.jsonObject(with: JSONEncoder().encode(self)) as! [String: Any]
        func overlay(_ changes: [String: Any], on settings: [String: Any], at path: String) throws -> [String: Any] {
            var settings = settings
            for (key, value) in changes {
                let keyPath = path.isEmpty ? key : "\(path).\(key)"
                guard let old = settings[key] else {
                    let known = settings.keys.sorted().joined(separator: ", ")
                    throw fail("unknown setting '\(keyPath)' (known here: \(known))")
                }
                if let group = old as? [String: Any] {
                    guard let changes = value as? [String: Any] else { throw fail("'\(keyPath)' must be an object") }
                    settings[key] = try overlay(changes, on: group, at: keyPath)
                } else {
                    settings[key] = value
                }
            }
            return settings
        }
        let merged = try JSONSerialization.data(withJSONObject: overlay(changes, on: current, at: ""))
        let augmentation: Augmentation
        do {
            augmentation = try JSONDecoder().decode(Augmentation.self, from: merged)
        } catch DecodingError.typeMismatch(let type, let context), DecodingError.valueNotFound(let type, let context) {
            let expected = type == Float.self || type == Int.self ? "a number" : "a list of numbers"
            throw fail("'\(Self.key(context.codingPath))' must be \(expected)")
        } catch {
            // A fraction where a count belongs: Foundation's error names neither the key nor the value.
            throw fail("a value does not fit its setting (the masks' counts and widths are whole numbers)")
        }
        if let problem = augmentation.image.problem ?? augmentation.audio.problem ?? augmentation.pairs.problem {
            throw fail(problem)
        }
        return augmentation
    }

    /// `image.erasing_area[0]`, as the file spells the place.
    private static func key(_ path: [any CodingKey]) -> String {
        String(path.map { $0.intValue.map { "[\($0)]" } ?? ".\($0.stringValue)" }.joined().dropFirst())
    }
}

/// An augmentation file that cannot be used, and why.
public struct AugmentationError: Error, Sendable, Equatable, CustomStringConvertible {
    public let source: String
    public let reason: String

    public var description: String { "\(source): \(reason)" }
}

/// The checks both modalities' settings share: a range is two numbers, low then high; a probability lies in [0, 1].
enum AugmentationBounds {
    static func require(_ condition: Bool, _ problem: String) -> String? { condition ? nil : problem }

    static func range(_ values: [Float], _ key: String, within bounds: ClosedRange<Float>) -> String? {
        guard values.count == 2, values[0] <= values[1], bounds.contains(values[0]), bounds.contains(values[1]) else {
            return "'\(key)' must be [low, high] with low ≤ high, both in \(bounds.lowerBound)...\(bounds.upperBound)"
        }
        return nil
    }

    static func probability(_ value: Float, _ key: String) -> String? {
        (0...1).contains(value) ? nil : "'\(key)' must be a probability in [0, 1], got \(value)"
    }

    static func nonNegative<Value: Numeric & Comparable>(_ value: Value, _ key: String) -> String? {
        value >= 0 ? nil : "'\(key)' must be 0 or more, got \(value)"
    }
}
