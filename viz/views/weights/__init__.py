"""The inside workspace: weights, the network diagram, distributions and the gradient check."""
