/// The images the generative models read and write: `size`×`size` grey digits, bright ink on a dark field, values in
/// [0, 1], row-major.
///
/// An image already in that form (MNIST's own digits: one channel, the field's size, a dark border) is taken as it
/// is, so that the models see exactly the pixels their metrics are stated on; any other image (a photo of a digit on
/// paper, another size, colour) is brought to it by ``DigitImageFrontEnd``, as the classifier's input is.
struct DigitCanvas: Sendable, Equatable {
    var frontEnd = DigitImageFrontEnd()

    var side: Int { frontEnd.size }
    var pixelCount: Int { side * side }

    /// - Throws: `EncodeError` when the media is not an image, or holds no digit.
    func pixels(of media: Media, encoder: String) throws -> [Float] {
        if case .image(let image) = media, image.width == side, image.height == side, image.channels == 1 {
            let pixels = image.floatSamples
            if DigitImageFrontEnd.borderMedian(pixels, width: side, height: side) <= 0.5 { return pixels }
        }
        return try frontEnd.example(from: media, encoder: encoder)
    }

    /// Pixels in [0, 1] (clamped) as an 8-bit grey image.
    func image(_ pixels: some Collection<Float>) -> Image {
        Image(
            width: side, height: side, channels: 1,
            bytes: pixels.map { UInt8((min(1, max(0, $0)) * 255).rounded()) })
    }
}

extension DigitCanvas {
    /// Each decoded image's canvas, as the training loop's examples.
    var exampleFrontEnd: ExampleSet.FrontEnd {
        ExampleSet.decoding { [self] media, _ in try pixels(of: media, encoder: GenerativeNetwork.encoderName) }
    }
}
