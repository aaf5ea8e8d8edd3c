"""The Keras-shaped library a notebook imports: layers, model, optimizers, losses, training.

Nothing here knows about runs, views or Qt. ``import core; core.Sequential(...)`` is the usual way in."""
