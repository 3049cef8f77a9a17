import Foundation
import XCTest

/// The committed fixtures and the manifest that describes them (see Fixtures/README.md).
enum Fixtures {
    static let root = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures")

    static func path(_ relative: String) -> String { root.appendingPathComponent(relative).path }

    struct Entry: Decodable {
        let path: String
        let modality: String
        let format: String
        let description: String
        let error: String?
        let expected: [String: JSONValue]
        let reference: [String: String]
    }

    private struct Manifest: Decodable {
        let fixtures: [Entry]
    }

    static let manifest: [Entry] = {
        do {
            let data = try Data(contentsOf: root.appendingPathComponent("manifest.json"))
            return try JSONDecoder().decode(Manifest.self, from: data).fixtures
        } catch {
            XCTFail("cannot read Fixtures/manifest.json: \(error)")
            return []
        }
    }()

    static func entries(_ modality: String, failing: Bool = false) -> [Entry] {
        manifest.filter { $0.modality == modality && ($0.error != nil) == failing }
    }
}

/// Enough of JSON to read the manifest's free-form `expected` values.
enum JSONValue: Decodable, Equatable {
    case number(Double)
    case string(String)
    case bool(Bool)
    case array([JSONValue])
    case null

    init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() {
            self = .null
        } else if let value = try? container.decode(Bool.self) {
            self = .bool(value)
        } else if let value = try? container.decode(Double.self) {
            self = .number(value)
        } else if let value = try? container.decode(String.self) {
            self = .string(value)
        } else {
            self = .array(try container.decode([JSONValue].self))
        }
    }

    var int: Int? { if case .number(let value) = self { Int(value) } else { nil } }
    var double: Double? { if case .number(let value) = self { value } else { nil } }
    var bool: Bool? { if case .bool(let value) = self { value } else { nil } }
    var string: String? { if case .string(let value) = self { value } else { nil } }
}

/// A `.npy` file read back, for comparing decoders with the reference decoders' arrays.
struct NumPyFile {
    let descr: String
    let shape: [Int]
    let data: Data

    init(_ relative: String) throws {
        let bytes = try Data(contentsOf: Fixtures.root.appendingPathComponent(relative))
        guard bytes.count > 10, bytes.starts(with: [0x93] + Array("NUMPY".utf8)) else {
            throw CocoaError(.fileReadCorruptFile)
        }
        let major = bytes[6]
        let headerLength =
            major == 1
            ? Int(bytes[8]) | Int(bytes[9]) << 8
            : Int(bytes[8]) | Int(bytes[9]) << 8 | Int(bytes[10]) << 16 | Int(bytes[11]) << 24
        let headerStart = major == 1 ? 10 : 12
        let header = String(decoding: bytes[headerStart..<headerStart + headerLength], as: UTF8.self)
        func field(_ key: String) -> Substring? {
            guard let range = header.range(of: "'\(key)': ") else { return nil }
            return header[range.upperBound...]
        }
        descr = field("descr").map { String($0.dropFirst().prefix { $0 != "'" }) } ?? ""
        let shapeText = field("shape").map { $0.dropFirst().prefix { $0 != ")" } } ?? ""
        shape = shapeText.split(separator: ",").compactMap { Int($0.trimmingCharacters(in: .whitespaces)) }
        data = bytes.subdata(in: headerStart + headerLength..<bytes.count)
    }

    var uint8: [UInt8] { Array(data) }
    var uint16: [UInt16] { data.withUnsafeBytes { Array($0.bindMemory(to: UInt16.self)) } }
    var float32: [Float] { data.withUnsafeBytes { Array($0.bindMemory(to: Float.self)) } }
}
