"""The regression views: a network fitting a curve (one input) or a surface (two inputs)."""
