"""A small trained network the landscape and slice tests share."""
from core import Dense, Sequential, datasets


def spiral_model(seed=0, epochs=2, n=300):
    x, y = datasets.make("spiral", n=n, noise=0.1, seed=seed)
    model = Sequential([Dense(8, "tanh", input_shape=(2,)), Dense(8, "tanh"), Dense(1, "sigmoid")], seed=seed)
    model.compile("adam", "binary_crossentropy", metrics=["accuracy"])
    if epochs:
        model.fit(x, y, epochs=epochs, batch_size=32, verbose=0, seed=seed)
    return model, x, y
