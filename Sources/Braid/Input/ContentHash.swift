import COpenSSL

/// The MD5 of an item's content, as `llm` computes its `content_hash`: of a text's UTF-8 bytes, of a file's or a
/// tar member's bytes. A store compares it with the one it holds to skip an item whose content did not change.
/// MD5 serves as llm's checksum, not as a defence against forged collisions.
enum ContentHash {
    /// Bytes a file is read in while it is hashed.
    private static let chunk = 1 << 20

    /// nil for content that cannot be read twice (stdin), that has no bytes (already decoded media, an item of
    /// several parts), or a file that cannot be read (its decoder reports why).
    static func of(_ item: Item) -> [UInt8]? {
        switch item.source {
        case .text(let text): digest { update in update(Array(text.utf8)) }
        case .bytes(let bytes): digest { update in update(bytes) }
        case .file(let path):
            try? digest { update throws(DecodeError) in
                let file = try FileBytes(path: path, id: item.id)
                // Read buffers no larger than the file: most items are small, and a buffer is zeroed first.
                var remaining = file.size
                repeat {
                    let bytes = try file.read(upTo: min(chunk, max(remaining, 1)))
                    if bytes.isEmpty { return }
                    update(bytes)
                    remaining -= bytes.count
                } while remaining > 0
            }
        case .stream, .decoded, .parts: nil
        }
    }

    private static func digest<Failure: Error>(
        _ feed: ((_ update: ([UInt8]) -> Void) throws(Failure) -> Void)
    ) throws(Failure) -> [UInt8] {
        let context = EVP_MD_CTX_new()
        defer { EVP_MD_CTX_free(context) }
        EVP_DigestInit_ex(context, EVP_md5(), nil)
        try feed { bytes in _ = bytes.withUnsafeBytes { EVP_DigestUpdate(context, $0.baseAddress, $0.count) } }
        var hash = [UInt8](repeating: 0, count: Int(EVP_MAX_MD_SIZE))
        var length: UInt32 = 0
        EVP_DigestFinal_ex(context, &hash, &length)
        return Array(hash.prefix(Int(length)))
    }
}
