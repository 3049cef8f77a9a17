/// Checks a WAV file's RIFF chunk sizes against its real length.
///
/// libsndfile quietly shortens a `data` chunk that runs past the end of the file; Braid reports
/// such a file as truncated instead of decoding part of it without a word.
enum WAVHeader {
    static func validate<Bytes: Collection>(head: Bytes, fileSize: Int, id: String) throws(DecodeError)
    where Bytes.Element == UInt8 {
        let bytes = Array(head)
        guard fileSize > 0 else { throw DecodeError(id, .empty) }
        guard bytes.count >= 12, bytes[8..<12].elementsEqual("WAVE".utf8),
            bytes[0..<4].elementsEqual("RIFF".utf8) || bytes[0..<4].elementsEqual("RF64".utf8)
        else { throw DecodeError(id, .notA(.wav, because: "no RIFF/WAVE header")) }
        let isRF64 = bytes[0..<4].elementsEqual("RF64".utf8)
        var offset = 12
        while offset + 8 <= bytes.count {
            let size =
                Int(bytes[offset + 4]) | Int(bytes[offset + 5]) << 8 | Int(bytes[offset + 6]) << 16
                | Int(bytes[offset + 7]) << 24
            let isData = bytes[offset..<offset + 4].elementsEqual("data".utf8)
            if isData {
                // RF64 and streamed WAVs put a placeholder here; libsndfile knows the real size.
                if isRF64 || size == 0xFFFF_FFFF || size == 0 { return }
                let available = fileSize - (offset + 8)
                guard size <= available else {
                    throw DecodeError(
                        id, .truncated("data chunk declares \(size) bytes, file holds \(max(0, available))"))
                }
                return
            }
            offset += 8 + size + (size & 1)
        }
        guard offset < fileSize else { throw DecodeError(id, .truncated("no data chunk before the end of the file")) }
    }
}
