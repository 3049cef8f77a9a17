import Foundation

/// preprocessor_config.json of a CLIP checkpoint (`CLIPImageProcessor`, or the older `CLIPFeatureExtractor`);
/// the keys are the file's and an absent key takes transformers' default.
public struct CLIPImageProcessorConfiguration: Decodable, Sendable, Equatable {
    /// `size` or `crop_size`: a dictionary, or a bare number in older files.
    public enum Size: Decodable, Sendable, Equatable {
        /// Resize so that the shorter side has this length, keeping the aspect ratio.
        case shortestEdge(Int)
        case exact(height: Int, width: Int)

        public init(from decoder: any Decoder) throws {
            if let side = try? decoder.singleValueContainer().decode(Int.self) {
                self = .shortestEdge(side)
                return
            }
            let sides = try decoder.singleValueContainer().decode([String: Int].self)
            if let side = sides["shortest_edge"] {
                self = .shortestEdge(side)
            } else if let height = sides["height"], let width = sides["width"] {
                self = .exact(height: height, width: width)
            } else {
                throw DecodingError.dataCorrupted(
                    .init(
                        codingPath: decoder.codingPath,
                        debugDescription: "expected 'shortest_edge', or 'height' and 'width'"))
            }
        }
    }

    public var doResize = true
    public var size = Size.shortestEdge(224)
    /// PIL's resampling filter number: 2 bilinear, 3 bicubic.
    public var resample = 3
    public var doCenterCrop = true
    public var cropSize = Size.exact(height: 224, width: 224)
    public var doRescale = true
    public var rescaleFactor = 1.0 / 255
    public var doNormalize = true
    public var imageMean: [Float] = [0.481_454_66, 0.457_827_5, 0.408_210_73]
    public var imageStd: [Float] = [0.268_629_54, 0.261_302_58, 0.275_777_11]

    enum CodingKeys: String, CodingKey {
        case doResize = "do_resize"
        case size
        case resample
        case doCenterCrop = "do_center_crop"
        case cropSize = "crop_size"
        case doRescale = "do_rescale"
        case rescaleFactor = "rescale_factor"
        case doNormalize = "do_normalize"
        case imageMean = "image_mean"
        case imageStd = "image_std"
    }

    public init() {}

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        doResize = try container.decode(.doResize, or: doResize)
        size = try container.decode(.size, or: size)
        resample = try container.decode(.resample, or: resample)
        doCenterCrop = try container.decode(.doCenterCrop, or: doCenterCrop)
        // A bare number is a square crop here, unlike `size`.
        if let side = try? container.decode(Int.self, forKey: .cropSize) {
            cropSize = .exact(height: side, width: side)
        } else {
            cropSize = try container.decode(.cropSize, or: cropSize)
        }
        doRescale = try container.decode(.doRescale, or: doRescale)
        rescaleFactor = try container.decode(.rescaleFactor, or: rescaleFactor)
        doNormalize = try container.decode(.doNormalize, or: doNormalize)
        imageMean = try container.decode(.imageMean, or: imageMean)
        imageStd = try container.decode(.imageStd, or: imageStd)
    }
}

/// Turns an image into the pixel tensor a CLIP vision tower reads, as transformers' `CLIPImageProcessor` does
/// with its PIL backend: RGB (grey replicated, alpha dropped); the shorter side resized to `size` with the
/// checkpoint's filter (the long side to `int(size · long / short)`); a centre crop (offsets rounded down, zero
/// padding where the image is smaller); then `(v · rescale_factor − mean) / std` per channel.
public struct CLIPImageProcessor: Sendable {
    public let configuration: CLIPImageProcessorConfiguration
    let filter: ConvolutionResampler.Filter

