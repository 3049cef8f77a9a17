import BraidTensor

extension UnaryOp {
    /// The activation transformers' `ACT2FN` table calls `name` (a config.json's `hidden_act`), or nil for one
    /// Braid does not have. "gelu" is the exact erf form; "gelu_new" and "gelu_pytorch_tanh" are the tanh form.
    init?(huggingFaceName name: String) {
        switch name {
        case "gelu": self = .gelu
        case "gelu_new", "gelu_pytorch_tanh": self = .geluTanh
        case "quick_gelu": self = .quickGelu
        case "relu": self = .relu
        case "silu", "swish": self = .silu
        default: return nil
        }
    }

    /// The activation a config.json's `hidden_act` names.
    /// - Throws: `WeightError.badConfiguration` naming `path` for one Braid does not have.
    static func named(_ name: String, configuration path: String) throws -> UnaryOp {
        guard let activation = UnaryOp(huggingFaceName: name) else {
            throw WeightError.badConfiguration(path: path, reason: "hidden_act \(name) is not supported")
        }
        return activation
    }
}
