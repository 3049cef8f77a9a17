public enum BraidTensorPlaceholder {}
