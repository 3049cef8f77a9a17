import Foundation

/// Writes an output file through a temporary sibling that is renamed into place only when complete,
/// so a failed or interrupted write never leaves a partial file under the final name.
public enum AtomicFile {
    public static func write(to path: String, _ produce: (_ temporaryPath: String) throws -> Void) throws {
        let url = URL(fileURLWithPath: path)
        let temporary = url.deletingLastPathComponent()
            .appendingPathComponent(".\(url.lastPathComponent).\(ProcessInfo.processInfo.processIdentifier).partial")
            .path
        do {
            try produce(temporary)
            guard rename(temporary, path) == 0 else {
                throw CocoaError(.fileWriteUnknown, userInfo: [NSFilePathErrorKey: path])
            }
        } catch {
            unlink(temporary)
            throw error
        }
    }

    public static func write(_ bytes: [UInt8], to path: String) throws {
        try write(to: path) { temporary in try Data(bytes).write(to: URL(fileURLWithPath: temporary)) }
    }
}
