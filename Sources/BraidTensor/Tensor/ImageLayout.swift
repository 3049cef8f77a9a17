#if !canImport(Accelerate)
    import CDNNL
#endif

/// How a batch of images with C channels lies in memory, as the convolutions read and write it.
///
/// oneDNN's fastest convolution kernels work on channels in blocks of 8 (AVX2) or 16 (AVX-512): each pixel's
/// channels of one block side by side. A network that keeps its activations that way between convolutions saves
/// the two reorders per tensor that channels-first activations cost around every kernel; elementwise functions
/// do not care how the values lie. In an epoch of the VQ-VAE's training on 2 cores (AVX-512), oneDNN's time went
/// from 11.0 s to 8.5 s: the reorders of activations (1.7 s) went, and the kernels ran faster too.
///
/// Dimension legend: N batch, C channels, H×W image size, b channels per block.
public enum ImageLayout: Sendable, Hashable {
    /// `(N, C, H, W)`: one plane per channel, PyTorch's default.
    case channelsFirst
    /// `(N, C/b, H, W, b)` for a C that b divides; channels first for any other C (a one-channel image).
    case channelBlocks(Int)

    /// The layout that suits the convolution kernels of this machine: blocks as wide as oneDNN's vectors, or
    /// channels first where oneDNN is not linked.
    public static let convolutionPreferred: ImageLayout = {
        #if canImport(Accelerate)
            return .channelsFirst
        #else
            let isa = dnnl_get_effective_cpu_isa().rawValue
            let avx512 = dnnl_cpu_isa_avx512_core.rawValue
            return .channelBlocks(isa & avx512 == avx512 ? 16 : 8)
        #endif
    }()

    /// b, when `channels` are kept in blocks; nil when they lie channels first.
    func blockSize(channels: Int) -> Int? {
        guard case .channelBlocks(let size) = self, channels % size == 0 else { return nil }
        return size
    }

    /// The shape of `batch` images of `channels` channels in this layout.
    public func shape(batch: Int, channels: Int, height: Int, width: Int) -> [Int] {
        guard let block = blockSize(channels: channels) else { return [batch, channels, height, width] }
        return [batch, channels / block, height, width, block]
    }

    /// `(channels, height, width)` of images in this layout, from their shape.
    func channelsHeightWidth(of shape: [Int]) -> (channels: Int, height: Int, width: Int) {
        shape.count == 5 ? (shape[1] * shape[4], shape[2], shape[3]) : (shape[1], shape[2], shape[3])
    }

    /// Images in this layout as `(N, C, H, W)`.
    public func channelsFirst(_ images: Tensor) -> Tensor {
        guard images.rank == 5 else { return images }
        let (channels, height, width) = channelsHeightWidth(of: images.shape)
        // (N, C/b, H, W, b) -> (N, C/b, b, H, W) -> (N, C, H, W)
        return images.permuted([0, 1, 4, 2, 3]).reshaped([images.shape[0], channels, height, width])
    }

    /// `(N, C, H, W)` images in this layout.
    public func arrange(_ images: Tensor) -> Tensor {
        let (batch, channels, height, width) = (images.shape[0], images.shape[1], images.shape[2], images.shape[3])
        guard let block = blockSize(channels: channels) else { return images }
        // (N, C, H, W) -> (N, C/b, b, H, W) -> (N, C/b, H, W, b)
        return images.reshaped([batch, channels / block, block, height, width]).permuted([0, 1, 3, 4, 2])
    }

    /// Images in this layout as one row of C values per pixel, `(N·H·W, C)`, rows in (n, y, x) order.
    public func pixelRows(_ images: Tensor) -> Tensor {
        let (channels, _, _) = channelsHeightWidth(of: images.shape)
        // (N, C/b, H, W, b) -> (N, H, W, C/b, b), or (N, C, H, W) -> (N, H, W, C); then (N·H·W, C).
        let pixelsFirst = images.rank == 5 ? images.permuted([0, 2, 3, 1, 4]) : images.permuted([0, 2, 3, 1])
        return pixelsFirst.reshaped([-1, channels])
    }

    /// Rows of C values per pixel, `(N·H·W, C)` in (n, y, x) order, as images of `height × width` in this layout.
    public func images(fromPixelRows rows: Tensor, height: Int, width: Int) -> Tensor {
        let channels = rows.shape[1]
        guard let block = blockSize(channels: channels) else {
            // (N·H·W, C) -> (N, H, W, C) -> (N, C, H, W)
            return rows.reshaped([-1, height, width, channels]).permuted([0, 3, 1, 2])
        }
        // (N·H·W, C) -> (N, H, W, C/b, b) -> (N, C/b, H, W, b)
        return rows.reshaped([-1, height, width, channels / block, block]).permuted([0, 3, 1, 2, 4])
    }
}
