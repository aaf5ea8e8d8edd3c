"""Shared by the core.analysis.uncrumple tests: a small binary classifier and one trained on XOR."""
import core


def make_model(hidden=(8, 8), act="tanh", d=2, seed=0, dropout=False):
    layers = [core.Dense(hidden[0], act, input_shape=(d,))]
    if dropout:
        layers.append(core.Dropout(0.2))
    layers += [core.Dense(u, act) for u in hidden[1:]]
    layers.append(core.Dense(1, "sigmoid"))
    model = core.Sequential(layers, seed=seed)
    model.compile(core.engine.optimizers.Adam(0.01), "binary_crossentropy", metrics=["accuracy"])
    return model


def train_xor():
    """``(model, x, y)``: :func:`make_model` trained 40 epochs on 400 XOR points (deterministic)."""
    x, y = core.datasets.xor(400, 0.05, 0)
    model = make_model()
    model.fit(x, y, epochs=40, batch_size=16, verbose=0, seed=0)
    return model, x, y
