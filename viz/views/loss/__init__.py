"""The descent workspace: the loss surface and its path, the 1-D slice, the optimizer race."""
