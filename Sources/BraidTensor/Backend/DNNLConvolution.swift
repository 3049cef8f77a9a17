#if !canImport(Accelerate)
    import CDNNL
    import Synchronization

    /// conv2d's forward pass and both gradients through oneDNN's convolution primitives; convTranspose2d runs the
    /// same three steps in other roles.
    ///
    /// oneDNN picks each kernel's memory layout (`any`); tensors in another layout are reordered into it and results
    /// back, per call: NCHW ones always, blocked ones (``ImageLayout/channelBlocks(_:)``) only where its choice
    /// differs. Measured on the reference machine (AVX-512), a 3×3 64→64 convolution on (8, 64, 64, 64), forward and
    /// both gradients: im2col + GEMM ran at 38 GFLOP/s on one thread; oneDNN on plain NCHW (its GEMM-based kernel) at
    /// 65 on one thread and 84 on two, as it barely splits across threads; its blocked-layout kernels at 110 and 217,
    /// before the reorders.
    ///
    /// Primitives are built once per geometry and thread count (oneDNN sizes their scratch space for the threads
    /// it will use) and shared; oneDNN primitives may run on several threads at once, each call with scratch space
    /// of its own (``DNNLKernel``).
    struct DNNLConvolution: Hashable {
        /// One group's geometry: `channels` is C/G.
        let geometry: ConvGeometry
        let batch: Int
        let outChannels: Int
        let groups: Int
        let layout: ImageLayout
        let threads: Int

        /// - Parameters:
        ///   - source: `(N, C, H, W)`, or as ``layout`` lays out C channels.
        ///   - weights: `(O, C/G, kh, kw)`.
        ///   - bias: `(O)`, or nil.
        ///   - destination: `(N, O, outH, outW)`, or as ``layout`` lays out O channels; overwritten.
        /// - Parameter keepingSource: Hand back the input in the kernel's layout, for ``backwardWeights``.
        /// - Returns: That copy, when kept and a reorder made one.
        @discardableResult
        func forward(
            source: UnsafePointer<Float>, weights: UnsafePointer<Float>, bias: UnsafePointer<Float>?,
            destination: UnsafeMutablePointer<Float>, keepingSource: Bool = false
        ) -> DNNLStagedTensor? {
            let primitives = DNNLConvolutionCache.shared.primitives(for: self)
            var tensors: [Int32: UnsafeMutableRawPointer] = [
                DNNL_ARG_SRC: UnsafeMutableRawPointer(mutating: source),
                DNNL_ARG_WEIGHTS: UnsafeMutableRawPointer(mutating: weights),
                DNNL_ARG_DST: UnsafeMutableRawPointer(destination),
            ]
            if let bias { tensors[DNNL_ARG_BIAS] = UnsafeMutableRawPointer(mutating: bias) }
            let step = bias == nil ? primitives.forward : primitives.forwardWithBias
            return step.run(tensors, keeping: keepingSource ? [DNNL_ARG_SRC] : [])[DNNL_ARG_SRC]
        }

        /// The input's gradient, in the input's layout, overwritten, from the output's.
        /// - Returns: The output's gradient in the kernel's layout, for ``backwardWeights``, when a reorder made one.
        @discardableResult
        func backwardData(
            outputGradient: UnsafePointer<Float>, weights: UnsafePointer<Float>,
            inputGradient: UnsafeMutablePointer<Float>
        ) -> DNNLStagedTensor? {
            DNNLConvolutionCache.shared.primitives(for: self).backwardData.run(
                [
                    DNNL_ARG_DIFF_DST: UnsafeMutableRawPointer(mutating: outputGradient),
                    DNNL_ARG_WEIGHTS: UnsafeMutableRawPointer(mutating: weights),
                    DNNL_ARG_DIFF_SRC: UnsafeMutableRawPointer(inputGradient),
                ], keeping: [DNNL_ARG_DIFF_DST])[DNNL_ARG_DIFF_DST]
        }

        /// The weights' gradient, `(O, C/G, kh, kw)`, overwritten, from the output's and the forward input.
        /// - Parameters:
        ///   - stagedSource: The input as ``forward`` kept it, used instead of a second reorder when the layouts agree.
        ///   - stagedGradient: The output's gradient as ``backwardData`` kept it, likewise.
        func backwardWeights(
            source: UnsafePointer<Float>, outputGradient: UnsafePointer<Float>,
            weightGradient: UnsafeMutablePointer<Float>, stagedSource: DNNLStagedTensor? = nil,
            stagedGradient: DNNLStagedTensor? = nil
        ) {
            var staged: [Int32: DNNLStagedTensor] = [:]
            if let stagedSource { staged[DNNL_ARG_SRC] = stagedSource }
            if let stagedGradient { staged[DNNL_ARG_DIFF_DST] = stagedGradient }
            DNNLConvolutionCache.shared.primitives(for: self).backwardWeights.run(
                [
                    DNNL_ARG_SRC: UnsafeMutableRawPointer(mutating: source),
                    DNNL_ARG_DIFF_DST: UnsafeMutableRawPointer(mutating: outputGradient),
                    DNNL_ARG_DIFF_WEIGHTS: UnsafeMutableRawPointer(weightGradient),
                ], reusing: staged)
        }
    }

    /// The CPU engine and the attributes of every primitive, created once; oneDNN engines are thread-safe.
    final class DNNLEngine: @unchecked Sendable {
        static let shared = DNNLEngine()
        let engine: dnnl_engine_t

        /// The attributes every primitive is planned with: the caller provides the scratch space.
        ///
        /// In oneDNN's default mode a primitive's scratch space is a buffer of the thread that built it, so a
        /// primitive must run on that thread; Swift's tasks hop threads. A GEMM-based kernel (the plain-layout data
        /// gradient chosen without AVX-512) then wrote its columns through a null buffer and crashed the VQ-VAE's
        /// training at the end of its first epoch.
        let attributes: dnnl_primitive_attr_t

        private init() {
            var engine: dnnl_engine_t?
            DNNLEngine.check(dnnl_engine_create(&engine, dnnl_cpu, 0), "create the CPU engine")
            self.engine = engine!
            var attributes: dnnl_primitive_attr_t?
            DNNLEngine.check(dnnl_primitive_attr_create(&attributes), "create primitive attributes")
            DNNLEngine.check(
                dnnl_primitive_attr_set_scratchpad_mode(attributes, dnnl_scratchpad_mode_user),
                "ask for caller-provided scratch space")
            self.attributes = attributes!
        }

        /// oneDNN fails only on arguments the callers have already checked, or when out of memory.
        static func check(_ status: dnnl_status_t, _ doing: String) {
            precondition(status == dnnl_success, "oneDNN could not \(doing) (status \(status.rawValue))")
        }
    }

    /// A built primitive and the size of the scratch space each of its runs needs.
    struct DNNLKernel {
        let primitive: dnnl_primitive_t
        let scratchpad: dnnl_memory_desc_t?

        /// Builds the primitive a descriptor planned with ``DNNLEngine/attributes``.
        init(_ descriptor: dnnl_primitive_desc_t, _ doing: String) {
            var primitive: dnnl_primitive_t?
            DNNLEngine.check(dnnl_primitive_create(&primitive, descriptor), doing)
            self.primitive = primitive!
            if var scratchpad = dnnl_primitive_desc_query_md(descriptor, dnnl_query_scratchpad_md, 0)?.pointee,
                dnnl_memory_desc_get_size(&scratchpad) > 0
            {
                self.scratchpad = scratchpad
            } else {
                self.scratchpad = nil
            }
        }

        /// Runs the primitive on `stream`, with scratch space of this call's own.
        func execute(_ arguments: [dnnl_exec_arg_t], on stream: dnnl_stream_t?, _ doing: String) {
            guard var scratchpad else {
                DNNLEngine.check(dnnl_primitive_execute(primitive, stream, Int32(arguments.count), arguments), doing)
                return
            }
            let space = DNNLStagedTensor(scratchpad)
            var memory: dnnl_memory_t?
            DNNLEngine.check(
                dnnl_memory_create(&memory, &scratchpad, DNNLEngine.shared.engine, space.buffer), "wrap scratch space")
            let all = arguments + [dnnl_exec_arg_t(arg: DNNL_ARG_SCRATCHPAD, memory: memory)]
            DNNLEngine.check(dnnl_primitive_execute(primitive, stream, Int32(all.count), all), doing)
            DNNLEngine.check(dnnl_stream_wait(stream), "wait for a primitive")
            dnnl_memory_destroy(memory)
            withExtendedLifetime(space) {}
        }
    }

    /// One primitive, and for each tensor it reads or writes, the reorder between the caller's plain layout and
    /// the layout the primitive chose (none when they agree).
    final class DNNLStep: @unchecked Sendable {
        // @unchecked: built once, then only read; oneDNN primitives are thread-safe to execute.
        struct Argument {
            let role: Int32
            let plain: dnnl_memory_desc_t
            let chosen: dnnl_memory_desc_t
            /// plain -> chosen for an input, chosen -> plain for an output.
            let reorder: DNNLKernel?
            let isOutput: Bool
        }

        let kernel: DNNLKernel
        let arguments: [Argument]

        /// - Parameter tensors: `(role, plain layout, the query for the primitive's layout, is it written)`; a nil
        ///   query keeps the plain layout (bias).
        init(_ descriptor: dnnl_primitive_desc_t, tensors: [(Int32, dnnl_memory_desc_t, dnnl_query_t?, Bool)]) {
            let engine = DNNLEngine.shared.engine
            arguments = tensors.map { role, plain, query, isOutput in
                var plain = plain
                guard let query, var chosen = dnnl_primitive_desc_query_md(descriptor, query, 0)?.pointee,
                    dnnl_memory_desc_equal(&plain, &chosen) == 0
                else { return Argument(role: role, plain: plain, chosen: plain, reorder: nil, isOutput: isOutput) }
                var reorderDescriptor: dnnl_primitive_desc_t?
                DNNLEngine.check(
                    isOutput
                        ? dnnl_reorder_primitive_desc_create(
                            &reorderDescriptor, &chosen, engine, &plain, engine, DNNLEngine.shared.attributes)
                        : dnnl_reorder_primitive_desc_create(
                            &reorderDescriptor, &plain, engine, &chosen, engine, DNNLEngine.shared.attributes),
                    "plan a reorder")
                let reorder = DNNLKernel(reorderDescriptor!, "build a reorder")
                dnnl_primitive_desc_destroy(reorderDescriptor)
                return Argument(role: role, plain: plain, chosen: chosen, reorder: reorder, isOutput: isOutput)
            }
            kernel = DNNLKernel(descriptor, "build a convolution kernel")
        }

        /// Runs the step on the calling thread, with the thread budget applied, on the plain tensors by role.
        /// - Parameters:
        ///   - staged: Inputs already in a layout, from an earlier step: used as they are where this step chose the
        ///     same layout, which saves their reorder.
        ///   - keeping: Input roles whose reordered copies to hand back, for a later step to reuse.
        /// - Returns: The kept copies (only of inputs this step did reorder).
        @discardableResult
        func run(
            _ tensors: [Int32: UnsafeMutableRawPointer], reusing staged: [Int32: DNNLStagedTensor] = [:],
            keeping: Set<Int32> = []
        ) -> [Int32: DNNLStagedTensor] {
            ThreadBudget.applyToCallingThread()
            let engine = DNNLEngine.shared.engine
            var stream: dnnl_stream_t?
            DNNLEngine.check(
                dnnl_stream_create(&stream, engine, UInt32(dnnl_stream_default_flags.rawValue)), "create a stream")
            var memories: [dnnl_memory_t] = []
            var owned: [DNNLStagedTensor] = []
            var kept: [Int32: DNNLStagedTensor] = [:]
            func memory(_ descriptor: dnnl_memory_desc_t, _ pointer: UnsafeMutableRawPointer) -> dnnl_memory_t {
                var descriptor = descriptor
                var memory: dnnl_memory_t?
                DNNLEngine.check(dnnl_memory_create(&memory, &descriptor, engine, pointer), "wrap a tensor")
                memories.append(memory!)
                return memory!
            }
            func reorder(_ kernel: DNNLKernel, from: dnnl_memory_t, to: dnnl_memory_t) {
                kernel.execute(
                    [dnnl_exec_arg_t(arg: DNNL_ARG_FROM, memory: from), dnnl_exec_arg_t(arg: DNNL_ARG_TO, memory: to)],
                    on: stream, "reorder a tensor")
            }
            var execArguments: [dnnl_exec_arg_t] = []
            var pendingOutputs: [(DNNLKernel, dnnl_memory_t, dnnl_memory_t)] = []
            for argument in arguments {
                guard let tensor = tensors[argument.role] else { continue }
                guard let reorderKernel = argument.reorder else {
                    execArguments.append(dnnl_exec_arg_t(arg: argument.role, memory: memory(argument.plain, tensor)))
                    continue
                }
                if let reused = staged[argument.role], reused.matches(argument.chosen) {
                    execArguments.append(
                        dnnl_exec_arg_t(arg: argument.role, memory: memory(argument.chosen, reused.buffer)))
                    continue
                }
                let copy = DNNLStagedTensor(argument.chosen)
                owned.append(copy)
                let stagedMemory = memory(argument.chosen, copy.buffer)
                let plain = memory(argument.plain, tensor)
                if argument.isOutput {
                    pendingOutputs.append((reorderKernel, stagedMemory, plain))
                } else {
                    reorder(reorderKernel, from: plain, to: stagedMemory)
                    if keeping.contains(argument.role) { kept[argument.role] = copy }
                }
                execArguments.append(dnnl_exec_arg_t(arg: argument.role, memory: stagedMemory))
            }
            kernel.execute(execArguments, on: stream, "run a primitive")
            for (output, staged, plain) in pendingOutputs { reorder(output, from: staged, to: plain) }
            DNNLEngine.check(dnnl_stream_wait(stream), "wait for a primitive")
            for memory in memories { dnnl_memory_destroy(memory) }
            dnnl_stream_destroy(stream)
            return kept
        }
    }

    /// A tensor in the layout a primitive chose, in a buffer of its own (freed with it): what a reorder made, kept
    /// when a later step reads the same tensor in the same layout (the forward pass's input, for the weight
    /// gradient; the output gradient, for both gradients).
    final class DNNLStagedTensor: @unchecked Sendable {
        // @unchecked: written once by a reorder, then only read by the steps that reuse it.
        let descriptor: dnnl_memory_desc_t
        let buffer: UnsafeMutableRawPointer

        init(_ descriptor: dnnl_memory_desc_t) {
            var size = descriptor
            self.descriptor = descriptor
            buffer = UnsafeMutableRawPointer.allocate(byteCount: dnnl_memory_desc_get_size(&size), alignment: 64)
        }

        deinit { buffer.deallocate() }

        /// Whether a step that chose `layout` can read this copy as it is.
        func matches(_ layout: dnnl_memory_desc_t) -> Bool {
            var (mine, theirs) = (descriptor, layout)
            return dnnl_memory_desc_equal(&mine, &theirs) != 0
        }
    }

    /// One geometry's steps: the forward pass with and without bias, and the two gradients.
    final class DNNLConvolutionPrimitives: Sendable {
        let forward: DNNLStep
        let forwardWithBias: DNNLStep
        let backwardData: DNNLStep
        let backwardWeights: DNNLStep

        init(_ convolution: DNNLConvolution) {
            let engine = DNNLEngine.shared.engine
            let (geometry, groups) = (convolution.geometry, convolution.groups)
            let (groupIn, groupOut) = (geometry.channels, convolution.outChannels / groups)
            let kernel = geometry.kernel
            let sourceShape = [convolution.batch, groupIn * groups, geometry.height, geometry.width]
            // (O, C/G, kh, kw) is laid out as (G, O/G, C/G, kh, kw).
            let (weightShape, weightTag) =
                groups == 1
                ? ([groupOut, groupIn, kernel.height, kernel.width], dnnl_oihw)
                : ([groups, groupOut, groupIn, kernel.height, kernel.width], dnnl_goihw)
            let destinationShape = [convolution.batch, convolution.outChannels, geometry.outHeight, geometry.outWidth]
            let source = Self.descriptor(sourceShape, Self.tag(convolution.layout, channels: groupIn * groups))
            let weights = Self.descriptor(weightShape, weightTag)
            var bias = Self.descriptor([convolution.outChannels], dnnl_x)
            let destination = Self.descriptor(
                destinationShape, Self.tag(convolution.layout, channels: convolution.outChannels))
            // The kernels' own layouts: oneDNN picks them.
            var anySource = Self.descriptor(sourceShape, dnnl_format_tag_any)
            var anyWeights = Self.descriptor(weightShape, dnnl_format_tag_any)
            var anyDestination = Self.descriptor(destinationShape, dnnl_format_tag_any)
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
                    &plain, dnnl_forward_training, dnnl_convolution_direct, &anySource, &anyWeights, nil,
                    &anyDestination, strides, dilates, before, after), "describe a convolution")
            var biased = dnnl_convolution_desc_t()
            DNNLEngine.check(
                dnnl_dilated_convolution_forward_desc_init(
                    &biased, dnnl_forward_training, dnnl_convolution_direct, &anySource, &anyWeights, &bias,
                    &anyDestination, strides, dilates, before, after), "describe a convolution")
            // A blocked layout pads the channels to 8 or 16, so both gradients of an input with a few channels
            // compute mostly padding. For the one channel of an image decoder's last transposed convolution (32 → 1
            // on 128 digits), the data gradient took 1.3 ms blocked and 0.6 ms plain (oneDNN's GEMM-based kernel).
            var gradientSource = groupIn * groups < 8 ? source : anySource
            var data = dnnl_convolution_desc_t()
            DNNLEngine.check(
                dnnl_dilated_convolution_backward_data_desc_init(
                    &data, dnnl_convolution_direct, &gradientSource, &anyWeights, &anyDestination, strides, dilates,
                    before, after), "describe a convolution's data gradient")
            var weightUpdate = dnnl_convolution_desc_t()
            DNNLEngine.check(
                dnnl_dilated_convolution_backward_weights_desc_init(
                    &weightUpdate, dnnl_convolution_direct, &gradientSource, &anyWeights, nil, &anyDestination,
                    strides, dilates, before, after), "describe a convolution's weight gradient")

            let forwardPlain = Self.primitiveDescriptor(&plain, engine: engine, hint: nil)
            let forwardBiased = Self.primitiveDescriptor(&biased, engine: engine, hint: nil)
            let dataDescriptor = Self.primitiveDescriptor(&data, engine: engine, hint: forwardPlain)
            let weightDescriptor = Self.primitiveDescriptor(&weightUpdate, engine: engine, hint: forwardPlain)
            let forwardTensors: [(Int32, dnnl_memory_desc_t, dnnl_query_t?, Bool)] = [
                (DNNL_ARG_SRC, source, dnnl_query_src_md, false),
                (DNNL_ARG_WEIGHTS, weights, dnnl_query_weights_md, false),
                (DNNL_ARG_BIAS, bias, nil, false),
                (DNNL_ARG_DST, destination, dnnl_query_dst_md, true),
            ]
            forward = DNNLStep(forwardPlain, tensors: forwardTensors)
            forwardWithBias = DNNLStep(forwardBiased, tensors: forwardTensors)
            backwardData = DNNLStep(
                dataDescriptor,
                tensors: [
                    (DNNL_ARG_DIFF_DST, destination, dnnl_query_diff_dst_md, false),
                    (DNNL_ARG_WEIGHTS, weights, dnnl_query_weights_md, false),
                    (DNNL_ARG_DIFF_SRC, source, dnnl_query_diff_src_md, true),
                ])
            backwardWeights = DNNLStep(
                weightDescriptor,
                tensors: [
                    (DNNL_ARG_SRC, source, dnnl_query_src_md, false),
                    (DNNL_ARG_DIFF_DST, destination, dnnl_query_diff_dst_md, false),
                    (DNNL_ARG_DIFF_WEIGHTS, weights, dnnl_query_diff_weights_md, true),
                ])
            for descriptor in [forwardPlain, forwardBiased, dataDescriptor, weightDescriptor] {
                dnnl_primitive_desc_destroy(descriptor)
            }
        }

        /// oneDNN's name for images of `channels` channels in `layout`; its shapes are (N, C, H, W) in any layout.
        private static func tag(_ layout: ImageLayout, channels: Int) -> dnnl_format_tag_t {
            switch layout.blockSize(channels: channels) {
            case nil: dnnl_nchw
            case 8: dnnl_nChw8c
            case 16: dnnl_nChw16c
            case let block?: preconditionFailure("oneDNN has no layout of \(block)-channel blocks")
            }
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
                dnnl_primitive_desc_create(&descriptor, &operation, DNNLEngine.shared.attributes, engine, hint),
                "choose a convolution kernel")
            return descriptor!
        }
    }

    /// Primitives by geometry, built on first use; a model uses a handful of geometries, so nothing is evicted.
    final class DNNLConvolutionCache: Sendable {
        static let shared = DNNLConvolutionCache()
        private let built = Mutex<[DNNLConvolution: DNNLConvolutionPrimitives]>([:])

        func primitives(for convolution: DNNLConvolution) -> DNNLConvolutionPrimitives {
            if let primitives = built.withLock({ $0[convolution] }) { return primitives }
            // oneDNN sizes a primitive for the threads the calling thread may use when it is built.
            ThreadBudget.applyToCallingThread()
            // Built outside the lock: JIT-compiling kernels takes milliseconds, and a rare duplicate is harmless.
            let primitives = DNNLConvolutionPrimitives(convolution)
            return built.withLock { built in
                if let existing = built[convolution] { return existing }
                built[convolution] = primitives
                return primitives
            }
        }
    }
#endif
