"""The uncrumpling workspace: layers, stages, separability, the neuron inspector and the layer lab."""
