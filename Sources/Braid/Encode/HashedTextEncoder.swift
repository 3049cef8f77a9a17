import Foundation

/// Embeds text by signed feature hashing of words, word pairs and character n-grams; needs no model files.
///
/// The exact recipe, so that any implementation reproduces the vectors:
/// 1. Normalise: Unicode NFKC (`precomposedStringWithCompatibilityMapping`), then `lowercased()`.
/// 2. Words: the maximal runs of Unicode scalars that are alphabetic or have a numeric type; everything else
///    (spaces, punctuation, symbols) separates words. A text without words throws `nothingToEncode`.
/// 3. Features, each hashed with 64-bit FNV-1a over a tag byte then UTF-8 bytes:
///    - words: tag `0x01`, the word;
///    - word pairs, each word with the next: tag `0x02`, the first word, a space (`0x20`), the second word;
///    - character n-grams: tag `0x03`, every run of 3, 4 and 5 scalars of the word wrapped in `<` and `>`
///      (so `cat` gives `<ca`, `cat`, `at>`, `<cat`, `cat>`, `<cat>`).
/// 4. Each distinct feature (distinct hash) appearing `n` times weighs `1 + ln n` (sublinear tf); it adds its
///    weight to bucket `hash % dimension`, positively when the hash's top bit is 0 and negatively otherwise, so
///    colliding features cancel on average instead of piling up.
/// 5. Each of the three families is divided by the Euclidean norm of its weights, so words, pairs and n-grams
///    count equally however many each text has; the sum of the three is L2-normalised.
public struct HashedTextEncoder: Encoder {
    public let name = "hashed"
    public let modality = Modality.text
    public let dimension: Int

    /// - Parameter dimension: The number of hash buckets, the length of every vector.
    public init(dimension: Int = 512) {
        precondition(dimension > 0, "a hashed embedding needs at least one bucket")
        self.dimension = dimension
    }

    public func encode(_ inputs: [Media]) throws -> [[Float]] {
        try inputs.map { input in
            guard case .text(let text) = input else { throw wrongModality(input) }
            return try embed(text.string)
        }
    }

    private func embed(_ string: String) throws -> [Float] {
        let words = Self.words(in: string.precomposedStringWithCompatibilityMapping.lowercased())
        guard !words.isEmpty else {
            throw EncodeError.nothingToEncode(encoder: name, reason: "the text has no letters or digits")
        }
        var vector = [Float](repeating: 0, count: dimension)
        add(words.map(Self.wordHash), to: &vector)
        add(zip(words, words.dropFirst()).map(Self.pairHash), to: &vector)
        add(words.flatMap(Self.characterNGramHashes), to: &vector)
        FeatureVector.normalize(&vector)
        return vector
    }

    /// Adds one feature family (a hash per occurrence) with sublinear tf, scaled to unit norm before collisions.
    private func add(_ hashes: [UInt64], to vector: inout [Float]) {
        guard !hashes.isEmpty else { return }
        // Sorting groups repeats for counting and fixes the order of the float sums, keeping vectors bit-identical.
        let sorted = hashes.sorted()
        var weighted: [(hash: UInt64, weight: Double)] = []
        var start = 0
        while start < sorted.count {
            var end = start + 1
            while end < sorted.count && sorted[end] == sorted[start] { end += 1 }
            weighted.append((sorted[start], 1 + log(Double(end - start))))
            start = end
        }
        let norm = weighted.reduce(0) { $0 + $1.weight * $1.weight }.squareRoot()
        for (hash, weight) in weighted {
            let bucket = Int(hash % UInt64(dimension))
            let sign: Double = hash >> 63 == 0 ? 1 : -1
            vector[bucket] += Float(sign * weight / norm)
        }
    }

    /// The words of a normalised text, as step 2 of the recipe finds them.
    static func words(in text: String) -> [[Unicode.Scalar]] {
        var words: [[Unicode.Scalar]] = []
        var current: [Unicode.Scalar] = []
        for scalar in text.unicodeScalars {
            if scalar.properties.isAlphabetic || scalar.properties.numericType != nil {
                current.append(scalar)
            } else if !current.isEmpty {
                words.append(current)
                current.removeAll(keepingCapacity: true)
            }
        }
        if !current.isEmpty { words.append(current) }
        return words
    }

    private static func wordHash(_ word: [Unicode.Scalar]) -> UInt64 {
        var hasher = FNV1a64()
        hasher.combine(0x01)
        for scalar in word { hasher.combine(scalar) }
        return hasher.value
    }

    private static func pairHash(_ first: [Unicode.Scalar], _ second: [Unicode.Scalar]) -> UInt64 {
        var hasher = FNV1a64()
        hasher.combine(0x02)
        for scalar in first { hasher.combine(scalar) }
        hasher.combine(0x20)
        for scalar in second { hasher.combine(scalar) }
        return hasher.value
    }

    private static func characterNGramHashes(_ word: [Unicode.Scalar]) -> [UInt64] {
        let marked: [Unicode.Scalar] = ["<"] + word + [">"]
        var hashes: [UInt64] = []
        for length in 3...5 where length <= marked.count {
            for start in 0...(marked.count - length) {
                var hasher = FNV1a64()
                hasher.combine(0x03)
                for scalar in marked[start..<(start + length)] { hasher.combine(scalar) }
                hashes.append(hasher.value)
            }
        }
        return hashes
    }
}
