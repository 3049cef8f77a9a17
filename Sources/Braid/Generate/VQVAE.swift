import BraidTensor

/// A VQ-VAE (van den Oord, Vinyals & Kavukcuoglu, "Neural Discrete Representation Learning", 2017) for digits: a
/// convolutional encoder maps the image to a grid of vectors, each is replaced by its nearest of K learned codes, and
/// a convolutional decoder draws the image back from the codes. A digit becomes G×G small integers, which
/// ``CodePrior`` learns to write.
///
///     (B, 1, S, S) ─ conv 4×4/2 ReLU (B, C₀, S/2, S/2) ─ conv 4×4/2 ReLU (B, C₁, G, G) ─ conv 3×3 ReLU ─ conv 1×1 ─▶ z (B, D, G, G)
///     z ─ quantizer ─▶ codes (B, G, G), q (B, D, G, G)
///     q ─ conv 3×3 ReLU (B, C₁, G, G) ─ transposed conv 4×4/2 ReLU (B, C₀, S/2, S/2) ─ transposed conv 4×4/2 ─▶ logits (B, 1, S, S)
///
/// Between its convolutions the activations stay in the layout the convolution kernels work in
/// (``ImageLayout/convolutionPreferred``, channels in blocks of 8 or 16, so (B, C/b, H, W, b)); the one-channel
/// images at either end are the same in every layout. The weights are PyTorch's in any layout.
///
/// Dimension legend: B batch, S input side (28), C₀, C₁ widths (32, 64), G = S/4 grid side (7), D code width (16),
/// K codes (64), b channels per block.
struct VQVAE: Sendable {
    /// The network's part of `config.json`.
    struct Configuration: Codable, Sendable, Equatable {
        var inputSize = 28
        var channels = [32, 64]
        var codeSize = 16
        var codebookSize = 64
        /// β, the weight of the commitment loss.
        var commitment: Float = 0.25
        var codebook = CodebookMaintenance.Settings()

        enum CodingKeys: String, CodingKey {
            case inputSize = "input_size"
            case channels
            case codeSize = "code_size"
            case codebookSize = "codebook_size"
            case commitment, codebook
        }
    }

    let configuration: Configuration
    /// The activations' layout.
    let layout = ImageLayout.convolutionPreferred
    let encoder: [Conv2d]
    let quantizer: VectorQuantizer
    let decoderInput: Conv2d
    let decoder: [ConvTranspose2d]

    init(configuration: Configuration, scope: WeightScope) throws {
        self.configuration = configuration
        let (narrow, wide, code) = (configuration.channels[0], configuration.channels[1], configuration.codeSize)
        let encoderScope = scope.scope("encoder")
        encoder = [
            try Conv2d(
                scope: encoderScope.scope("0"), inChannels: 1, outChannels: narrow, kernel: 4, stride: 2, padding: 1,
                layout: layout),
            try Conv2d(
                scope: encoderScope.scope("1"), inChannels: narrow, outChannels: wide, kernel: 4, stride: 2, padding: 1,
                layout: layout),
            try Conv2d(
                scope: encoderScope.scope("2"), inChannels: wide, outChannels: wide, kernel: 3, padding: 1,
                layout: layout),
            try Conv2d(scope: encoderScope.scope("3"), inChannels: wide, outChannels: code, kernel: 1, layout: layout),
        ]
        quantizer = try VectorQuantizer(
            scope: scope.scope("quantizer"), count: configuration.codebookSize, dimension: code,
            learnsByGradient: configuration.codebook.emaDecay == nil)
        let decoderScope = scope.scope("decoder")
        decoderInput = try Conv2d(
            scope: decoderScope.scope("0"), inChannels: code, outChannels: wide, kernel: 3, padding: 1, layout: layout)
        decoder = [
            try ConvTranspose2d(
                scope: decoderScope.scope("1"), inChannels: wide, outChannels: narrow, kernel: 4, stride: 2, padding: 1,
                layout: layout),
            try ConvTranspose2d(
                scope: decoderScope.scope("2"), inChannels: narrow, outChannels: 1, kernel: 4, stride: 2, padding: 1,
                layout: layout),
        ]
    }

    /// G, the side of the code grid.
    var gridSide: Int { configuration.inputSize / 4 }

    /// - Parameter images: (B, 1, S, S).
    /// - Returns: z, (B, D, G, G) in ``layout``.
    func encode(_ images: Tensor) -> Tensor {
        encoder.enumerated().reduce(images) { x, layer in
            layer.element(x, activation: layer.offset < encoder.count - 1 ? .relu : nil)
        }
    }

    /// Quantises z (B, D, G, G) in ``layout``; the output's `quantized` is (B·G·G, D), rows in (b, y, x) order, as
    /// are its codes.
    func quantize(_ z: Tensor) -> VectorQuantizer.Output {
        quantizer(layout.pixelRows(z))
    }

    /// - Parameter quantized: (B·G·G, D), rows in (b, y, x) order.
    /// - Returns: The pixels' logits, (B, 1, S, S).
    func decodeLogits(_ quantized: Tensor) -> Tensor {
        let grid = layout.images(fromPixelRows: quantized, height: gridSide, width: gridSide)
        let hidden = decoderInput(grid, activation: .relu)
        return decoder[1](decoder[0](hidden, activation: .relu))
    }

    /// Draws images from code grids: `codes` holds B·G·G codes in (b, y, x) order.
    /// - Returns: Pixels in [0, 1], (B, 1, S, S).
    func decode(codes: [Int]) -> Tensor {
        decodeLogits(quantizer.vectors(of: codes)).sigmoid()
    }
}
