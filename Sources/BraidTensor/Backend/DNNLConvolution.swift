#if !canImport(Accelerate)
    import CDNNL
    import Synchronization

    /// conv2d's forward pass and both gradients through oneDNN's convolution primitives, on plain NCHW tensors.
    ///
    /// On the reference machine (AVX-512, one thread) oneDNN runs a 3×3 64→64 convolution, forward and both
    /// gradients, at 64-65 GFLOP/s on 32² and 64² images, where im2col + GEMM reached 65 and 38: its GEMM-based
    /// kernel works through each image in cache-sized pieces, where whole-batch im2col columns (75 MB for 8×64×64²)
    /// spill to memory. Its blocked-layout kernels run faster still (106-110 GFLOP/s), but every call would pay
    /// for reordering inputs, outputs and gradients to and from NCHW.
    ///
    /// Primitives are built once per geometry and thread count (oneDNN sizes their scratch space for the threads
    /// it will use) and shared; oneDNN primitives may run on several threads at once.
    struct DNNLConvolution: Hashable {
        /// One group's geometry: `channels` is C/G.
        let geometry: ConvGeometry
        let batch: Int
        let outChannels: Int
        let groups: Int
        let threads: Int

        /// - Parameters:
        ///   - source: `(N, C, H, W)`.
        ///   - weights: `(O, C/G, kh, kw)`.
        ///   - bias: `(O)`, or nil.
        ///   - destination: `(N, O, outH, outW)`, overwritten.
        func forward(
            source: UnsafePointer<Float>, weights: UnsafePointer<Float>, bias: UnsafePointer<Float>?,
            destination: UnsafeMutablePointer<Float>
        ) {
            let primitives = DNNLConvolutionCache.shared.primitives(for: self)
            var arguments = [
                (DNNL_ARG_SRC, primitives.source, UnsafeMutableRawPointer(mutating: source)),
                (DNNL_ARG_WEIGHTS, primitives.weights, UnsafeMutableRawPointer(mutating: weights)),
                (DNNL_ARG_DST, primitives.destination, UnsafeMutableRawPointer(destination)),
            ]
            if let bias { arguments.append((DNNL_ARG_BIAS, primitives.bias, UnsafeMutableRawPointer(mutating: bias))) }
            DNNLEngine.shared.execute(bias == nil ? primitives.forward : primitives.forwardWithBias, arguments)
        }

        /// The input's gradient, `(N, C, H, W)`, overwritten, from the output's.
        func backwardData(
            outputGradient: UnsafePointer<Float>, weights: UnsafePointer<Float>,
            inputGradient: UnsafeMutablePointer<Float>
        ) {
            let primitives = DNNLConvolutionCache.shared.primitives(for: self)
            DNNLEngine.shared.execute(
                primitives.backwardData,
                [
                    (DNNL_ARG_DIFF_DST, primitives.destination, UnsafeMutableRawPointer(mutating: outputGradient)),
                    (DNNL_ARG_WEIGHTS, primitives.weights, UnsafeMutableRawPointer(mutating: weights)),
                    (DNNL_ARG_DIFF_SRC, primitives.source, UnsafeMutableRawPointer(inputGradient)),
                ])
        }

        /// The weights' gradient, `(O, C/G, kh, kw)`, overwritten, from the output's and the forward input.
        func backwardWeights(
            source: UnsafePointer<Float>, outputGradient: UnsafePointer<Float>,
            weightGradient: UnsafeMutablePointer<Float>
        ) {
            let primitives = DNNLConvolutionCache.shared.primitives(for: self)
            DNNLEngine.shared.execute(
                primitives.backwardWeights,
                [
                    (DNNL_ARG_SRC, primitives.source, UnsafeMutableRawPointer(mutating: source)),
                    (DNNL_ARG_DIFF_DST, primitives.destination, UnsafeMutableRawPointer(mutating: outputGradient)),
                    (DNNL_ARG_DIFF_WEIGHTS, primitives.weights, UnsafeMutableRawPointer(weightGradient)),
                ])
        }
    }

    /// The CPU engine and the calls every primitive shares.
    final class DNNLEngine: @unchecked Sendable {
        // @unchecked: the engine is created once and oneDNN engines are thread-safe.
        static let shared = DNNLEngine()
        let engine: dnnl_engine_t

        private init() {
            var engine: dnnl_engine_t?
            DNNLEngine.check(dnnl_engine_create(&engine, dnnl_cpu, 0), "create the CPU engine")
            self.engine = engine!
        }

        /// Runs `primitive` on the calling thread's own stream, with the thread budget applied.
        func execute(
            _ primitive: dnnl_primitive_t, _ arguments: [(Int32, dnnl_memory_desc_t, UnsafeMutableRawPointer)]
        ) {
            ThreadBudget.applyToCallingThread()
            var stream: dnnl_stream_t?
            DNNLEngine.check(
                dnnl_stream_create(&stream, engine, UInt32(dnnl_stream_default_flags.rawValue)), "create a stream")
            var memories: [dnnl_memory_t] = []
            for (_, descriptor, pointer) in arguments {
                var memory: dnnl_memory_t?
                var descriptor = descriptor
                DNNLEngine.check(dnnl_memory_create(&memory, &descriptor, engine, pointer), "wrap a tensor")
                memories.append(memory!)
            }
            let execArguments = zip(arguments, memories).map { dnnl_exec_arg_t(arg: $0.0, memory: $1) }
            DNNLEngine.check(
                dnnl_primitive_execute(primitive, stream, Int32(execArguments.count), execArguments), "run a primitive")
            DNNLEngine.check(dnnl_stream_wait(stream), "wait for a primitive")
            for memory in memories { dnnl_memory_destroy(memory) }
            dnnl_stream_destroy(stream)
        }

        /// oneDNN fails only on arguments the callers have already checked, or when out of memory.
        static func check(_ status: dnnl_status_t, _ doing: String) {
            precondition(status == dnnl_success, "oneDNN could not \(doing) (status \(status.rawValue))")
        }
    }

    /// One geometry's primitives and the memory descriptors of its plain-layout tensors.
    final class DNNLConvolutionPrimitives: @unchecked Sendable {
        // @unchecked: built once, then only read; oneDNN primitives are thread-safe to execute.
        let source: dnnl_memory_desc_t
        let weights: dnnl_memory_desc_t
        let bias: dnnl_memory_desc_t
        let destination: dnnl_memory_desc_t
        let forward: dnnl_primitive_t
        let forwardWithBias: dnnl_primitive_t
        let backwardData: dnnl_primitive_t
        let backwardWeights: dnnl_primitive_t

        init(_ convolution: DNNLConvolution) {
            let engine = DNNLEngine.shared.engine
            let (geometry, groups) = (convolution.geometry, convolution.groups)
            let (groupIn, groupOut) = (geometry.channels, convolution.outChannels / groups)
            let kernel = geometry.kernel
            var source = Self.descriptor(
                [convolution.batch, groupIn * groups, geometry.height, geometry.width], dnnl_nchw)
            // (O, C/G, kh, kw) is laid out as (G, O/G, C/G, kh, kw).
            var weights =
                groups == 1
                ? Self.descriptor([groupOut, groupIn, kernel.height, kernel.width], dnnl_oihw)
                : Self.descriptor([groups, groupOut, groupIn, kernel.height, kernel.width], dnnl_goihw)
            var bias = Self.descriptor([convolution.outChannels], dnnl_x)
            var destination = Self.descriptor(
                [convolution.batch, convolution.outChannels, geometry.outHeight, geometry.outWidth], dnnl_nchw)
            let strides = Self.dims([geometry.stride.height, geometry.stride.width])
            // oneDNN counts dilation from 0 (no gaps), PyTorch from 1.
            let dilates = Self.dims([geometry.dilation.height - 1, geometry.dilation.width - 1])
            let before = Self.dims([geometry.padding.height, geometry.padding.width])
            // The padding after that makes oneDNN's output size PyTorch's floor division.
            let after = Self.dims([
                (geometry.outHeight - 1) * geometry.stride.height + geometry.dilation.height * (kernel.height - 1) + 1
                    - geometry.height - geometry.padding.height,
                (geometry.outWidth - 1) * geometry.stride.width + geometry.dilation.width * (kernel.width - 1) + 1
                    - geometry.width - geometry.padding.width,
            ])

            var plain = dnnl_convolution_desc_t()
            DNNLEngine.check(
                dnnl_dilated_convolution_forward_desc_init(
                    &plain, dnnl_forward_training, dnnl_convolution_direct, &source, &weights, nil, &destination,
                    strides, dilates, before, after), "describe a convolution")
            var biased = dnnl_convolution_desc_t()
            DNNLEngine.check(
                dnnl_dilated_convolution_forward_desc_init(
                    &biased, dnnl_forward_training, dnnl_convolution_direct, &source, &weights, &bias, &destination,
                    strides, dilates, before, after), "describe a convolution")
            var data = dnnl_convolution_desc_t()
            DNNLEngine.check(
                dnnl_dilated_convolution_backward_data_desc_init(
                    &data, dnnl_convolution_direct, &source, &weights, &destination, strides, dilates,
                    before, after), "describe a convolution's data gradient")
            var weightUpdate = dnnl_convolution_desc_t()
            DNNLEngine.check(
                dnnl_dilated_convolution_backward_weights_desc_init(
                    &weightUpdate, dnnl_convolution_direct, &source, &weights, nil, &destination, strides,
                    dilates, before, after), "describe a convolution's weight gradient")

            let forwardPlain = Self.primitiveDescriptor(&plain, engine: engine, hint: nil)
            let forwardBiased = Self.primitiveDescriptor(&biased, engine: engine, hint: nil)
            let dataDescriptor = Self.primitiveDescriptor(&data, engine: engine, hint: forwardPlain)
            let weightDescriptor = Self.primitiveDescriptor(&weightUpdate, engine: engine, hint: forwardPlain)
            forward = Self.primitive(forwardPlain)
            forwardWithBias = Self.primitive(forwardBiased)
            backwardData = Self.primitive(dataDescriptor)
            backwardWeights = Self.primitive(weightDescriptor)
            for descriptor in [forwardPlain, forwardBiased, dataDescriptor, weightDescriptor] {
                dnnl_primitive_desc_destroy(descriptor)
            }
            self.source = source
            self.weights = weights
            self.bias = bias
            self.destination = destination
        }

        private static func descriptor(_ shape: [Int], _ tag: dnnl_format_tag_t) -> dnnl_memory_desc_t {
            var descriptor = dnnl_memory_desc_t()
            let dimensions = dims(shape)
            DNNLEngine.check(
                dnnl_memory_desc_init_by_tag(&descriptor, Int32(shape.count), dimensions, dnnl_f32, tag),
                "describe a \(shape) tensor")
            return descriptor
        }

        /// A `dnnl_dims_t` argument, a C array of 12 that decays to a pointer: up to 12 values, zero-padded.
        private static func dims(_ values: [Int]) -> [Int64] {
            values.map(Int64.init) + repeatElement(0, count: Int(DNNL_MAX_NDIMS) - values.count)
        }

        private static func primitiveDescriptor(
            _ operation: inout dnnl_convolution_desc_t, engine: dnnl_engine_t, hint: dnnl_primitive_desc_t?
        ) -> dnnl_primitive_desc_t {
            var descriptor: dnnl_primitive_desc_t?
            DNNLEngine.check(
                dnnl_primitive_desc_create(&descriptor, &operation, nil, engine, hint), "choose a convolution kernel")
            return descriptor!
        }

        private static func primitive(_ descriptor: dnnl_primitive_desc_t) -> dnnl_primitive_t {
            var primitive: dnnl_primitive_t?
            DNNLEngine.check(dnnl_primitive_create(&primitive, descriptor), "build a convolution kernel")
            return primitive!
        }
    }

    /// Primitives by geometry, built on first use; a model uses a handful of geometries, so nothing is evicted.
    final class DNNLConvolutionCache: Sendable {
        static let shared = DNNLConvolutionCache()
        private let built = Mutex<[DNNLConvolution: DNNLConvolutionPrimitives]>([:])

        func primitives(for geometry: DNNLConvolution) -> DNNLConvolutionPrimitives {
            if let primitives = built.withLock({ $0[geometry] }) { return primitives }
            // Built outside the lock: JIT-compiling kernels takes milliseconds, and a rare duplicate is harmless.
            let primitives = DNNLConvolutionPrimitives(geometry)
            return built.withLock { built in
                if let existing = built[geometry] { return existing }
                built[geometry] = primitives
                return primitives
            }
        }
    }
#endif
