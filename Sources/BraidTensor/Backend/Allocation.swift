#if canImport(Glibc)
    import Glibc
#endif

/// Where tensor buffers come from.
///
/// glibc serves large blocks (above a threshold that only grows to 32 MiB) with a fresh `mmap`
/// and unmaps them on free, so every op output of a few MiB costs page faults and kernel zeroing
/// again on every iteration: that doubled the time of a training step of attention. Raising the
/// mmap and trim thresholds once keeps freed buffers in the heap for reuse. The settings are
/// process-wide, which is what a pipeline of tensor stages wants.
enum Allocation {
    /// Applied once, before the first tensor buffer is allocated.
    private static let heapTuned: Bool = {
        #if canImport(Glibc)
            // mallopt is declared in <malloc.h>, which the Glibc module does not export; look it up.
            typealias MallOpt = @convention(c) (Int32, Int32) -> Int32
            guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "mallopt") else { return true }
            let mallopt = unsafeBitCast(symbol, to: MallOpt.self)
            let (trimThreshold, mmapThreshold): (Int32, Int32) = (-1, -3)  // M_TRIM_THRESHOLD, M_MMAP_THRESHOLD
            let limit: Int32 = 1 << 30  // blocks up to 1 GiB come from, and return to, the heap
            _ = mallopt(mmapThreshold, limit)
            _ = mallopt(trimThreshold, limit)
        #endif
        return true
    }()

    /// Uninitialised room for `count` floats (at least one).
    static func floats(_ count: Int) -> UnsafeMutablePointer<Float> {
        _ = heapTuned
        return .allocate(capacity: Swift.max(count, 1))
    }
}
