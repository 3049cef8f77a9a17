import Foundation

/// Every tensor a model created or loaded, by its full dotted path: the names are the checkpoint
/// keys (`encoder.layer.0.attention.self.query.weight`), so saving is writing this table.
///
/// Two kinds live here, as in PyTorch's `state_dict`: parameters, which optimizers update from
/// gradients, and buffers (a batch norm's running statistics), which the model updates itself and
/// which are saved and loaded with the parameters but never optimised.
///
/// Filled by `WeightScope` as layers are built; read by optimizers and by `save(to:)`.
public final class ParameterStore: @unchecked Sendable {
    private var tensors: [String: Tensor] = [:]
    private var bufferNames: Set<String> = []
    /// The paths of parameters and buffers in creation order, so optimizers and reports see them in
    /// model order.
    public private(set) var names: [String] = []

    /// An empty store; `WeightScope` roots create their own.
    public init() {}

    /// Registers `tensor` under `name`, as a buffer when `isBuffer`.
    func register(_ tensor: Tensor, as name: String, isBuffer: Bool = false) {
        precondition(tensors[name] == nil, "parameter '\(name)' registered twice")
        tensors[name] = tensor
        names.append(name)
        if isBuffer { bufferNames.insert(name) }
    }

    /// The parameter or buffer at `name`, if any.
    public subscript(name: String) -> Tensor? { tensors[name] }

    /// Every parameter (not buffers), in creation order: what an optimizer updates.
    public var parameters: [Tensor] { namedParameters.map(\.tensor) }

    /// (path, parameter) pairs of the parameters (not buffers), in creation order.
    public var namedParameters: [(name: String, tensor: Tensor)] {
        names.compactMap { name in bufferNames.contains(name) ? nil : tensors[name].map { (name, $0) } }
    }

    /// (path, tensor) pairs of parameters and buffers, in creation order: what a checkpoint holds.
    public var namedTensors: [(name: String, tensor: Tensor)] {
        names.compactMap { name in tensors[name].map { (name, $0) } }
    }

    /// The total number of parameter scalars.
    public var scalarCount: Int { parameters.reduce(0) { $0 + $1.count } }

    /// Writes every parameter and buffer to a safetensors file (F32).
    public func save(to url: URL, metadata: [String: String] = [:]) throws {
        try SafeTensorsFile.write(tensors, metadata: metadata, to: url)
    }

    /// Copies values from a checkpoint into the registered parameters and buffers (resuming training).
    /// - Parameter prefix: Prepended to every name, for checkpoints that hold more than one table.
    /// - Throws: `WeightError` naming the file for a missing or mis-shaped key.
    public func load(from file: SafeTensorsFile, prefix: String = "") throws {
        for (name, tensor) in namedTensors {
            let source = try file.tensor(prefix + name, shape: tensor.shape)
            tensor.pointer.update(from: source.pointer, count: tensor.count)
        }
    }
}
