/// The captions a text-to-image model learns a class by: many phrasings of each label, one drawn at random each time
/// an image is seen, so that the model keys on the word that names the class and not on one sentence.
///
/// A label that is a digit is named by its numeral and its English word ("7", "seven"); any other label by itself.
/// ``heldOut`` are phrasings that training never uses, for measuring how the model takes prompts it has not seen.
public enum PromptPhrasings {
    /// `{}` stands for the class's name, `{a}` for the article that fits it ("a seven", "an eight", "an 8").
    public static let training = [
        "{}", "{a} {}", "the {}", "{a} handwritten {}", "handwritten {}", "the digit {}", "digit {}", "{a} digit {}",
        "number {}", "the number {}", "{a} {} written by hand", "an image of {a} {}", "a picture of the digit {}",
        "a drawing of {a} {}", "write {a} {}", "draw {a} {}", "the numeral {}", "{a} scribbled {}", "{} handwritten",
        "a photo of the number {}", "a hand drawn {}", "{a} {} on a black background", "the figure {}",
        "a white {} on black", "a small {}", "a neat {}", "a messy {}", "{a} {}, handwritten", "mnist digit {}",
    ]

    /// Phrasings no model is trained on (`braid eval --prompts held-out`).
    public static let heldOut = [
        "please sketch {a} {}", "an illustration of the numeral {}", "someone wrote {a} {}", "{} in handwriting",
        "the handwritten character {}", "show me {a} {}", "{a} {} drawn in ink", "a quickly written {}",
        "the symbol for {}", "a single {} in pen",
    ]

    static let digitWords = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"]

    /// The names of `label`: a digit's numeral and word, else the label itself.
    public static func names(of label: String) -> [String] {
        guard label.count == 1, let digit = Int(label) else { return [label] }
        return [label, digitWords[digit]]
    }

    /// Every phrasing in `templates` of every name of `label`.
    public static func prompts(for label: String, templates: [String] = training) -> [String] {
        names(of: label).flatMap { name in templates.map { fill($0, with: name) } }
    }

    /// `template` with `{}` replaced by `name` and `{a}` by its article.
    public static func fill(_ template: String, with name: String) -> String {
        // "an" before a vowel sound: "an eight", "an 8", "an 11", "an 18", but "a one".
        let vowelSound =
            (name.first.map { "aeiou".contains($0.lowercased()) } == true && !name.lowercased().hasPrefix("one"))
            || name.hasPrefix("8") || ["11", "18"].contains(where: name.hasPrefix)
        return template.replacingOccurrences(of: "{a}", with: vowelSound ? "an" : "a")
            .replacingOccurrences(of: "{}", with: name)
    }
}
