import Braid
import Foundation

/// Turns the file arguments of `probe` and `decode` into items: a path is read by its decoder, '-' is
/// standard input, streamed to it.
enum InputArguments {
    static func items(_ arguments: [String]) -> [Item] {
        arguments.map { argument in
            if argument == "-" {
                return Item(id: "stdin", source: .stream(.standardInput()))
            }
            return Item(id: argument, source: .file(path: argument))
        }
    }
}
