/// The captions a caption model may write, when its training captions are a closed set (`braid train caption
/// --closed`): beam search then only extends a prefix by a word that continues one of them, so the model writes
/// one of the sentences it was trained to write and never a mix of two. The shipped `digit-captions` keeps to its
/// 120 captions this way, which are exactly the four forms for every pair of digits: a decoder that chose "and a
/// spoken" before it weighed the sound can no longer end on the digit it saw ("a handwritten 6 and a spoken 6"),
/// the beam's other prefixes take its place. Constrained decoding over a prefix tree, as GENRE (De Cao et al.,
/// "Autoregressive Entity Retrieval", 2021) keeps its decoder to known entity names.
struct ClosedCaptions: Sendable {
    /// For every prefix of an allowed caption's ids (start marker first), the ids that may follow it.
    private let continuations: [[Int]: Set<Int>]

    /// - Parameter captions: Each allowed caption's word ids, without the start and end markers.
    init(_ captions: [[Int]], startToken: Int, endToken: Int) {
        var continuations: [[Int]: Set<Int>] = [:]
        for caption in captions {
            let ids = [startToken] + caption + [endToken]
            for length in 1..<ids.count { continuations[Array(ids.prefix(length)), default: []].insert(ids[length]) }
        }
        self.continuations = continuations
    }

    /// `logProbabilities` of the words after `prefix`, with every word that leaves the allowed captions at -∞.
    func restrict(_ logProbabilities: [Float], after prefix: [Int]) -> [Float] {
        let allowed = continuations[prefix] ?? []
        return logProbabilities.indices.map { allowed.contains($0) ? logProbabilities[$0] : -.infinity }
    }
}
