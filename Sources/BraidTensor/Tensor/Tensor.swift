/// A Float32 tensor on the CPU: a shape over contiguous row-major storage.
///
/// Tensors are reference types because the autodiff tape points at them: an op's output remembers
/// its inputs and how to send a gradient back to them (`gradNode`). Reshapes and leading-axis
/// slices are views that share storage; other movement ops (permute, concat) copy.
///
/// A tensor is `Sendable` so models can move between pipeline tasks; it is not synchronised, so do
/// not update one tensor (an optimizer step, `grad`) from two tasks at once.
public final class Tensor: @unchecked Sendable {
    /// The length of each dimension, outermost first. `[]` is a scalar.
    public let shape: [Int]
    let storage: TensorStorage
    /// Index of the first element in `storage`.
    let offset: Int
    /// Whether `backward()` should compute a gradient for this tensor. Parameters set it; op outputs
    /// inherit it from their inputs while grad mode is on.
    public var requiresGrad: Bool
    /// The gradient accumulated by `backward()` for a leaf tensor that `requiresGrad`.
    public var grad: Tensor?
    /// How this tensor was computed, when it was computed from tensors that require a gradient.
    var gradNode: GradNode?

    init(storage: TensorStorage, offset: Int = 0, shape: [Int], requiresGrad: Bool = false) {
        precondition(shape.allSatisfy { $0 >= 0 }, "negative dimension in \(shape)")
        precondition(offset + Shape.count(shape) <= storage.count, "view \(shape) exceeds its storage")
        self.storage = storage
        self.offset = offset
        self.shape = shape
        self.requiresGrad = requiresGrad
    }

    /// A tensor whose elements are to be written by the caller before any read.
    static func uninitialized(_ shape: [Int]) -> Tensor {
        Tensor(storage: TensorStorage(uninitializedCount: Shape.count(shape)), shape: shape)
    }

    /// Creates a tensor from row-major `scalars`.
    /// - Parameters:
    ///   - scalars: The elements, last dimension fastest; exactly `Shape.count(shape)` of them.
    ///   - shape: The dimensions.
    ///   - requiresGrad: Whether `backward()` should fill `grad` for this tensor.
    public convenience init(_ scalars: [Float], shape: [Int], requiresGrad: Bool = false) {
        precondition(scalars.count == Shape.count(shape), "\(scalars.count) scalars do not fill shape \(shape)")
        let storage = TensorStorage(uninitializedCount: scalars.count)
        scalars.withUnsafeBufferPointer { source in
            if let start = source.baseAddress { storage.base.initialize(from: start, count: source.count) }
        }
        self.init(storage: storage, shape: shape, requiresGrad: requiresGrad)
    }

    /// Creates a rank-0 tensor holding `value`.
    public convenience init(scalar value: Float) {
        self.init([value], shape: [])
    }

    /// A tensor of `shape` with every element `value`.
    public convenience init(repeating value: Float, shape: [Int], requiresGrad: Bool = false) {
        self.init(
            storage: TensorStorage(count: Shape.count(shape), repeating: value), shape: shape,
            requiresGrad: requiresGrad)
    }

    /// A tensor of zeros.
    public static func zeros(_ shape: [Int]) -> Tensor { Tensor(repeating: 0, shape: shape) }

    /// A tensor of ones.
    public static func ones(_ shape: [Int]) -> Tensor { Tensor(repeating: 1, shape: shape) }

    /// Samples from a normal distribution with the given mean and standard deviation.
    public static func randomNormal(
        _ shape: [Int], mean: Float = 0, standardDeviation: Float = 1, using rng: inout SeededRNG
    ) -> Tensor {
        let result = uninitialized(shape)
        rng.fillNormal(UnsafeMutableBufferPointer(start: result.pointer, count: result.count))
        for index in 0..<result.count { result.pointer[index] = mean + standardDeviation * result.pointer[index] }
        return result
    }

    /// Samples uniformly from `[low, high)`.
    public static func randomUniform(
        _ shape: [Int], low: Float = 0, high: Float = 1, using rng: inout SeededRNG
    ) -> Tensor {
        let result = uninitialized(shape)
        for index in 0..<result.count { result.pointer[index] = low + (high - low) * rng.nextUniform() }
        return result
    }

    /// The number of elements.
    public var count: Int { Shape.count(shape) }

    /// The number of dimensions.
    public var rank: Int { shape.count }

    /// The first element, read/write through the storage (shared with every view of it).
    var pointer: UnsafeMutablePointer<Float> { storage.base + offset }

    /// The elements, row-major, copied into an array.
    public var scalars: [Float] { Array(UnsafeBufferPointer(start: pointer, count: count)) }

    /// The only element of a one-element tensor (a loss, a norm).
    public var item: Float {
        precondition(count == 1, "item of a tensor of shape \(shape)")
        return pointer.pointee
    }

    /// Calls `body` with the elements, without copying them.
    public func withUnsafeBufferPointer<Result>(
        _ body: (UnsafeBufferPointer<Float>) throws -> Result
    ) rethrows -> Result {
        try body(UnsafeBufferPointer(start: pointer, count: count))
    }

    /// Calls `body` with the elements for writing in place (optimizers, loaders). Writes bypass the
    /// tape, so only use this on leaves outside a recorded computation.
    public func withUnsafeMutableBufferPointer<Result>(
        _ body: (UnsafeMutableBufferPointer<Float>) throws -> Result
    ) rethrows -> Result {
        try body(UnsafeMutableBufferPointer(start: pointer, count: count))
    }

    /// The same elements, cut off from the tape: gradients do not flow through the result.
    public func detached() -> Tensor {
        Tensor(storage: storage, offset: offset, shape: shape)
    }

    /// A copy with its own storage, cut off from the tape.
    public func copied() -> Tensor {
        let result = Tensor.uninitialized(shape)
        result.pointer.update(from: pointer, count: count)
        return result
    }
}

extension Tensor: CustomStringConvertible {
    /// The shape and up to the first eight elements, for diagnostics.
    public var description: String {
        let shown = scalars.prefix(8).map { "\($0)" }.joined(separator: ", ")
        return "Tensor(shape: \(shape), [\(shown)\(count > 8 ? ", …" : "")])"
    }
}
