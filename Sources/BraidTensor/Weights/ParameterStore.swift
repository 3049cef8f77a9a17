import Foundation

/// Every parameter a model created or loaded, by its full dotted path: the names are the checkpoint
/// keys (`encoder.layer.0.attention.self.query.weight`), so saving is writing this table.
///
/// Filled by `WeightScope` as layers are built; read by optimizers and by `save(to:)`.
public final class ParameterStore: @unchecked Sendable {
    private var tensors: [String: Tensor] = [:]
    /// The paths in creation order, so optimizers and reports see parameters in model order.
    public private(set) var names: [String] = []

    /// An empty store; `WeightScope` roots create their own.
    public init() {}

    /// Registers `tensor` under `name`.
    func register(_ tensor: Tensor, as name: String) {
        precondition(tensors[name] == nil, "parameter '\(name)' registered twice")
        tensors[name] = tensor
        names.append(name)
    }

    /// The parameter at `name`, if any.
    public subscript(name: String) -> Tensor? { tensors[name] }

    /// Every parameter, in creation order.
    public var parameters: [Tensor] { names.compactMap { tensors[$0] } }

    /// (path, parameter) pairs in creation order.
    public var namedParameters: [(name: String, tensor: Tensor)] {
        names.compactMap { name in tensors[name].map { (name, $0) } }
    }

    /// The total number of scalars.
    public var scalarCount: Int { parameters.reduce(0) { $0 + $1.count } }

    /// Writes every parameter to a safetensors file (F32).
    public func save(to url: URL, metadata: [String: String] = [:]) throws {
        try SafeTensorsFile.write(tensors, metadata: metadata, to: url)
    }

    /// Copies values from a checkpoint into the registered parameters (resuming training).
    /// - Throws: `WeightError` naming the file for a missing or mis-shaped key.
    public func load(from file: SafeTensorsFile) throws {
        for (name, parameter) in namedParameters {
            let source = try file.tensor(name, shape: parameter.shape)
            parameter.pointer.update(from: source.pointer, count: parameter.count)
        }
    }
}
