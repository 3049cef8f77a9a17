/// The caption model's tokenizer: whole words, with a comma a word of its own, saved with the model as
/// `tokenizer.json` (`{"type": "words", "words": ["<s>", "</s>", "<unk>", ",", "0", …]}`).
///
/// Captions are short sentences over a small closed vocabulary, so words need no sub-word pieces; a word the
/// training captions never held reads as `<unk>`.
struct CaptionVocabulary: Codable, Sendable, Equatable {
    var type = "words"
    /// The tokens by id: the three markers, then the words of the training captions, sorted.
    var words: [String]

    static let start = "<s>"
    static let end = "</s>"
    static let unknown = "<unk>"

    /// The vocabulary of `captions`.
    init(captions: [String]) {
        let found = Set(captions.flatMap(Self.words(of:)))
        words = [Self.start, Self.end, Self.unknown] + found.sorted()
    }

    var count: Int { words.count }
    var startID: Int { 0 }
    var endID: Int { 1 }
    var unknownID: Int { 2 }

    /// A caption's ids, without the start and end markers.
    func encode(_ caption: String) -> [Int] {
        let index = Dictionary(uniqueKeysWithValues: words.enumerated().map { ($1, $0) })
        return Self.words(of: caption).map { index[$0] ?? unknownID }
    }

    /// The text of `ids` (markers left out), commas attached to the word before them.
    func text(of ids: [Int]) -> String {
        Self.join(ids.filter { $0 != startID && $0 != endID }.map { words[$0] })
    }

    /// `"a handwritten 5, spoken as five"` -> `a handwritten 5 , spoken as five`.
    static func words(of caption: String) -> [String] {
        caption.replacingOccurrences(of: ",", with: " , ").split(whereSeparator: \.isWhitespace).map(String.init)
    }

    /// The inverse of ``words(of:)`` for captions written with single spaces.
    static func join(_ words: [String]) -> String {
        words.reduce(into: "") { text, word in
            if !text.isEmpty && word != "," { text += " " }
            text += word
        }
    }
}
