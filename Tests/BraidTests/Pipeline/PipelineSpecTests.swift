import Braid
import XCTest

final class PipelineSpecTests: XCTestCase {
    func test_the_shipped_pipeline_parses_to_the_documented_job() throws {
        let job = try PipelineSpec.load(
            path: Fixtures.root.deletingLastPathComponent().appendingPathComponent("pipelines/embed-folder.yaml").path)
        XCTAssertEqual(job.origin, .paths(["Fixtures/"]))
        XCTAssertEqual(
            job.filter,
            ExtensionFilter(include: [
                "png", "jpg", "jpeg", "webp", "wav", "mp3", "m4a", "flac", "ogg", "opus", "mp4", "mov", "mkv", "webm", "avi",
                "txt",
            ]))
        XCTAssertEqual(job.decodeStage, EmbedJob.StageSettings(jobs: 2, buffer: 8))
        XCTAssertEqual(job.decoding.sampleRate, 16000)
        XCTAssertTrue(job.decoding.mono)
        XCTAssertEqual(job.decoding.video.sampling, FrameSampling(.fps(1), maxFrames: 16, spreadOverDuration: true))
        XCTAssertEqual(job.decoding.video.size?.width, 224)
        XCTAssertEqual(job.encoders, [.text: "hashed", .image: "features", .audio: "logmel", .video: "video"])
        XCTAssertEqual(job.batchSize, 32)
    }

    func test_an_unknown_key_is_reported_with_its_line_and_the_allowed_keys() {
        let yaml = """
            input:
              paths: [a]
            decode:
              jobs: 2
              jbos: 3
            """
        XCTAssertThrowsError(try PipelineSpec.parse(yaml: yaml, file: "p.yaml")) { error in
            XCTAssertEqual(
                "\(error)",
                "p.yaml:5:3: unknown key 'jbos' in 'decode' (expected one of: jobs, buffer, max_pixels, max_samples, sample_rate, mono, replace_invalid_text, video)"
            )
        }
    }

    func test_output_names_a_database_or_numpy_shards() throws {
        let database = try PipelineSpec.parse(
            yaml: "input: {paths: [a]}\noutput: {db: photos.db, collection: photos, prune: true}", file: "p.yaml")
        XCTAssertEqual(database.database, EmbedJob.Database(path: "photos.db", collection: "photos", prune: true))
        let shards = try PipelineSpec.parse(yaml: "input: {paths: [a]}\noutput: {npy: vectors, shard_size: 500}", file: "p.yaml")
        XCTAssertEqual(shards.numpy, EmbedJob.NumPyOutput(folder: "vectors", shardSize: 500))
        XCTAssertEqual(shards.embeddingFormat, .float)
        let base64 = try PipelineSpec.parse(yaml: "input: {paths: [a]}\noutput: {embedding_format: base64}", file: "p.yaml")
        XCTAssertEqual(base64.embeddingFormat, .base64)
    }

    func test_bad_values_are_reported_where_they_stand() {
        let cases: [(String, String)] = [
            ("input: {paths: [a]}\ndecode: {jobs: zero}", "p.yaml:2:16: 'jobs' must be a whole number of at least 1"),
            (
                "input: {paths: [a]}\ndecode: {video: {size: big}}",
                "p.yaml:2:24: 'size' must be WIDTHxHEIGHT, e.g. 224x224"
            ),
            ("input: {paths: [a]}\noutput: {shard: 5/4}", "p.yaml:2:17: invalid shard '5/4': needs 0 ≤ i < N"),
            (
                "input: {paths: [a]}\noutput: {db: a.db, npy: vectors}",
                "p.yaml:2:9: 'output' takes one of resume, db and npy, not db and npy"
            ),
            ("input: {paths: [a]}\noutput: {npy: v, prune: true}", "p.yaml:2:25: 'prune' goes with 'db'"),
            (
                "input: {paths: [a]}\noutput: {embedding_format: hex}",
                "p.yaml:2:28: 'embedding_format' must be one of: float, base64"
            ),
            ("input: {paths: [a]}\noutput: {db: a.db, shard_size: 10}", "p.yaml:2:32: 'shard_size' goes with 'npy'"),
            (
                "input: {paths: [a], tar: '-'}",
                "p.yaml:1:8: 'input' needs exactly one of paths, paths_from, tar, lines, records, idx"
            ),
            ("decode: {jobs: 1}", "p.yaml:1:1: the pipeline has no 'input' section"),
            ("input: [a", "p.yaml:2:1: invalid YAML: did not find expected ',' or ']'"),
        ]
        assertErrors(cases)
    }

