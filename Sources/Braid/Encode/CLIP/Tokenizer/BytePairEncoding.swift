import Foundation

/// Byte-level byte-pair encoding with a GPT-2-style vocabulary, as CLIP uses it: a piece's UTF-8 bytes, each
/// spelled as one printable character (`bytes_to_unicode`), the last one marked as a word's end with `</w>`, are
/// merged pair by pair, always the pair ranked first in merges.txt, until no ranked pair is left; each resulting
/// symbol is looked up in vocab.json.
struct BytePairEncoding: Sendable {
    struct Pair: Hashable, Sendable {
        let first: String
        let second: String
    }

    let vocabulary: [String: Int32]
    let ranks: [Pair: Int]
    /// The id of symbols the vocabulary lacks.
    let unknownID: Int32

    /// CLIP reads at most this many merges (the lines after merges.txt's version line), whatever the file holds.
    static let maximumMerges = 49152 - 256 - 2

    /// The printable character each byte is spelled as: printable Latin-1 bytes as themselves, the others as
    /// U+0100 onwards, in byte order.
    static let byteSymbols: [String] = {
        let printable = Set(Array(0x21...0x7E) + Array(0xA1...0xAC) + Array(0xAE...0xFF))
        var next = 0x100
        return (0...255).map { byte in
            if printable.contains(byte) { return String(UnicodeScalar(UInt8(byte))) }
            defer { next += 1 }
            return String(UnicodeScalar(UInt32(next))!)
        }
    }()

    /// - Throws: `ModelError` naming the file that is unreadable or malformed.
    init(vocabulary vocabularyURL: URL, merges mergesURL: URL, unknownToken: String) throws {
        do {
            vocabulary = try JSONDecoder().decode([String: Int32].self, from: Data(contentsOf: vocabularyURL))
        } catch {
            throw ModelError(vocabularyURL.path, .invalid("expected a JSON object of token ids: \(error)"))
        }
        guard let unknownID = vocabulary[unknownToken] else {
            throw ModelError(vocabularyURL.path, .invalid("no id for \(unknownToken)"))
        }
        self.unknownID = unknownID
        let text: String
        do {
            text = try String(contentsOf: mergesURL, encoding: .utf8)
        } catch {
            throw ModelError(mergesURL.path, .unreadable("\(error)"))
        }
        // As CLIP reads it: the text stripped, split at newlines, the first line (the version) skipped.
        let lines = text.trimmingCharacters(in: .whitespacesAndNewlines).split(separator: "\n", omittingEmptySubsequences: false)
            .dropFirst().prefix(Self.maximumMerges)
        var ranks: [Pair: Int] = [:]
        for (rank, line) in lines.enumerated() {
            let symbols = line.split(whereSeparator: \.isWhitespace)
            guard symbols.count == 2 else {
                throw ModelError(mergesURL.path, .invalid("line \(rank + 2) is not a pair of symbols: '\(line)'"))
            }
            // A pair listed twice keeps its last rank, as in the Python dictionary CLIP builds.
            ranks[Pair(first: String(symbols[0]), second: String(symbols[1]))] = rank
        }
        self.ranks = ranks
    }

    var largestID: Int32? { vocabulary.values.max() }

    /// The ids of one piece.
    func encode(_ piece: ArraySlice<Unicode.Scalar>) -> [Int32] {
        var text = String()
        text.unicodeScalars.append(contentsOf: piece)
        // Spelled-out special tokens are whole symbols (CLIP's BPE cache starts with them).
        if text == "<|startoftext|>" || text == "<|endoftext|>" { return [vocabulary[text] ?? unknownID] }
        var symbols = Array(text.utf8).map { Self.byteSymbols[Int($0)] }
        guard !symbols.isEmpty else { return [] }
        symbols[symbols.count - 1] += "</w>"
        while symbols.count > 1 {
            var best: (rank: Int, pair: Pair)?
            for index in 0..<(symbols.count - 1) {
                let pair = Pair(first: symbols[index], second: symbols[index + 1])
                if let rank = ranks[pair], rank < best?.rank ?? .max { best = (rank, pair) }
            }
            guard let best else { break }
            var merged: [String] = []
            merged.reserveCapacity(symbols.count)
            var index = 0
            while index < symbols.count {
                if index + 1 < symbols.count, symbols[index] == best.pair.first, symbols[index + 1] == best.pair.second {
                    merged.append(best.pair.first + best.pair.second)
                    index += 2
                } else {
                    merged.append(symbols[index])
                    index += 1
                }
            }
            symbols = merged
        }
        return symbols.map { vocabulary[$0] ?? unknownID }
    }
}
