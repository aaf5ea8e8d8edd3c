"""The digits views (MNIST-type runs): predictions, mistakes, drawings, tiles, maps, tensor shapes."""
