import Braid
import Foundation

/// Writes decoded media in the format the output path asks for.
struct DecodedOutput {
    struct Mismatch: Error, CustomStringConvertible {
        let description: String
    }

    let path: String
    let pixelFormat: PixelFormat?

    private var isDirectory: Bool {
        var directory: ObjCBool = false
        return path.hasSuffix("/")
            || (FileManager.default.fileExists(atPath: path, isDirectory: &directory) && directory.boolValue)
    }

    private var fileExtension: String { URL(fileURLWithPath: path).pathExtension.lowercased() }

    func write(_ media: Media, id: String) throws {
        if isDirectory {
            guard case .video(let video) = media else { throw mismatch(id, "a folder output takes video frames") }
            try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
            for (position, frame) in video.frames.enumerated() {
                let name = String(format: "frame-%06d.png", position)
                try AtomicFile.write(
                    try PNGEncoder.encode(frame.image), to: (path as NSString).appendingPathComponent(name))
            }
            return
        }
        switch (fileExtension, media) {
        case ("png", .image(let image)):
            try emit(try PNGEncoder.encode(pixelFormat.map(image.converted(to:)) ?? image))
        case ("png", .video(let video)):
            guard let first = video.frames.first else { throw mismatch(id, "the video has no frames to write") }
            try emit(try PNGEncoder.encode(first.image))
        case ("wav", .audio(let audio)):
            try WAVEncoder.write(audio, to: path)
        case ("wav", .video(let video)):
            guard let audio = video.audio else { throw mismatch(id, "the video has no audio track") }
            try WAVEncoder.write(audio, to: path)
        case ("npy", _):
            try emit(numPyArray(of: media, id: id).encoded())
        case (_, .text(let text)):
            try emit(Array(text.string.utf8))
        default:
            throw mismatch(
                id, "cannot write \(media.modality.rawValue) as '.\(fileExtension)': use .npy, .png, .wav, .txt or DIR/"
            )
        }
    }

    private func numPyArray(of media: Media, id: String) throws -> NumPyArray {
        switch media {
        case .image(let image):
            let shaped = pixelFormat.map(image.converted(to:)) ?? image
            let shape = [shaped.height, shaped.width, shaped.channels]
            switch shaped.samples {
            case .uint8(let bytes): return NumPyArray(uint8: bytes, shape: shape)
            case .float32(let floats): return NumPyArray(float32: floats, shape: shape)
            }
        case .audio(let audio):
            return NumPyArray(float32: audio.samples, shape: [audio.frameCount, audio.channels])
        case .video(let video):
            let first = video.frames.first?.image
            var pixels: [UInt8] = []
            pixels.reserveCapacity(video.frames.count * (first?.pixelCount ?? 0) * 3)
            for frame in video.frames {
                if case .uint8(let bytes) = frame.image.samples { pixels += bytes }
            }
            return NumPyArray(uint8: pixels, shape: [video.frames.count, first?.height ?? 0, first?.width ?? 0, 3])
        case .text:
            throw mismatch(id, "text has no array form: write it to a .txt file")
        case .reducedAudio:
            throw mismatch(id, "the audio was summarised while it decoded and has no samples to write")
        }
    }

    private func emit(_ bytes: [UInt8]) throws {
        if path == "-" {
            FileHandle.standardOutput.write(Data(bytes))
        } else {
            try AtomicFile.write(bytes, to: path)
        }
    }

    private func mismatch(_ id: String, _ message: String) -> Mismatch {
        Mismatch(description: "\(id): \(message)")
    }
}
