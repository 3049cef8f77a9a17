import BraidTensor
import CShippedModels
import Foundation

/// A model's files (`config.json`, `model.safetensors`, `training.json`): a folder on disk, or a model shipped in the
/// `braid` binary. Commands never look for weights themselves; they ask ``ModelLocator`` for one of these.
public struct ModelFolder: Sendable {
    enum Storage: Sendable {
        case directory(URL)
        /// The file bytes by file name; they live in the binary's read-only data for the life of the process.
        case shipped([String: ShippedBytes])
    }

    /// How output and errors name the model: the path given, or the shipped name.
    public let name: String
    let storage: Storage

    /// The folder on disk; nil for a model shipped in the binary.
    public var directory: URL? {
        if case .directory(let url) = storage { return url }
        return nil
    }

    /// The path errors give for `file`: on disk, or inside the binary (`braid:NAME/FILE`).
    public func path(of file: String) -> String {
        switch storage {
        case .directory(let url): url.appending(path: file).path
        case .shipped: "braid:\(name)/\(file)"
        }
    }

    /// The model folder inside this one (a VQ-VAE's `prior/`), when it holds a `config.json`.
    public func subfolder(_ name: String) -> ModelFolder? {
        let folder: ModelFolder
        switch storage {
        case .directory(let url):
            folder = ModelFolder(name: "\(self.name)/\(name)", storage: .directory(url.appending(path: name)))
        case .shipped(let files):
            let prefix = name + "/"
            folder = ModelFolder(
                name: "\(self.name)/\(name)",
                storage: .shipped(
                    Dictionary(
                        uniqueKeysWithValues: files.compactMap { file, bytes in
                            file.hasPrefix(prefix) ? (String(file.dropFirst(prefix.count)), bytes) : nil
                        })))
        }
        return folder.contains("config.json") ? folder : nil
    }

    /// Whether the model has `file`.
    public func contains(_ file: String) -> Bool {
        switch storage {
        case .directory(let url): FileManager.default.fileExists(atPath: url.appending(path: file).path)
        case .shipped(let files): files[file] != nil
        }
    }

    /// The bytes of `file`.
    /// - Throws: `ModelError` naming the file when it is missing or unreadable.
    public func data(of file: String) throws -> Data {
        switch try location(of: file) {
        case .disk(let url):
            do { return try Data(contentsOf: url) } catch {
                throw ModelError(url.path, .unreadable(error.localizedDescription))
            }
        case .binary(let bytes): return Data(bytes.buffer)
        }
    }

    /// Where a model's file is.
    private enum Location {
        case disk(URL)
        case binary(ShippedBytes)
    }

    /// - Throws: `ModelError` naming the file when the model has no such file.
    private func location(of file: String) throws -> Location {
        switch storage {
        case .directory(let url):
            let location = url.appending(path: file)
            guard FileManager.default.fileExists(atPath: location.path) else {
                throw ModelError(
                    location.path, .missing(hint: "a model folder holds config.json and model.safetensors"))
            }
            return .disk(location)
        case .shipped(let files):
            guard let bytes = files[file] else { throw ModelError(path(of: file), .missing(hint: "not shipped")) }
            return .binary(bytes)
        }
    }

    /// `file` decoded from JSON.
    /// - Throws: `ModelError` naming the file when it is missing or does not decode.
    public func json<Value: Decodable>(_ type: Value.Type, from file: String) throws -> Value {
        let data = try data(of: file)
        do { return try JSONDecoder().decode(type, from: data) } catch {
            throw ModelError(path(of: file), .invalid(Self.describe(error)))
        }
    }

    /// The weights file, parsed (its tensors are read on demand).
    public func weights(_ file: String = "model.safetensors") throws -> SafeTensorsFile {
        switch try location(of: file) {
        case .disk(let url): try SafeTensorsFile(contentsOf: url)
        case .binary(let bytes): try SafeTensorsFile(bytes: bytes.buffer, path: path(of: file))
        }
    }

