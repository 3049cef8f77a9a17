import Foundation
import Yams

/// A pipeline declared in YAML (`pipelines/NAME.yaml`) and turned into an ``EmbedJob``.
///
/// ```yaml
/// input:                     # exactly one of paths, paths_from, tar, lines, records, idx
///   paths: [photos/, notes/]
///   include: [png, txt]      # extensions, without dots
///   exclude: []
/// decode:
///   jobs: 2                  # items decoded at once
///   buffer: 8                # decoded items waiting for the encoder beyond one batch
///   max_pixels: 100000000
///   max_samples: 134217728
///   sample_rate: 16000       # resample audio; omit to keep each file's rate
///   mono: false
///   replace_invalid_text: false
///   video: {fps: 1, max_frames: 16, spread: true, size: 224x224}   # or every: N, or keyframes: true
/// encode:
///   encoders: {text: hashed, image: features, audio: logmel, video: video}
///   batch: 32
///   jobs: 1
///   buffer: 4
/// fuse:                      # items of several parts (records {"id","image","audio"}, videos) are fused
///   model: cross             # early, late, cross, or a fusion model's folder
/// generate:                  # instead of encode: a generative model redraws or scores each image
///   model: digits-ae
///   job: reconstruct         # reconstruct, denoise, score, caption (multimodal items), text-to-image (text lines)
///   out_dir: recon/          # reconstruct and denoise: one PNG per input; text-to-image: L-K.png
///   add_noise: false
///   seed: 0
///   beam: 3                  # caption
///   n: 4                     # text-to-image: images per prompt
///   steps: 50                # text-to-image: DDIM steps
///   guidance: 3              # text-to-image: classifier-free guidance
/// output:
///   resume: out.jsonl        # skip ids already there, append the rest
///   shard: 0/4
/// threads: 2
/// ```
///
/// Every key is checked: an unknown key or a bad value is an error that gives the file, line and column.
public enum PipelineSpec {
    public static func load(path: String) throws(PipelineSpecError) -> EmbedJob {
        let text: String
        do {
            text = try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            throw PipelineSpecError(
                file: path, line: nil, column: nil, message: "cannot read: \(error.localizedDescription)")
        }
        return try parse(yaml: text, file: path)
    }

    /// Parses a pipeline file's text; `file` names it in errors.
    public static func parse(yaml: String, file: String) throws(PipelineSpecError) -> EmbedJob {
        let root: Node
        do {
            guard let node = try Yams.compose(yaml: yaml) else {
                throw PipelineSpecError(file: file, line: nil, column: nil, message: "the file is empty")
            }
            root = node
        } catch let error as PipelineSpecError {
            throw error
        } catch let error as YamlError {
            throw PipelineSpecError(yaml: error, file: file)
        } catch {
            throw PipelineSpecError(file: file, line: nil, column: nil, message: "\(error)")
        }
        let reader = SpecReader(file: file)
        return try reader.job(root)
    }
}

/// A pipeline file problem, with its position when it has one.
public struct PipelineSpecError: Error, Sendable, Equatable, CustomStringConvertible {
    public let file: String
    public let line: Int?
    public let column: Int?
    public let message: String

    public var description: String {
        let position = line.map { ":\($0)" + (column.map { ":\($0)" } ?? "") } ?? ""
        return "\(file)\(position): \(message)"
    }

    init(file: String, line: Int?, column: Int?, message: String) {
        self.file = file
        self.line = line
        self.column = column
        self.message = message
    }

    init(file: String, at node: Node, _ message: String) {
        self.init(file: file, line: node.mark?.line, column: node.mark?.column, message: message)
    }

    init(yaml error: YamlError, file: String) {
        switch error {
        case .scanner(_, let problem, let mark, _), .parser(_, let problem, let mark, _):
            self.init(file: file, line: mark.line, column: mark.column, message: "invalid YAML: \(problem)")
        default:
            self.init(file: file, line: nil, column: nil, message: "invalid YAML: \(error)")
        }
    }
}

/// Walks the YAML tree, checking each mapping's keys and each value's type as it goes.
private struct SpecReader {
    let file: String

