"""The digits workspace (MNIST-type runs): samples, tiles, confusion, errors, map, draw, tensor lab."""
