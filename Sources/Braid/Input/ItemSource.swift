/// The Input stage: everything the user points Braid at, as a stream of items in a stable order.
///
/// Each element is an ``Item`` or, for an entry that cannot become one (a dangling link, a bad record, a tar
/// member named `../x`), an ``ItemFailure``; the stream goes on after it. An ``InputError`` is thrown only when the
/// input as a whole fails (a list file that cannot be opened, a corrupt tar stream). Files on disk stay
/// `.file(path:)`, so their decoders stream them; stdin, tar members and texts arrive in memory.
///
/// Work happens on demand, one element per `next()`, with blocking reads: a slow stdin holds the calling task's
/// thread. Feed the source straight into the first stage, whose ordered map pulls it from its own task, so the
/// consumer is never the one blocked. Ids from file and member names use ``ItemID`` escaping; line numbers and
/// record ids are used as they are.
///
/// ```swift
/// let items = ItemSource(.paths(["photos", "notes.txt", "-"]), filter: ExtensionFilter(include: ["png", "txt"]))
/// for try await item in items { … }
/// ```
public struct ItemSource: AsyncSequence, Sendable {
    public typealias Element = Result<Item, ItemFailure>

    /// Where items come from; each case is one command-line form.
    public enum Origin: Sendable, Equatable {
        /// Files and folders (walked recursively, see `FileWalker`), in argument order; `-` is stdin as one item
        /// with id `stdin`, its format left for the decoder to sniff.
        case paths([String])
        /// `--paths-from FILE|-`: one path per line, each treated as in `.paths` (blank lines skipped).
        case pathList(String)
        /// `--tar FILE|-`: the regular-file members of a tar stream.
        case tar(String)
        /// `--lines FILE|-`: one text per line, id = line number.
        case lines(String)
        /// `--records FILE|-`: JSON lines with `id` and `text` or `path`, and an optional `label`.
        case records(String)
        /// `--idx FILE`: the images of an IDX file, labelled by its labels file when one is given or found.
        case idx(images: String, labels: String?)
        /// `--image FILE --audio FILE`: one multimodal item of these parts (`-` is stdin), id `image+audio`.
        case parts(image: String?, audio: String?)
    }

    public let origin: Origin
    /// Applies to files found while walking folders (`.paths`, `.pathList`) and to tar members (`.tar`).
    public let filter: ExtensionFilter

    /// - Parameters:
    ///   - origin: The input form and its argument(s).
    ///   - filter: Extensions to include or exclude when walking folders and reading tar members.
    public init(_ origin: Origin, filter: ExtensionFilter = ExtensionFilter()) {
        self.origin = origin
        self.filter = filter
    }

    public func makeAsyncIterator() -> Iterator {
        Iterator(origin: origin, filter: filter)
    }

    public struct Iterator: AsyncIteratorProtocol {
        private let origin: Origin
        private let filter: ExtensionFilter
        /// Opened on the first `next()`, so creating the sequence touches no file.
        private var reader: (any ItemReader)?

        init(origin: Origin, filter: ExtensionFilter) {
            self.origin = origin
            self.filter = filter
        }

        public mutating func next() async throws -> Result<Item, ItemFailure>? {
            if reader == nil { reader = try open() }
            return try reader?.next()
        }

        private func open() throws(InputError) -> any ItemReader {
            switch origin {
            case .paths(let arguments): PathArguments(arguments, walker: FileWalker(filter: filter))
            case .pathList(let file): PathList(try ByteReader(path: file), walker: FileWalker(filter: filter))
            case .tar(let file): TarReader(reader: try ByteReader(path: file), filter: filter)
            case .lines(let file): TextLines(reader: try ByteReader(path: file))
            case .records(let file): JSONRecords(reader: try ByteReader(path: file))
            case .idx(let images, let labels): try IDXRecords(images: images, labels: labels)
            case .parts(let image, let audio): PartArguments(image: image, audio: audio)
            }
        }
    }
}

/// One input form read synchronously, an element at a time.
protocol ItemReader {
    mutating func next() throws(InputError) -> Result<Item, ItemFailure>?
}

extension TarReader: ItemReader {}
extension TextLines: ItemReader {}
extension JSONRecords: ItemReader {}

/// Path arguments: each walked in turn; `-` is stdin, streamed to its decoder.
private struct PathArguments: ItemReader {
    private var remaining: ArraySlice<String>
    private var walker: FileWalker

    init(_ arguments: [String], walker: FileWalker) {
        self.remaining = arguments[...]
        self.walker = walker
    }

    mutating func next() throws(InputError) -> Result<Item, ItemFailure>? {
        while true {
            if let element = walker.next() { return element }
            guard let argument = remaining.popFirst() else { return nil }
            if argument == "-" {
                return .success(Item(id: "stdin", source: .stream(.standardInput())))
            }
            walker.push(root: Array(argument.utf8))
        }
    }
}

/// `--image`, `--audio`: one item of those parts.
private struct PartArguments: ItemReader {
    private var item: Item?

    init(image: String?, audio: String?) {
        let parts = [(Modality.image, image), (.audio, audio)].compactMap { modality, path in
            path.map { path in
                Item.Part(
                    modality: modality, name: path == "-" ? "stdin" : path,
                    source: path == "-" ? .stream(.standardInput()) : .file(path: path))
            }
        }
        item = Item(id: parts.map(\.name).joined(separator: "+"), source: .parts(parts))
    }

    mutating func next() throws(InputError) -> Result<Item, ItemFailure>? {
        defer { item = nil }
        return item.map { .success($0) }
    }
}

/// `--paths-from`: paths read lazily, one per line, each walked before the next line is read.
private struct PathList: ItemReader {
    private let list: ByteReader
    private var walker: FileWalker

    init(_ list: ByteReader, walker: FileWalker) {
        self.list = list
        self.walker = walker
    }

    mutating func next() throws(InputError) -> Result<Item, ItemFailure>? {
        while true {
            if let element = walker.next() { return element }
            guard let line = try list.readLine() else { return nil }
            let path = line.droppingCarriageReturn
            if !path.isEmpty { walker.push(root: Array(path)) }
        }
    }
}

@available(*, unavailable)
extension ItemSource.Iterator: Sendable {}
