/// Scaled dot-product attention (Vaswani et al., "Attention Is All You Need", 2017, eq. 1), from
/// two batched GEMMs and a softmax.
///
/// Dimension legend: B batch, H heads, Tq query positions, Tk key positions, D head size.

/// Which query–key pairs attention may use.
public enum AttentionMask: Sendable {
    /// Query i sees keys up to i (aligned at the end when Tk > Tq, as for cached decoding).
    case causal
    /// Added to the scores before softmax: 0 to keep, -∞ (or a large negative) to drop.
    /// Any shape that broadcasts to `(…, Tq, Tk)`.
    case additive(Tensor)

    /// An additive mask that hides padding keys: `(B, 1, 1, Tk)`, from each sequence's valid length.
    public static func keyPadding(validLengths: [Int], keys: Int) -> AttentionMask {
        var values = [Float](repeating: 0, count: validLengths.count * keys)
        for (sequence, length) in validLengths.enumerated() {
            for key in length..<Swift.max(length, keys) { values[sequence * keys + key] = -.infinity }
        }
        return .additive(Tensor(values, shape: [validLengths.count, 1, 1, keys]))
    }

    /// An additive mask that hides the keys marked absent: `(B, 1, 1, Tk)`, from each sequence's per-key flags.
    /// Hidden keys get a large finite negative rather than -∞, so a sequence with every key hidden still gives
    /// finite (uniform) weights instead of NaN.
    public static func keys(present: [[Bool]]) -> AttentionMask {
        let keys = present.first?.count ?? 0
        return .additive(Tensor(present.flatMap { $0.map { $0 ? 0 : -1e9 } }, shape: [present.count, 1, 1, keys]))
    }

    /// The additive form for `queries` × `keys` scores.
    func additive(queries: Int, keys: Int) -> Tensor {
        switch self {
        case .additive(let tensor):
            return tensor
        case .causal:
            var values = [Float](repeating: 0, count: queries * keys)
            for query in 0..<queries {
                let firstHidden = Swift.min(Swift.max(query + keys - queries + 1, 0), keys)
                for key in firstHidden..<keys { values[query * keys + key] = -.infinity }
            }
            return Tensor(values, shape: [queries, keys])
        }
    }
}

extension Tensor {
    /// softmax(q·kᵀ·scale + mask) · v.
    /// - Parameters:
    ///   - query: `(…, Tq, D)`.
    ///   - key: `(…, Tk, D)`.
    ///   - value: `(…, Tk, Dv)`.
    ///   - mask: Positions to hide, or `nil` for full attention.
    ///   - scale: Defaults to 1/√D.
    /// - Returns: `(…, Tq, Dv)`.
    public static func scaledDotProductAttention(
        query: Tensor, key: Tensor, value: Tensor, mask: AttentionMask? = nil, scale: Float? = nil
    ) -> Tensor {
        let headSize = query.shape[query.rank - 1]
        let (queries, keys) = (query.shape[query.rank - 2], key.shape[key.rank - 2])
        // (…, Tq, D) · (…, Tk, D)ᵀ -> (…, Tq, Tk), the scale folded into the GEMM.
        var scores = matmul(query, key, transposeB: true, alpha: scale ?? 1 / Float(headSize).squareRoot())
        if let mask { scores = scores + mask.additive(queries: queries, keys: keys) }
        // (…, Tq, Tk) · (…, Tk, Dv) -> (…, Tq, Dv)
        return matmul(scores.softmax(), value)
    }
}