    func fail(_ node: Node, _ message: String) -> PipelineSpecError {
        PipelineSpecError(file: file, at: node, message)
    }

    /// The mapping's values by key, after checking that every key is one of `allowed`.
    func mapping(_ node: Node, _ section: String, allowed: [String]) throws(PipelineSpecError) -> [String: Node] {
        guard let mapping = node.mapping else { throw fail(node, "'\(section)' must be a mapping of keys to values") }
        var values: [String: Node] = [:]
        for (key, value) in mapping {
            guard let name = key.string else { throw fail(key, "keys in '\(section)' must be names") }
            guard allowed.contains(name) else {
                throw fail(
                    key, "unknown key '\(name)' in '\(section)' (expected one of: \(allowed.joined(separator: ", ")))")
            }
            values[name] = value
        }
        return values
    }

    func string(_ node: Node, _ key: String) throws(PipelineSpecError) -> String {
        guard let value = node.scalar?.string else { throw fail(node, "'\(key)' must be a single value") }
        return value
    }

    /// One of an enumeration's cases, named by its raw value.
    func choice<Value: RawRepresentable & CaseIterable>(_ node: Node, _ key: String) throws(PipelineSpecError) -> Value
    where Value.RawValue == String {
        guard let value = Value(rawValue: try string(node, key)) else {
            throw fail(node, "'\(key)' must be one of: \(Value.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        return value
    }

    func int(_ node: Node, _ key: String, minimum: Int = 1) throws(PipelineSpecError) -> Int {
        guard let value = Int(try string(node, key)), value >= minimum else {
            throw fail(node, "'\(key)' must be a whole number of at least \(minimum)")
        }
        return value
    }

    func double(_ node: Node, _ key: String) throws(PipelineSpecError) -> Double {
        guard let value = Double(try string(node, key)), value > 0 else {
            throw fail(node, "'\(key)' must be a positive number")
        }
        return value
    }

    func bool(_ node: Node, _ key: String) throws(PipelineSpecError) -> Bool {
        switch try string(node, key).lowercased() {
        case "true", "yes", "on": return true
        case "false", "no", "off": return false
        default: throw fail(node, "'\(key)' must be true or false")
        }
    }

    func strings(_ node: Node, _ key: String) throws(PipelineSpecError) -> [String] {
        if node.scalar != nil { return [try string(node, key)] }
        guard let sequence = node.sequence else { throw fail(node, "'\(key)' must be a list") }
        var values: [String] = []
        for element in sequence { values.append(try string(element, key)) }
        return values
    }

    func job(_ root: Node) throws(PipelineSpecError) -> EmbedJob {
        let top = try mapping(
            root, "pipeline", allowed: ["input", "decode", "encode", "fuse", "generate", "output", "threads"])
        guard let inputNode = top["input"] else { throw fail(root, "the pipeline has no 'input' section") }
        let input = try mapping(
            inputNode, "input",
            allowed: ["paths", "paths_from", "tar", "lines", "records", "idx", "include", "exclude"])
        var origins: [ItemSource.Origin] = []
        if let node = input["paths"] { origins.append(.paths(try strings(node, "paths"))) }
        if let node = input["paths_from"] { origins.append(.pathList(try string(node, "paths_from"))) }
        if let node = input["tar"] { origins.append(.tar(try string(node, "tar"))) }
        if let node = input["lines"] { origins.append(.lines(try string(node, "lines"))) }
        if let node = input["records"] { origins.append(.records(try string(node, "records"))) }
        if let node = input["idx"] { origins.append(.idx(images: try string(node, "idx"), labels: nil)) }
        guard origins.count == 1, let origin = origins.first else {
            throw fail(inputNode, "'input' needs exactly one of paths, paths_from, tar, lines, records, idx")
        }
        var job = EmbedJob(
            origin: origin,
            filter: ExtensionFilter(
                include: try input["include"].map { node throws(PipelineSpecError) in try strings(node, "include") }
                    ?? [],
                exclude: try input["exclude"].map { node throws(PipelineSpecError) in try strings(node, "exclude") }
                    ?? []))
        if let node = top["decode"] { try readDecode(node, into: &job) }
        if let node = top["encode"] { try readEncode(node, into: &job) }
        if let node = top["generate"] {
            if let encode = top["encode"], encode.mapping?.keys.contains(where: { $0.string == "encoders" }) == true {
                throw fail(node, "a pipeline either encodes ('encode: encoders') or generates ('generate'), not both")
            }
            job.generation = try readGenerate(node)
        }
        if let node = top["fuse"] {
            if let encode = top["encode"], encode.mapping?.keys.contains(where: { $0.string == "encoders" }) == true {
                throw fail(node, "a pipeline either encodes one medium ('encode: encoders') or fuses parts ('fuse'), not both")
            }
            let fuse = try mapping(node, "fuse", allowed: ["model"])
            guard let model = fuse["model"] else { throw fail(node, "'fuse' needs a 'model'") }
            job.fusion = FusionSpec(model: try string(model, "model"))
            if let generation = job.generation, generation.job != .caption {
                throw fail(node, "'fuse' goes with 'generate: {job: caption}' or alone, not with '\(generation.job.rawValue)'")
            }
            if let generation = job.generation, generation.job == .caption, generation.model != job.fusion?.model {
                throw fail(
                    model,
                    "the caption model '\(generation.model)' fuses the parts itself: name it here or drop 'fuse'")
            }
        }
        if let node = top["output"] {
            let output = try mapping(
                node, "output",
                allowed: ["resume", "shard", "db", "collection", "prune", "npy", "shard_size", "embedding_format"])
            if let resume = output["resume"] { job.resume = try string(resume, "resume") }
            if let node = output["embedding_format"] { job.embeddingFormat = try choice(node, "embedding_format") }
            let stores = ["resume", "db", "npy"].filter { output[$0] != nil }
            guard stores.count <= 1 else {
                throw fail(node, "'output' takes one of resume, db and npy, not \(stores.joined(separator: " and "))")
            }
            if let db = output["db"] {
                job.database = EmbedJob.Database(
                    path: try string(db, "db"), collection: try output["collection"].map { node throws(PipelineSpecError) in
                        try string(node, "collection")
                    }, prune: try output["prune"].map { node throws(PipelineSpecError) in try bool(node, "prune") } ?? false)
            } else if let key = ["collection", "prune"].first(where: { output[$0] != nil }), let node = output[key] {
                throw fail(node, "'\(key)' goes with 'db'")
            }
            if let npy = output["npy"] {
                job.numpy = EmbedJob.NumPyOutput(
                    folder: try string(npy, "npy"),
                    shardSize: try output["shard_size"].map { node throws(PipelineSpecError) in
                        try int(node, "shard_size")
                    } ?? 100_000)
            } else if let node = output["shard_size"] {
                throw fail(node, "'shard_size' goes with 'npy'")
            }
            if let shard = output["shard"] {
                let text = try string(shard, "shard")
                do { job.shard = try Shard(parsing: text) } catch { throw fail(shard, error.description) }
            }
        }
        if let node = top["threads"] { job.threads = try int(node, "threads") }
        return job
    }

    func readDecode(_ node: Node, into job: inout EmbedJob) throws(PipelineSpecError) {
        let decode = try mapping(
            node, "decode",
            allowed: [
                "jobs", "buffer", "max_pixels", "max_samples", "sample_rate", "mono", "replace_invalid_text", "video",
            ])
        if let value = decode["jobs"] { job.decodeStage.jobs = try int(value, "jobs") }
        if let value = decode["buffer"] { job.decodeStage.buffer = try int(value, "buffer") }
        if let value = decode["max_pixels"] { job.decoding.maxPixels = try int(value, "max_pixels") }
        if let value = decode["max_samples"] { job.decoding.maxSamples = try int(value, "max_samples") }
        if let value = decode["sample_rate"] { job.decoding.sampleRate = try int(value, "sample_rate") }
        if let value = decode["mono"] { job.decoding.mono = try bool(value, "mono") }
        if let value = decode["replace_invalid_text"] {
            job.decoding.replaceInvalidText = try bool(value, "replace_invalid_text")
        }
        guard let videoNode = decode["video"] else { return }
        let video = try mapping(
            videoNode, "video", allowed: ["fps", "every", "keyframes", "max_frames", "spread", "size"])
        var rules: [FrameSampling.Rule] = []
        if let value = video["fps"] { rules.append(.fps(try double(value, "fps"))) }
        if let value = video["every"] { rules.append(.every(try int(value, "every"))) }
        if let value = video["keyframes"], try bool(value, "keyframes") { rules.append(.keyframes) }
        guard rules.count <= 1 else { throw fail(videoNode, "use only one of fps, every and keyframes") }
        if let rule = rules.first { job.decoding.video.sampling.rule = rule }
        if let value = video["max_frames"] { job.decoding.video.sampling.maxFrames = try int(value, "max_frames") }
        if let value = video["spread"] { job.decoding.video.sampling.spreadOverDuration = try bool(value, "spread") }
        if let value = video["size"] {
            let parts = try string(value, "size").lowercased().split(separator: "x").compactMap { Int($0) }
            guard parts.count == 2, parts.allSatisfy({ $0 > 0 }) else {
                throw fail(value, "'size' must be WIDTHxHEIGHT, e.g. 224x224")
            }
            job.decoding.video.size = (parts[0], parts[1])
        }
    }

    func readGenerate(_ node: Node) throws(PipelineSpecError) -> GenerationSpec {
        let generate = try mapping(
            node, "generate", allowed: ["model", "job", "out_dir", "add_noise", "seed", "beam", "n", "steps", "guidance"])
        guard let modelNode = generate["model"] else { throw fail(node, "'generate' needs a 'model'") }
        let job = try generate["job"].map { value throws(PipelineSpecError) in
            try choice(value, "job") as GenerationSpec.Job
        } ?? .reconstruct
        var spec = GenerationSpec(model: try string(modelNode, "model"), job: job)
        if let value = generate["out_dir"] { spec.outDir = try string(value, "out_dir") }
        if let value = generate["add_noise"] { spec.addNoise = try bool(value, "add_noise") }
        if let value = generate["seed"] { spec.seed = UInt64(try int(value, "seed", minimum: 0)) }
        for key in ["n", "steps", "guidance"] where job != .textToImage {
            if let value = generate[key] { throw fail(value, "'\(key)' is for 'job: text-to-image'") }
        }
        if let value = generate["n"] { spec.count = try int(value, "n", minimum: 1) }
        if let value = generate["steps"] { spec.sampling.steps = try int(value, "steps", minimum: 1) }
        if let value = generate["guidance"] {
            guard let guidance = Float(try string(value, "guidance")), guidance >= 0, guidance.isFinite else {
                throw fail(value, "'guidance' must be a number of at least 0")
            }
            spec.sampling.guidance = guidance
        }
        if let value = generate["beam"] {
            guard job == .caption else { throw fail(value, "'beam' is for 'job: caption'") }
            spec.beam = try int(value, "beam", minimum: 1)
        }
        switch (job, spec.outDir) {
        case (.score, .some), (.caption, .some): throw fail(node, "'\(job.rawValue)' writes JSON lines only: drop 'out_dir'")
        case (.reconstruct, nil), (.denoise, nil), (.textToImage, nil):
            throw fail(node, "'\(job.rawValue)' needs 'out_dir' for its PNGs")
        default: break
        }
        if spec.addNoise, job != .denoise { throw fail(node, "'add_noise' is for 'job: denoise'") }
        return spec
    }

    func readEncode(_ node: Node, into job: inout EmbedJob) throws(PipelineSpecError) {
        let encode = try mapping(node, "encode", allowed: ["encoders", "batch", "jobs", "buffer"])
        if let value = encode["batch"] { job.batchSize = try int(value, "batch") }
        if let value = encode["jobs"] { job.encodeStage.jobs = try int(value, "jobs") }
        if let value = encode["buffer"] { job.encodeStage.buffer = try int(value, "buffer") }
        guard let encodersNode = encode["encoders"] else { return }
        let names = try mapping(encodersNode, "encoders", allowed: Modality.allCases.map(\.rawValue))
        for modality in Modality.allCases {
            if let value = names[modality.rawValue] { job.encoders[modality] = try string(value, modality.rawValue) }
        }
    }
}
