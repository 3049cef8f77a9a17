import Foundation

/// `--idx FILE`: the images of an IDX file (MNIST's format, gzip or not) as items, one per record, each already
/// decoded as a grey image; labelled from the matching labels file when there is one.
///
/// The labels file is the one named, or else the images file's name with `images-idx3` replaced by `labels-idx1`
/// (`train-images-idx3-ubyte.gz` → `train-labels-idx1-ubyte.gz`) when that exists. Ids are
/// `FILENAME#INDEX`, the record's 0-based position. Both files stream, a record at a time.
struct IDXRecords {
    private let images: IDXFile
    private let labels: IDXFile?
    private let name: String
    private var index = 0

    /// - Throws: `InputError` naming the file for an unreadable or malformed images or labels file, images that
    ///   are not 2-D, labels that are not scalars, or counts that disagree.
    init(images path: String, labels labelsPath: String? = nil) throws(InputError) {
        images = try IDXFile(path: path)
        guard images.recordShape.count == 2 else {
            throw InputError(
                file: path,
                problem: "IDX images must have 3 dimensions (count, rows, columns), not \(images.dimensions)")
        }
        name = URL(fileURLWithPath: path).lastPathComponent
        guard let labelsPath = labelsPath ?? Self.labelsFile(besides: path) else {
            labels = nil
            return
        }
        let labels = try IDXFile(path: labelsPath)
        guard labels.recordShape.isEmpty, labels.recordCount == images.recordCount else {
            throw InputError(
                file: labelsPath,
                problem: "IDX labels of shape \(labels.dimensions) do not label \(images.recordCount) images of \(path)"
            )
        }
        self.labels = labels
    }

    /// The labels file that conventionally accompanies `path`, if it exists.
    static func labelsFile(besides path: String) -> String? {
        let url = URL(fileURLWithPath: path)
        let name = url.lastPathComponent
        guard name.contains("images-idx3") else { return nil }
        let candidate = url.deletingLastPathComponent()
            .appendingPathComponent(name.replacingOccurrences(of: "images-idx3", with: "labels-idx1")).path
        return FileManager.default.fileExists(atPath: candidate) ? candidate : nil
    }

    mutating func next() throws(InputError) -> Result<Item, ItemFailure>? {
        guard let pixels = try images.next() else { return nil }
        let label = try labels?.next().map { String($0[0]) }
        let (rows, columns) = (images.recordShape[0], images.recordShape[1])
        defer { index += 1 }
        let image = Image(width: columns, height: rows, channels: 1, bytes: pixels)
        return .success(Item(id: "\(name)#\(index)", source: .decoded(.image(image)), label: label))
    }
}

extension IDXRecords: ItemReader {}
