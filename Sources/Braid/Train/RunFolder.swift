import BraidTensor
import Foundation

/// A training run's output folder, which is also a model folder:
///
///     config.json              architecture, front end and labels (written once, when the run starts)
///     model.safetensors        the parameters and buffers of the best epoch so far
///     training.json            the data, the settings and every epoch's figures
///     checkpoint.safetensors   the state to resume from: the latest weights, the optimiser's moments, the position
///
/// Every file is written under a temporary name and renamed over the old one, so `kill -9` at any moment leaves
/// each file whole: the previous version or the new one. The checkpoint is one file, so the state it resumes from
/// is always consistent.
struct RunFolder {
    let url: URL

    static let checkpointFile = "checkpoint.safetensors"

    /// Where a run stands, stored in the checkpoint's metadata.
    struct Position: Codable {
        /// The epoch to continue (0-based) and its next batch.
        var epoch: Int
        var batch: Int
        /// The epoch's training figures so far.
        var partial: Metrics
        var record: TrainingRecord
    }

    init(_ path: String) throws {
        url = URL(fileURLWithPath: path, isDirectory: true)
        do {
            try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        } catch {
            throw TrainingError.checkpoint(
                path: path, problem: "cannot create the folder: \(error.localizedDescription)")
        }
    }

    func path(_ file: String) -> String { url.appending(path: file).path }

    func write(json value: some Encodable, to file: String) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        try write(file) { try encoder.encode(value).write(to: URL(fileURLWithPath: $0)) }
    }

    /// The best epoch's weights and the record that names it.
    func writeModel(_ tensors: [String: Tensor], record: TrainingRecord) throws {
        try write("model.safetensors") { try SafeTensorsFile.write(tensors, to: URL(fileURLWithPath: $0)) }
        try write(json: record, to: "training.json")
    }

    func writeCheckpoint(_ position: Position, store: ParameterStore, optimizer: any Optimizer) throws {
        var tensors: [String: Tensor] = [:]
        for (name, tensor) in store.namedTensors { tensors["model." + name] = tensor }
        for (name, tensor) in optimizer.state { tensors["optimizer." + name] = tensor }
        let metadata = ["position": String(decoding: try JSONEncoder().encode(position), as: UTF8.self)]
        try write(Self.checkpointFile) {
            try SafeTensorsFile.write(tensors, metadata: metadata, to: URL(fileURLWithPath: $0))
        }
    }

    /// Restores the model and optimiser from the checkpoint and says where to go on.
    func readCheckpoint(store: ParameterStore, optimizer: any Optimizer) throws -> Position {
        let file = path(Self.checkpointFile)
        guard FileManager.default.fileExists(atPath: file) else {
            throw TrainingError.checkpoint(path: file, problem: "missing: the run has no state to resume from yet")
        }
        let checkpoint = try SafeTensorsFile(contentsOf: URL(fileURLWithPath: file))
        guard let text = checkpoint.metadata["position"],
            let position = try? JSONDecoder().decode(Position.self, from: Data(text.utf8))
        else {
            throw TrainingError.checkpoint(path: file, problem: "its metadata has no readable \"position\"")
        }
        try store.load(from: checkpoint, prefix: "model.")
        var state: [String: Tensor] = [:]
        for key in checkpoint.keys where key.hasPrefix("optimizer.") {
            state[String(key.dropFirst("optimizer.".count))] = try checkpoint.tensor(key)
        }
        do { try optimizer.loadState(state) } catch {
            throw TrainingError.checkpoint(path: file, problem: "\(error)")
        }
        return position
    }

    /// The run's record, from `training.json`.
    func readRecord() throws -> TrainingRecord {
        let file = path("training.json")
        do {
            return try JSONDecoder().decode(TrainingRecord.self, from: Data(contentsOf: URL(fileURLWithPath: file)))
        } catch {
            throw TrainingError.checkpoint(
                path: file, problem: "cannot read the run's record: \(ModelFolder.describe(error))")
        }
    }

    private func write(_ file: String, _ produce: (String) throws -> Void) throws {
        do { try AtomicFile.write(to: path(file), produce) } catch let error as WeightError {
            throw TrainingError.checkpoint(path: path(file), problem: "\(error)")
        } catch {
            throw TrainingError.checkpoint(path: path(file), problem: "cannot write: \(error.localizedDescription)")
        }
    }
}
