import CFFmpeg

/// An opened FFmpeg demuxer over a path or over bytes in memory (through a custom AVIOContext),
/// with its streams probed.
final class FFmpegInput {
    private(set) var format: UnsafeMutablePointer<AVFormatContext>?
    private var io: UnsafeMutablePointer<AVIOContext>?
    private var memory: MemoryFile?
    let id: String

    /// FFmpeg's own log lines would interleave with Braid's one-line errors on stderr; Braid reports
    /// every failure itself, naming the file.
    private static let silenceLibraryLog: Void = av_log_set_level(AV_LOG_QUIET)

    init(_ source: Item.Source, id: String) throws(DecodeError) {
        Self.silenceLibraryLog
        self.id = id
        var url: String?
        // Refusals come before any allocation: `deinit` also runs when this initialiser throws, and would
        // close a context freed here a second time.
        switch source {
        case .file(let path):
            url = path
        case .bytes(let bytes):
            guard !bytes.isEmpty else { throw DecodeError(id, .empty) }
            let file = MemoryFile(bytes)
            memory = file
            let bufferSize = 1 << 16
            io = avio_alloc_context(
                av_malloc(bufferSize).assumingMemoryBound(to: UInt8.self), Int32(bufferSize), 0,
                Unmanaged.passUnretained(file).toOpaque(), MemoryFile.avioRead, nil, MemoryFile.avioSeek)
        case .text:
            throw DecodeError(id, .notA(.video, because: "it is text"))
        }
        format = avformat_alloc_context()
        if io != nil {
            format?.pointee.pb = io
            format?.pointee.flags |= AVFMT_FLAG_CUSTOM_IO
        }
        // On failure avformat_open_input frees the context and sets it to nil.
        let opened = avformat_open_input(&format, url, nil, nil)
        guard opened >= 0 else {
            releaseIO()
            throw DecodeError(id, FFmpegError.reason(opened, doing: "open the container"))
        }
        let probed = avformat_find_stream_info(format, nil)
        guard probed >= 0 else {
            avformat_close_input(&format)
            releaseIO()
            throw DecodeError(id, FFmpegError.reason(probed, doing: "read the stream headers"))
        }
    }

    deinit {
        avformat_close_input(&format)
        releaseIO()
    }

    private func releaseIO() {
        if io != nil {
            av_freep(&io!.pointee.buffer)
            avio_context_free(&io)
        }
    }

    /// The name of the FFmpeg demuxer that recognises these leading bytes, if any does with confidence.
    static func demuxerName(forHead head: [UInt8]) -> String? {
        // FFmpeg's probes may read up to AVPROBE_PADDING_SIZE (32) bytes past the data, which must be zero.
        var padded = head + [UInt8](repeating: 0, count: 32)
        return padded.withUnsafeMutableBufferPointer { buffer -> String? in
            var probe = AVProbeData(filename: nil, buf: buffer.baseAddress, buf_size: Int32(head.count), mime_type: nil)
            var score: Int32 = 0
            guard let format = av_probe_input_format3(&probe, 1, &score), score > 25 else { return nil }
            return String(cString: format.pointee.name)
        }
    }

    var containerName: String { format.flatMap { String(cString: $0.pointee.iformat.pointee.name) } ?? "unknown" }

    /// Duration of the whole container in seconds, when it records one.
    var duration: Double? {
        guard let format, format.pointee.duration != braid_av_nopts_value(), format.pointee.duration > 0 else { return nil }
        return Double(format.pointee.duration) / Double(braid_av_time_base())
    }

    func stream(_ index: Int32) -> UnsafeMutablePointer<AVStream> { format!.pointee.streams[Int(index)]! }

    /// The index of the best stream of a kind, or nil when there is none.
    func bestStream(_ type: AVMediaType) -> Int32? {
        let index = av_find_best_stream(format, type, -1, -1, nil, 0)
        return index >= 0 ? index : nil
    }

    /// Reads the next packet into `packet`; false at the end of the input.
    func read(into packet: UnsafeMutablePointer<AVPacket>) throws(DecodeError) -> Bool {
        let status = av_read_frame(format, packet)
        if status == braid_averror_eof() { return false }
        guard status >= 0 else { throw DecodeError(id, FFmpegError.reason(status, doing: "read a packet")) }
        return true
    }
}

/// Turns FFmpeg's negative status codes into decode errors a user can act on.
enum FFmpegError {
    static func message(_ status: Int32) -> String {
        var buffer = [CChar](repeating: 0, count: 128)
        av_strerror(status, &buffer, buffer.count)
        return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    static func reason(_ status: Int32, doing action: String) -> DecodeError.Reason {
        if status == braid_averror_invaliddata() { return .corrupt("FFmpeg could not \(action): invalid data") }
        // FFmpeg's readers answer EOF or EIO when a file ends inside the headers they need.
        if status == braid_averror_eof() || status == braid_averror(EIO) {
            return .truncated("FFmpeg could not \(action): the data ends early")
        }
        return .corrupt("FFmpeg could not \(action): \(message(status))")
    }
}

extension MemoryFile {
    static let avioRead: @convention(c) (UnsafeMutableRawPointer?, UnsafeMutablePointer<UInt8>?, Int32) -> Int32 = {
        pointer, destination, size in
        let file = from(pointer)
        let length = min(Int(size), file.bytes.count - file.offset)
        guard length > 0 else { return braid_averror_eof() }
        file.bytes.withUnsafeBufferPointer { source in
            destination?.update(from: source.baseAddress! + file.offset, count: length)
        }
        file.offset += length
        return Int32(length)
    }

    static let avioSeek: @convention(c) (UnsafeMutableRawPointer?, Int64, Int32) -> Int64 = { pointer, offset, whence in
        let file = from(pointer)
        let sizeQuery: Int32 = 0x10000  // AVSEEK_SIZE
        if whence & sizeQuery != 0 { return Int64(file.bytes.count) }
        let base: Int
        switch whence & 0xFF {
        case SEEK_SET: base = 0
        case SEEK_CUR: base = file.offset
        case SEEK_END: base = file.bytes.count
        default: return -1
        }
        let target = base + Int(offset)
        guard (0...file.bytes.count).contains(target) else { return -1 }
        file.offset = target
        return Int64(target)
    }
}
