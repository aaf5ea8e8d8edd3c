"""The weights: per-epoch statistics, display matrices and diagrams, the gradient check."""
