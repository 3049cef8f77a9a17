import CFFmpeg

/// An opened FFmpeg demuxer over a path or over bytes in memory (through a custom AVIOContext),
/// with its streams probed.
final class FFmpegInput {
    private(set) var format: UnsafeMutablePointer<AVFormatContext>?
    private var io: UnsafeMutablePointer<AVIOContext>?
    /// Keeps the object behind the AVIOContext's opaque pointer alive.
    private var ioSource: AnyObject?
    let id: String

    /// An MP4 or MOV stream (stdin) up to this size is read into memory, where the demuxer can seek: the index
    /// of such a file usually comes last. Other containers, and longer MP4s, are demuxed as they arrive, so a
    /// live pipe costs no more than FFmpeg's own buffers.
    static let streamMemoryLimit = 128 << 20

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
            ioSource = file
            io = Self.customIO(
                opaque: Unmanaged.passUnretained(file).toOpaque(), read: MemoryFile.avioRead, seek: MemoryFile.avioSeek)
        case .stream(let stream):
            let head: [UInt8]
            do {
                let start = try stream.peek(count: 8)
                let isoMedia = start.count == 8 && start[4..<8].elementsEqual("ftyp".utf8)
                head = isoMedia ? try stream.read(upTo: Self.streamMemoryLimit) : try stream.readAvailable()
            } catch {
                throw DecodeError(id, .unreadable(error.description))
            }
            guard !head.isEmpty else { throw DecodeError(id, .empty) }
            if head.count <= Self.streamMemoryLimit && (try? stream.peek(count: 1).isEmpty) == true {
                let file = MemoryFile(head)
                ioSource = file
                io = Self.customIO(
                    opaque: Unmanaged.passUnretained(file).toOpaque(), read: MemoryFile.avioRead,
                    seek: MemoryFile.avioSeek)
            } else {
                let file = StreamFile(head: head, rest: stream)
                ioSource = file
                io = Self.customIO(
                    opaque: Unmanaged.passUnretained(file).toOpaque(), read: StreamFile.avioRead, seek: nil)
            }
        case .text:
            throw DecodeError(id, .notA(.video, because: "it is text"))
        case .decoded:
            throw DecodeError(id, .notA(.video, because: "it is already decoded"))
        case .parts:
            throw DecodeError(id, .notA(.video, because: "it is an item of several parts"))
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

    private static func customIO(
        opaque: UnsafeMutableRawPointer,
        read: @convention(c) (UnsafeMutableRawPointer?, UnsafeMutablePointer<UInt8>?, Int32) -> Int32,
        seek: (@convention(c) (UnsafeMutableRawPointer?, Int64, Int32) -> Int64)?
    ) -> UnsafeMutablePointer<AVIOContext>? {
        let bufferSize = 1 << 16
        return avio_alloc_context(
            av_malloc(bufferSize).assumingMemoryBound(to: UInt8.self), Int32(bufferSize), 0, opaque, read, nil, seek)
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
        guard let format, format.pointee.duration != braid_av_nopts_value(), format.pointee.duration > 0 else {
            return nil
        }
        return Double(format.pointee.duration) / Double(braid_av_time_base())
    }

    func stream(_ index: Int32) -> UnsafeMutablePointer<AVStream> { format!.pointee.streams[Int(index)]! }

    /// The index of the best stream of a kind, or nil when there is none.
    func bestStream(_ type: AVMediaType) -> Int32? {
        let index = av_find_best_stream(format, type, -1, -1, nil, 0)
        return index >= 0 ? index : nil
    }

    /// Opens the decoder of `stream`'s codec.
    static func openDecoder(
        for stream: UnsafeMutablePointer<AVStream>, threads: Int, id: String
    ) throws(DecodeError) -> UnsafeMutablePointer<AVCodecContext> {
        let parameters = stream.pointee.codecpar
        guard let codec = avcodec_find_decoder(parameters!.pointee.codec_id) else {
            let name = String(cString: avcodec_get_name(parameters!.pointee.codec_id))
            throw DecodeError(id, .unsupported("no decoder for codec \(name) in this FFmpeg"))
        }
        var context = avcodec_alloc_context3(codec)
        guard avcodec_parameters_to_context(context, parameters) >= 0 else {
            avcodec_free_context(&context)
            throw DecodeError(id, .corrupt("invalid codec parameters"))
        }
        context?.pointee.thread_count = Int32(threads)
        context?.pointee.pkt_timebase = stream.pointee.time_base
        let status = avcodec_open2(context, codec, nil)
        guard status >= 0, let context else {
            avcodec_free_context(&context)
            throw DecodeError(
                id, FFmpegError.reason(status, doing: "open the \(String(cString: codec.pointee.name)) decoder"))
        }
        return context
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

/// A stream handed to FFmpeg front to back: the bytes already read, then the rest as it arrives. Without a seek
/// callback FFmpeg treats it as unseekable, as it treats a pipe.
final class StreamFile {
    private var pending: [UInt8]
    private var offset = 0
    private let rest: ByteStream

    init(head: [UInt8], rest: ByteStream) {
        pending = head
        self.rest = rest
    }

    static let avioRead: @convention(c) (UnsafeMutableRawPointer?, UnsafeMutablePointer<UInt8>?, Int32) -> Int32 = {
        pointer, destination, size in
        let file = Unmanaged<StreamFile>.fromOpaque(pointer!).takeUnretainedValue()
        if file.offset == file.pending.count {
            guard let next = try? file.rest.readAvailable() else { return braid_averror(EIO) }
            file.pending = next
            file.offset = 0
        }
        let length = min(Int(size), file.pending.count - file.offset)
        guard length > 0 else { return braid_averror_eof() }
        file.pending.withUnsafeBufferPointer { source in
            destination?.update(from: source.baseAddress! + file.offset, count: length)
        }
        file.offset += length
        return Int32(length)
    }
}
