import ArgumentParser
import Braid
import Foundation

/// Where generated images go: one grid PNG, or one PNG per image in a folder. Shared by `reconstruct`, `denoise`,
/// `sample` and `interpolate`.
struct ImageOutputOptions: ParsableArguments {
    @Option(help: ArgumentHelp("Write every image into one grid PNG, FILE.", valueName: "FILE"))
    var out: String?

    @Option(help: ArgumentHelp("Write one PNG per image into DIR (created).", valueName: "DIR"))
    var outDir: String?

    @Option(help: "Images per row of the grid; default: about the square root of their number.")
    var columns: Int?

    func validate() throws {
        guard (out == nil) != (outDir == nil) else {
            throw ValidationError("Give '--out grid.png' for one grid, or '--out-dir DIR' for one PNG per image.")
        }
        if let columns, columns < 1 { throw ValidationError("'--columns' must be at least 1, got \(columns).") }
    }

    var destination: ImageDestination { ImageDestination(grid: out, folder: outDir, columns: columns) }
}

/// Where generated images go: one grid PNG (`grid`), or one PNG per image in `folder`. Each file is written whole or
/// not at all.
struct ImageDestination: Sendable {
    var grid: String?
    var folder: String?
    var columns: Int?

    /// Writes `images` as one grid to `grid`.
    /// - Parameter group: Images that belong together (an input and its output) and start rows together.
    func writeGrid(_ images: [Image], group: Int = 1) throws {
        guard let grid else { return }
        // About square in groups: 16 pairs are 4 pairs a row.
        let columns = columns ?? group * Int(Double(images.count / group).squareRoot().rounded(.up))
        try AtomicFile.write(try PNGEncoder.encode(ImageGrid.tile(images, columns: columns)), to: grid)
    }

    /// Writes `image` as `name` in `folder`; returns its path.
    func write(_ image: Image, named name: String) throws -> String {
        guard let folder else { return name }
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let path = (folder as NSString).appendingPathComponent(name)
        try AtomicFile.write(try PNGEncoder.encode(image), to: path)
        return path
    }

    /// Writes `images` to the grid, or to the folder as 0000.png, 0001.png, …, and one line per file on stdout.
    /// - Parameter perFile: Images that make one file in the folder, side by side (a trace's stages).
    func writeNumbered(_ images: [Image], perFile: Int = 1) throws {
        if let grid {
            try writeGrid(images)
            FileHandle.standardOutput.write(Data("{\"file\":\(jsonString(grid)),\"count\":\(images.count)}\n".utf8))
            return
        }
        for index in 0..<(images.count / perFile) {
            let group = Array(images[(index * perFile)..<((index + 1) * perFile)])
            let image = perFile == 1 ? group[0] : ImageGrid.tile(group, columns: perFile)
            let file = try write(image, named: String(format: "%04d.png", index))
            FileHandle.standardOutput.write(Data("{\"file\":\(jsonString(file))}\n".utf8))
        }
    }

    /// Checks, before any work, that the grid's folder or the output folder (created here) takes new files.
    /// - Throws: `OutputError.cannotWrite` naming the path.
    func checkWritable() throws {
        let manager = FileManager.default
        if let folder {
            do { try manager.createDirectory(atPath: folder, withIntermediateDirectories: true) } catch {
                throw OutputError.cannotWrite(file: folder, problem: "cannot create the folder")
            }
            guard manager.isWritableFile(atPath: folder) else {
                throw OutputError.cannotWrite(file: folder, problem: "the folder is not writable")
            }
        }
        if let grid {
            let parent = (grid as NSString).deletingLastPathComponent
            var isFolder: ObjCBool = false
            guard manager.fileExists(atPath: parent.isEmpty ? "." : parent, isDirectory: &isFolder), isFolder.boolValue
            else { throw OutputError.cannotWrite(file: grid, problem: "its folder does not exist") }
            guard manager.isWritableFile(atPath: parent.isEmpty ? "." : parent) else {
                throw OutputError.cannotWrite(file: grid, problem: "its folder is not writable")
            }
        }
    }
}
