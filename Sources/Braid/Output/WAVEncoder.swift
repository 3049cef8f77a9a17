import CSndFile

/// Writes audio as a 32-bit float WAV with libsndfile, so decoded samples survive unchanged.
public enum WAVEncoder {
    public struct Failure: Error, CustomStringConvertible {
        public let description: String
    }

    public static func write(_ audio: Audio, to path: String) throws {
        try AtomicFile.write(to: path) { temporary in
            var format = SF_INFO()
            format.samplerate = Int32(audio.sampleRate)
            format.channels = Int32(audio.channels)
            format.format = Int32(SF_FORMAT_WAV | SF_FORMAT_FLOAT)
            guard let handle = sf_open(temporary, Int32(SFM_WRITE), &format) else {
                throw Failure(description: "\(path): \(String(cString: sf_strerror(nil)))")
            }
            let written = audio.samples.withUnsafeBufferPointer {
                sf_writef_float(handle, $0.baseAddress, sf_count_t(audio.frameCount))
            }
            let closed = sf_close(handle)
            guard written == sf_count_t(audio.frameCount), closed == 0 else {
                throw Failure(description: "\(path): could not write all \(audio.frameCount) frames")
            }
        }
    }
}
