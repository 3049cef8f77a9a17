import Braid
import XCTest

final class PipelineSpecTests: XCTestCase {
    func test_the_shipped_pipeline_parses_to_the_documented_job() throws {
        let job = try PipelineSpec.load(
            path: Fixtures.root.deletingLastPathComponent().appendingPathComponent("pipelines/embed-folder.yaml").path)
        XCTAssertEqual(job.origin, .paths(["Fixtures/"]))
        XCTAssertEqual(job.filter, ExtensionFilter(include: ["png", "wav", "mp4", "mkv", "webm", "avi", "txt"]))
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

    func test_bad_values_are_reported_where_they_stand() {
        let cases: [(String, String)] = [
            ("input: {paths: [a]}\ndecode: {jobs: zero}", "p.yaml:2:16: 'jobs' must be a whole number of at least 1"),
            (
                "input: {paths: [a]}\ndecode: {video: {size: big}}",
                "p.yaml:2:24: 'size' must be WIDTHxHEIGHT, e.g. 224x224"
            ),
            ("input: {paths: [a]}\noutput: {shard: 5/4}", "p.yaml:2:17: invalid shard '5/4': needs 0 ≤ i < N"),
            (
                "input: {paths: [a], tar: '-'}",
                "p.yaml:1:8: 'input' needs exactly one of paths, paths_from, tar, lines, records, idx"
            ),
            ("decode: {jobs: 1}", "p.yaml:1:1: the pipeline has no 'input' section"),
            ("input: [a", "p.yaml:2:1: invalid YAML: did not find expected ',' or ']'"),
        ]
        for (yaml, expected) in cases {
            XCTAssertThrowsError(try PipelineSpec.parse(yaml: yaml, file: "p.yaml"), yaml) { error in
                XCTAssertEqual("\(error)", expected)
            }
        }
    }
}