    /// A short reason instead of `DecodingError`'s full dump.
    static func describe(_ error: any Error) -> String {
        switch error as? DecodingError {
        case .keyNotFound(let key, let context)?:
            "missing \(Self.place(context.codingPath + [key]))"
        case .typeMismatch(_, let context)?, .valueNotFound(_, let context)?:
            "\(Self.place(context.codingPath)): \(context.debugDescription)"
        case .dataCorrupted(let context)?:
            context.codingPath.isEmpty
                ? "not valid JSON" : "\(Self.place(context.codingPath)): \(context.debugDescription)"
        default:
            "\(error)"
        }
    }

    private static func place(_ path: [any CodingKey]) -> String {
        "\"" + path.map { $0.intValue.map(String.init) ?? $0.stringValue }.joined(separator: ".") + "\""
    }
}

/// A shipped file's bytes in the binary's read-only data.
struct ShippedBytes: @unchecked Sendable {
    // @unchecked: the memory is the executable's own constant data, never written or freed.
    let buffer: UnsafeRawBufferPointer
}

/// Finds models by name or path.
public enum ModelLocator {
    /// The shipped models' files, by model name and file name.
    static let shipped: [String: [String: ShippedBytes]] = {
        var models: [String: [String: ShippedBytes]] = [:]
        for index in 0..<braid_shipped_file_count() {
            let file = braid_shipped_file_table()[index]
            let name = String(cString: file.name)
            guard let slash = name.firstIndex(of: "/") else { continue }
            let buffer = UnsafeRawBufferPointer(start: file.start, count: file.end - file.start)
            models[String(name[..<slash]), default: [:]][String(name[name.index(after: slash)...])] =
                ShippedBytes(buffer: buffer)
        }
        return models
    }()

    /// The names of the models compiled into `braid`.
    public static var shippedNames: [String] { shipped.keys.sorted() }

    /// The model `reference` names, looked for in this order:
    /// 1. a path to a folder (it holds a `/`, or a folder of that name exists here);
    /// 2. a folder of that name in `modelsDirectory` (`--model`), else in `$BRAID_MODELS` or
    ///    `~/.cache/braid/models`: models a user trained or fetched;
    /// 3. a model shipped in the binary.
    /// - Throws: `ModelError` saying where it looked.
    public static func folder(
        for reference: String, modelsDirectory: URL? = nil,
        environment: [String: String] = ProcessInfo.processInfo.environment
    ) throws -> ModelFolder {
        var isDirectory: ObjCBool = false
        if reference.contains("/") || FileManager.default.fileExists(atPath: reference, isDirectory: &isDirectory) {
            guard FileManager.default.fileExists(atPath: reference, isDirectory: &isDirectory), isDirectory.boolValue
            else {
                throw ModelError(reference, .missing(hint: "expected a model folder with config.json"))
            }
            return ModelFolder(name: reference, storage: .directory(URL(fileURLWithPath: reference)))
        }
        let root = modelsDirectory ?? ModelFiles.cacheRoot(environment: environment)
        let cached = root.appending(path: reference, directoryHint: .isDirectory)
        if FileManager.default.fileExists(atPath: cached.appending(path: "config.json").path) {
            return ModelFolder(name: reference, storage: .directory(cached))
        }
        if let files = shipped[reference] { return ModelFolder(name: reference, storage: .shipped(files)) }
        let known = shippedNames.isEmpty ? "none" : shippedNames.joined(separator: ", ")
        // Engines may start braid with an empty environment: say why the cache is where it is.
        let unset =
            modelsDirectory == nil && environment["BRAID_MODELS"] == nil
            ? "; BRAID_MODELS is not set: give the model folder's path, '--model DIR', or BRAID_MODELS" : ""
        throw ModelError(
            reference,
            .missing(
                hint:
                    "no such model folder, none in \(root.path), and no shipped model of that name (shipped: \(known))\(unset)"
            ))
    }
}
