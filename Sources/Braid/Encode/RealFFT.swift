import CFFmpeg

/// A forward real-to-complex DFT of fixed size by FFmpeg's `av_tx` (`AV_TX_FLOAT_RDFT`), unnormalised:
/// `output[k] = Σ_n input[n] · e^(-2πi·k·n/size)` for k in 0...size/2.
///
/// Holds FFmpeg state and scratch buffers, so it is neither `Sendable` nor shared: each encode call makes its own.
final class RealFFT {
    let size: Int
    /// `size` real samples to transform; av_tx needs CPU-aligned buffers, hence `av_malloc`.
    let input: UnsafeMutableBufferPointer<Float>
    /// `size / 2 + 1` complex bins, filled by `transform()`.
    let output: UnsafeMutableBufferPointer<AVComplexFloat>
    private var context: OpaquePointer?
    private let function: av_tx_fn

    /// - Parameter size: The transform length; av_tx handles any size, powers of two fastest.
    /// - Throws: `EncodeError.transformUnavailable` when FFmpeg cannot allocate or set up the transform.
    init(size: Int, encoder: String) throws {
        guard size >= 2, let length = Int32(exactly: size),
            let inputMemory = av_malloc(size * MemoryLayout<Float>.stride)
        else {
            throw EncodeError.transformUnavailable(encoder: encoder, size: size, code: braid_averror(ENOMEM))
        }
        guard let outputMemory = av_malloc((size / 2 + 1) * MemoryLayout<AVComplexFloat>.stride) else {
            av_free(inputMemory)
            throw EncodeError.transformUnavailable(encoder: encoder, size: size, code: braid_averror(ENOMEM))
        }
        var context: OpaquePointer?
        var function: av_tx_fn?
        var scale: Float = 1
        let status = av_tx_init(&context, &function, AV_TX_FLOAT_RDFT, 0, length, &scale, 0)
        guard status >= 0, let function else {
            av_tx_uninit(&context)
            av_free(inputMemory)
            av_free(outputMemory)
            throw EncodeError.transformUnavailable(encoder: encoder, size: size, code: status)
        }
        self.size = size
        self.context = context
        self.function = function
        input = UnsafeMutableBufferPointer(start: inputMemory.bindMemory(to: Float.self, capacity: size), count: size)
        output = UnsafeMutableBufferPointer(
            start: outputMemory.bindMemory(to: AVComplexFloat.self, capacity: size / 2 + 1), count: size / 2 + 1)
        input.initialize(repeating: 0)
        output.initialize(repeating: AVComplexFloat(re: 0, im: 0))
    }

    /// Transforms `input` into `output`.
    func transform() {
        // For real-to-complex transforms the stride is the size of one input sample (libavutil/tx.h).
        function(context, output.baseAddress, input.baseAddress, MemoryLayout<Float>.stride)
    }

    deinit {
        av_tx_uninit(&context)
        av_free(input.baseAddress)
        av_free(output.baseAddress)
    }
}
