import CFFmpeg
import Foundation

/// How `ffmpeg` shows a video whose stream carries a display matrix (a phone held upright records its frames on
/// their side and says so in the matrix): the rotation it reads and the turn its `-autorotate` (on by default)
/// applies, decided as ffmpeg 5's `fftools` decides it.
struct DisplayMatrix {
    /// Clockwise degrees in [0, 360), as ffmpeg rounds them; nil when the matrix has no rotation (a zero scale).
    let rotation: Double?
    /// The turn that shows the frames as ffmpeg shows them; nil at an angle that is not a multiple of 90°, which
    /// ffmpeg resamples with its `rotate` filter and Braid leaves as stored.
    let turn: ExifOrientation?

    init?(of stream: UnsafeMutablePointer<AVStream>) {
        var size: Int = 0
        guard let data = av_stream_get_side_data(stream, AV_PKT_DATA_DISPLAYMATRIX, &size), size >= 9 * 4 else {
            return nil
        }
        let matrix = UnsafeRawPointer(data).assumingMemoryBound(to: Int32.self)
        let counterclockwise = av_display_rotation_get(matrix)
        guard !counterclockwise.isNaN else {
            (rotation, turn) = (nil, .normal)
            return
        }
        var theta = -counterclockwise.rounded()
        theta -= 360 * floor(theta / 360 + 0.9 / 360)
        rotation = theta
        // The matrix's own signs say whether a mirror comes with the rotation: [0] and [4] scale x and y, [3] is
        // the sine term whose sign tells a transpose from a rotation.
        let (scaleX, sine, scaleY) = (matrix[0], matrix[3], matrix[4])
        turn =
            if abs(theta - 90) < 1 {
                sine > 0 ? .transposed : .rotatedClockwise
            } else if abs(theta - 180) < 1 {
                switch (scaleX < 0, scaleY < 0) {
                case (true, true): .rotated180
                case (true, false): .mirrored
                case (false, true): .flipped
                case (false, false): .normal
                }
            } else if abs(theta - 270) < 1 {
                sine < 0 ? .transversed : .rotatedAnticlockwise
            } else if abs(theta) < 1 {
                scaleY < 0 ? .flipped : .normal
            } else {
                nil
            }
    }
}

/// Turns decoded frames plane by plane in their own pixel format, before the conversion to RGB: the order of
/// ffmpeg's `transpose`, `hflip` and `vflip` filters ahead of its scaler, so that the RGB frames equal ffmpeg's.
final class FrameTurner {
    let turn: ExifOrientation
    private var buffer: UnsafeMutablePointer<AVFrame>? = av_frame_alloc()

    init(_ turn: ExifOrientation) {
        self.turn = turn
    }

    deinit { av_frame_free(&buffer) }

    /// The frame turned, in a buffer this turner reuses; nil when its pixel format cannot be turned plane by plane
    /// (paletted, bit-packed, or packed with shared chroma such as YUYV, or chroma subsampled unequally across
    /// and down for a turn that swaps the sides). The caller then turns the RGB image instead.
    func turned(_ frame: UnsafeMutablePointer<AVFrame>) -> UnsafeMutablePointer<AVFrame>? {
        guard let turned = buffer, let descriptor = av_pix_fmt_desc_get(AVPixelFormat(frame.pointee.format)) else { return nil }
        let format = descriptor.pointee
        let unsupported = UInt64(AV_PIX_FMT_FLAG_PAL) | UInt64(AV_PIX_FMT_FLAG_BITSTREAM) | UInt64(AV_PIX_FMT_FLAG_HWACCEL)
        let (across, down) = (Int(format.log2_chroma_w), Int(format.log2_chroma_h))
        let planar = format.flags & UInt64(AV_PIX_FMT_FLAG_PLANAR) != 0
        guard format.flags & unsupported == 0, planar || (across == 0 && down == 0),
            !turn.swapsSides || across == down
        else { return nil }
        let (width, height) = (Int(frame.pointee.width), Int(frame.pointee.height))
        let (shownWidth, shownHeight) = turn.swapsSides ? (height, width) : (width, height)
        if turned.pointee.format != frame.pointee.format || Int(turned.pointee.width) != shownWidth
            || Int(turned.pointee.height) != shownHeight
        {
            av_frame_unref(turned)
            turned.pointee.format = frame.pointee.format
            turned.pointee.width = Int32(shownWidth)
            turned.pointee.height = Int32(shownHeight)
            guard av_frame_get_buffer(turned, 0) >= 0 else { return nil }
        }
        var pixelSteps = [Int32](repeating: 0, count: 4)
        av_image_fill_max_pixsteps(&pixelSteps, nil, descriptor)
        let source = Self.planes(frame)
        let destination = Self.planes(turned)
        for plane in 0..<4 {
            guard let from = source.data[plane], let to = destination.data[plane] else { continue }
            let isChroma = plane == 1 || plane == 2
            // AV_CEIL_RSHIFT: a chroma plane of an odd-sized frame covers the last half pixel.
            let planeWidth = isChroma ? -((-width) >> across) : width
            let planeHeight = isChroma ? -((-height) >> down) : height
            turn.apply(
                width: planeWidth, height: planeHeight, pixelBytes: Int(pixelSteps[plane]), from: from,
                stride: source.strides[plane], to: to, stride: destination.strides[plane])
        }
        return turned
    }

    private static func planes(
        _ frame: UnsafeMutablePointer<AVFrame>
    ) -> (data: [UnsafeMutablePointer<UInt8>?], strides: [Int]) {
        let data = withUnsafeBytes(of: frame.pointee.data) { Array($0.bindMemory(to: UnsafeMutablePointer<UInt8>?.self)) }
        let strides = withUnsafeBytes(of: frame.pointee.linesize) { $0.bindMemory(to: Int32.self).map(Int.init) }
        return (data, strides)
    }
}
