/// The flat Float32 buffer behind one or more tensors. Views (reshapes, leading-axis slices,
/// memory-mapped checkpoint tensors) share a storage and differ only in offset and shape.
///
/// Storage is either allocated here (and freed on deinit) or borrowed from an `owner` that keeps
/// the memory alive, such as a memory-mapped safetensors file.
final class TensorStorage: @unchecked Sendable {
    let base: UnsafeMutablePointer<Float>
    let count: Int
    /// Keeps borrowed memory alive; `nil` when `base` was allocated by this storage.
    private let owner: AnyObject?

    /// Allocates `count` elements, left uninitialised: callers write every element before reading.
    init(uninitializedCount count: Int) {
        base = Allocation.floats(count)
        self.count = count
        owner = nil
    }

    /// Allocates `count` elements set to `value`.
    convenience init(count: Int, repeating value: Float) {
        self.init(uninitializedCount: count)
        base.initialize(repeating: value, count: count)
    }

    /// Borrows `count` elements at `base` that `owner` keeps alive (no copy).
    init(borrowing base: UnsafeMutablePointer<Float>, count: Int, owner: AnyObject) {
        self.base = base
        self.count = count
        self.owner = owner
    }

    deinit {
        if owner == nil { base.deallocate() }
    }
}
