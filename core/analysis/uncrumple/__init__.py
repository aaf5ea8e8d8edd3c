"""The uncrumpling: data and a grid through every stage, projections, separability, the neuron inspector,
the layer lab."""
