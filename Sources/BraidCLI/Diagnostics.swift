import Foundation

/// Diagnostics go to standard error, so standard output carries data only.
enum Diagnostics {
    static func report(_ error: any Error) {
        warn("\(error)")
    }

    static func warn(_ message: String) {
        FileHandle.standardError.write(Data("braid: \(message)\n".utf8))
    }
}
