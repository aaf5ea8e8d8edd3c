"""Loss landscapes: planes through weight space, grids, 1-D slices, analytic surfaces for the optimizer race."""
