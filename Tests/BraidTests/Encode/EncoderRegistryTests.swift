import Foundation
import XCTest

@testable import Braid

final class EncoderRegistryTests: XCTestCase {
    func test_given_selection_string_when_parsed_then_each_modality_maps_to_its_name() throws {
        let choices = try EncoderRegistry.parseSelection(" image = features ,text=minilm")
        XCTAssertEqual(choices, [.image: "features", .text: "minilm"])
    }

    func test_given_malformed_selections_when_parsed_then_errors_say_what_is_wrong() {
        let cases: [(String, String)] = [
            ("", "expected modality=name pairs separated by commas"),
            ("image=features,", "expected modality=name pairs separated by commas"),
            ("image", "'image' is not of the form modality=name"),
            ("picture=features", "unknown modality 'picture' (expected one of text, image, audio, video)"),
            ("text=", "no encoder name after 'text='"),
            ("text=hashed,text=minilm", "text is chosen more than once"),
        ]
        for (text, reason) in cases {
            XCTAssertThrowsError(try EncoderRegistry.parseSelection(text), "'\(text)'") { error in
                XCTAssertEqual(error as? EncodeError, .invalidSelection(text, reason: reason))
            }
        }
    }

    func test_given_built_in_registry_then_every_modality_has_a_default_of_its_modality() throws {
        let registry = EncoderRegistry.builtIn
        let expected: [Modality: (name: String, dimension: Int)] = [
            .text: ("hashed", 512), .image: ("features", 273), .audio: ("logmel", 160), .video: ("video", 434),
        ]
        for (modality, (name, dimension)) in expected {
            XCTAssertEqual(registry.defaultName(for: modality), name)
            let encoder = try registry.makeEncoder(for: modality)
            XCTAssertEqual(encoder.name, name)
            XCTAssertEqual(encoder.modality, modality)
            XCTAssertEqual(encoder.dimension, dimension)
            XCTAssertEqual(registry.registration(named: name, for: modality)?.dimension, dimension)
        }
    }

    func test_given_unknown_name_when_validated_then_error_lists_available_encoders() {
        XCTAssertThrowsError(try EncoderRegistry.builtIn.validate([.audio: "wav2vec"])) { error in
            XCTAssertEqual(
                error as? EncodeError, .unknownEncoder(name: "wav2vec", modality: .audio, available: ["logmel"]))
            XCTAssertEqual("\(error)", "no audio encoder named 'wav2vec'; available: logmel")
        }
        // A name registered for another modality is not a match.
        XCTAssertThrowsError(try EncoderRegistry.builtIn.validate([.text: "features"]))
    }

    /// Stands in for a model-backed encoder: built by a factory that reads the models folder.
    private struct ModelBackedEncoder: Encoder {
        let name = "model"
        let modality = Modality.text
        let dimension: Int
        let modelPath: String
        func encode(_ inputs: [Media]) throws -> [[Float]] {
            inputs.map { _ in [Float](repeating: 0, count: dimension) }
        }
    }

    private static func modelRegistration(dimension: Int, registeredDimension: Int) -> EncoderRegistration {
        EncoderRegistration(name: "model", modality: .text, dimension: registeredDimension, summary: "test model") {
            context in
            guard let folder = context.modelsDirectory else {
                throw EncodeError.nothingToEncode(encoder: "model", reason: "no models folder")
            }
            return ModelBackedEncoder(dimension: dimension, modelPath: folder.appendingPathComponent("model").path)
        }
    }

    func test_given_factory_registration_when_chosen_then_built_from_models_folder_and_default_is_unchanged() throws {
        var registry = EncoderRegistry.builtIn
        registry.register(Self.modelRegistration(dimension: 8, registeredDimension: 8))
        XCTAssertEqual(registry.defaultName(for: .text), "hashed")
        XCTAssertNoThrow(try registry.validate([.text: "model"]))

        let context = EncoderContext(modelsDirectory: URL(fileURLWithPath: "/models"))
        let encoder = try registry.makeEncoder(for: .text, choices: [.text: "model"], context: context)
        XCTAssertEqual((encoder as? ModelBackedEncoder)?.modelPath, "/models/model")
        XCTAssertThrowsError(try registry.makeEncoder(for: .text, choices: [.text: "model"]))
        // Other modalities keep their defaults.
        XCTAssertEqual(try registry.makeEncoder(for: .image, choices: [.text: "model"]).name, "features")
    }

    func test_given_factory_building_other_dimension_than_registered_then_make_throws() {
        var registry = EncoderRegistry()
        registry.register(Self.modelRegistration(dimension: 8, registeredDimension: 384), asDefault: true)
        let context = EncoderContext(modelsDirectory: URL(fileURLWithPath: "/models"))
        XCTAssertThrowsError(try registry.makeEncoder(for: .text, context: context)) { error in
            XCTAssertEqual(
                error as? EncodeError,
                .registrationMismatch(name: "model", reason: "built with dimension 8, registered with 384"))
        }
    }

    func test_given_same_name_registered_twice_then_later_registration_replaces_earlier() {
        var registry = EncoderRegistry()
        registry.register(EncoderRegistration(HashedTextEncoder(dimension: 64), summary: "small"))
        registry.register(EncoderRegistration(HashedTextEncoder(dimension: 128), summary: "large"))
        XCTAssertEqual(registry.registrations.map(\.dimension), [128])
    }

    func test_given_wrong_modality_when_encoding_then_error_names_encoder_and_modalities() {
        let text = Media.text(Text(string: "hello", encoding: .utf8))
        XCTAssertThrowsError(try ImageFeaturesEncoder().encode(text)) { error in
            XCTAssertEqual("\(error)", "encoder 'features' embeds image, but was given text")
        }
    }
}