    func test_the_caption_pipeline_declares_its_fuse_and_generate_stages() throws {
        let job = try PipelineSpec.load(
            path: Fixtures.root.deletingLastPathComponent().appendingPathComponent("pipelines/caption.yaml").path)
        XCTAssertEqual(job.origin, .records(".build/pairs/caption-test.jsonl"))
        XCTAssertEqual(job.fusion, FusionSpec(model: "digit-captions"))
        XCTAssertEqual(job.generation?.job, .caption)
        XCTAssertEqual(job.generation?.model, "digit-captions")
        XCTAssertEqual(job.generation?.beam, 3)
        XCTAssertEqual(job.decoding.video.sampling.maxFrames, 8)
        let fusedOnly = try PipelineSpec.parse(yaml: "input: {records: p.jsonl}\nfuse: {model: cross}", file: "p.yaml")
        XCTAssertEqual(fusedOnly.fusion, FusionSpec(model: "cross"))
        XCTAssertNil(fusedOnly.generation)
    }

    func test_fuse_and_generate_sections_are_checked_where_they_stand() {
        let cases: [(String, String)] = [
            ("input: {records: p.jsonl}\nfuse: {}", "p.yaml:2:7: 'fuse' needs a 'model'"),
            (
                "input: {records: p.jsonl}\nfuse: {model: cross, beam: 2}",
                "p.yaml:2:22: unknown key 'beam' in 'fuse' (expected one of: model)"
            ),
            (
                "input: {records: p.jsonl}\nencode: {encoders: {image: features}}\nfuse: {model: cross}",
                "p.yaml:3:7: a pipeline either encodes one medium ('encode: encoders') or fuses parts ('fuse'), not both"
            ),
            (
                "input: {records: p.jsonl}\nfuse: {model: cross}\ngenerate: {model: digit-captions, job: caption}",
                "p.yaml:2:15: the caption model 'digit-captions' fuses the parts itself: name it here or drop 'fuse'"
            ),
            (
                "input: {records: p.jsonl}\nfuse: {model: cross}\ngenerate: {model: digits-ae, job: score}",
                "p.yaml:2:7: 'fuse' goes with 'generate: {job: caption}' or alone, not with 'score'"
            ),
            (
                "input: {records: p.jsonl}\ngenerate: {model: digit-captions, job: caption, beam: 0}",
                "p.yaml:2:55: 'beam' must be a whole number of at least 1"
            ),
            (
                "input: {records: p.jsonl}\ngenerate: {model: digits-ae, job: score, beam: 2}",
                "p.yaml:2:48: 'beam' is for 'job: caption'"
            ),
        ]
        assertErrors(cases)
    }

    func test_the_text_to_image_pipeline_declares_its_sampler_and_is_checked() throws {
        let job = try PipelineSpec.load(
            path: Fixtures.root.deletingLastPathComponent().appendingPathComponent("pipelines/text-to-image.yaml").path)
        XCTAssertEqual(job.origin, .lines("Fixtures/prompts/digits.txt"))
        XCTAssertEqual(job.generation?.job, .textToImage)
        XCTAssertEqual(job.generation?.count, 4)
        XCTAssertEqual(job.generation?.sampling.steps, 50)
        XCTAssertEqual(job.generation?.sampling.guidance, 3)
        XCTAssertEqual(job.generation?.outDir, "drawn/")
        let cases: [(String, String)] = [
            (
                "input: {lines: p.txt}\ngenerate: {model: digits-diffusion, job: text-to-image}",
                "p.yaml:2:11: 'text-to-image' needs 'out_dir' for its PNGs"
            ),
            (
                "input: {lines: p.txt}\ngenerate: {model: digits-diffusion, job: text-to-image, out_dir: d, guidance: lots}",
                "p.yaml:2:79: 'guidance' must be a number of at least 0"
            ),
            (
                "input: {lines: p.txt}\ngenerate: {model: digits-diffusion, job: text-to-image, out_dir: d, steps: 0}",
                "p.yaml:2:76: 'steps' must be a whole number of at least 1"
            ),
            (
                "input: {idx: t.gz}\ngenerate: {model: digits-ae, job: score, n: 2}",
                "p.yaml:2:45: 'n' is for 'job: text-to-image'"
            ),
        ]
        assertErrors(cases)
    }

    /// Each pipeline file (named p.yaml) fails to parse with exactly its message.
    private func assertErrors(_ cases: [(String, String)], line: UInt = #line) {
        for (yaml, expected) in cases {
            XCTAssertThrowsError(try PipelineSpec.parse(yaml: yaml, file: "p.yaml"), yaml, line: line) { error in
                XCTAssertEqual("\(error)", expected, line: line)
            }
        }
    }
}