    /// - Throws: `ModelError` naming `path` for a filter other than bilinear and bicubic, sizes that are not
    ///   positive, or a mean and std that are not three values each (std positive).
    public init(configuration: CLIPImageProcessorConfiguration, path: String) throws {
        switch configuration.resample {
        case 2: filter = .bilinear
        case 3: filter = .bicubic
        default:
            throw ModelError(path, .unsupported("resample \(configuration.resample) (Braid has bilinear 2 and bicubic 3)"))
        }
        func positive(_ size: CLIPImageProcessorConfiguration.Size) -> Bool {
            switch size {
            case .shortestEdge(let side): side > 0
            case .exact(let height, let width): height > 0 && width > 0
            }
        }
        guard positive(configuration.size), positive(configuration.cropSize) else {
            throw ModelError(path, .invalid("size and crop_size must be positive"))
        }
        guard configuration.imageMean.count == 3, configuration.imageStd.count == 3,
            configuration.imageStd.allSatisfy({ $0 > 0 })
        else {
            throw ModelError(path, .invalid("image_mean and image_std must hold 3 values each, std positive"))
        }
        self.configuration = configuration
    }

    /// The height and width of every tensor `pixelValues` returns, when fixed by a crop or an exact size.
    public var outputSize: (height: Int, width: Int)? {
        if configuration.doCenterCrop, case .exact(let height, let width) = configuration.cropSize {
            return (height, width)
        }
        if configuration.doResize, case .exact(let height, let width) = configuration.size { return (height, width) }
        return nil
    }

    /// - Returns: `(3, H, W)`, channel-first, row-major.
    /// - Throws: `EncodeError.nothingToEncode` for an image without pixels.
    public func pixelValues(_ image: Image, encoder: String) throws -> [Float] {
        guard image.pixelCount > 0 else { throw EncodeError.nothingToEncode(encoder: encoder, reason: "the image has no pixels") }
        var (rgb, height, width) = (image.rgbBytes(), image.height, image.width)
        if configuration.doResize {
            let (targetHeight, targetWidth) = resizedSize(height: height, width: width)
            rgb = ConvolutionResampler.resize(
                rgb, width: width, height: height, toWidth: targetWidth, height: targetHeight, filter: filter)
            (height, width) = (targetHeight, targetWidth)
        }
        var (top, left, outputHeight, outputWidth) = (0, 0, height, width)
        if configuration.doCenterCrop, case .exact(let cropHeight, let cropWidth) = configuration.cropSize {
            // Negative offsets when the image is smaller: those rows and columns are the zero padding.
            (top, left) = (Self.floorHalf(height - cropHeight), Self.floorHalf(width - cropWidth))
            (outputHeight, outputWidth) = (cropHeight, cropWidth)
        }
        let scale = configuration.doRescale ? configuration.rescaleFactor : 1
        let mean = configuration.doNormalize ? configuration.imageMean : [0, 0, 0]
        let std = configuration.doNormalize ? configuration.imageStd : [1, 1, 1]
        var pixels = [Float](repeating: 0, count: 3 * outputHeight * outputWidth)
        for channel in 0..<3 {
            // Every value a byte can become, computed as transformers does: rescaled in float64 and rounded to
            // float32, then normalised in float32. The zero padding is byte 0.
            let normalized = (0...255).map { (Float(Double($0) * scale) - mean[channel]) / std[channel] }
            let plane = channel * outputHeight * outputWidth
            for y in 0..<outputHeight {
                let sourceY = y + top
                for x in 0..<outputWidth {
                    let sourceX = x + left
                    let inside = sourceY >= 0 && sourceY < height && sourceX >= 0 && sourceX < width
                    let byte = inside ? Int(rgb[(sourceY * width + sourceX) * 3 + channel]) : 0
                    pixels[plane + y * outputWidth + x] = normalized[byte]
                }
            }
        }
        return pixels
    }

    /// The size `resize` gives: transformers' `get_resize_output_image_size` without `max_size`.
    func resizedSize(height: Int, width: Int) -> (height: Int, width: Int) {
        switch configuration.size {
        case .exact(let height, let width):
            return (height, width)
        case .shortestEdge(let side):
            let (short, long) = (min(width, height), max(width, height))
            let newLong = Int(Double(side) * Double(long) / Double(short))
            return width <= height ? (newLong, side) : (side, newLong)
        }
    }

    /// Python's `n // 2`, which rounds toward minus infinity.
    private static func floorHalf(_ value: Int) -> Int {
        value >= 0 ? value / 2 : -((-value + 1) / 2)
    }
}
