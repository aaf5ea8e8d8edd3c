"""What the controls panel says: a one- or two-sentence tooltip per control and per combo item.

Plain sentences for a learner, shown by :class:`viz.panels.controls.ControlsPanel` (as rich text,
so they wrap). :data:`CSV_ITEM` is the item data of the data set combo's "CSV file…" entry.
"""
from __future__ import annotations

CSV_ITEM = "__csv__"      # item data of the "CSV file…" entry of the data set combo

#: what the task combo shows for each of :data:`core.run.config.TASKS`
TASK_TITLES = {"classification": "Classification", "regression": "Regression"}

TIPS = {  # one or two plain sentences per control, for a learner
    "task": "What the network learns. Classification: which class a point belongs to. "
            "Regression: a number for each point, such as the height of a curve.",
    "dataset": "The points the network learns to separate into two classes. "
               "3D sets are drawn on their first two principal components.",
    "csv_path": "A CSV file with one sample per row: the feature columns and an integer class label, "
                "numbered from 0. The label is the column named label, class, target or y, else the last.",
    "browse": "Choose a CSV file with one sample per row: the features, then the class label.",
    "n_samples": "How many points to generate, training and validation together. "
                 "For image sets: how many training images to use ('all' = every one). For a CSV file: "
                 "how many of its rows, picked at random ('all' = every one, up to 200,000).",
    "noise": "How much random jitter is added to every point. More noise makes the two classes overlap.",
    "validation_split": "The fraction of the points held back to test the network on data it never trains on.",
    "regenerate": "Build the data set again from these settings and start training over from fresh weights.",
    "loss": "How the network's mistakes are scored; training makes this number smaller.",
    "optimizer": "The rule that turns gradients into weight updates.",
    "learning_rate": "How big a step gradient descent takes each batch. "
                     "Too large and the loss explodes; too small and learning crawls.",
    "momentum": "How much of the previous step carries into the next, like a ball rolling downhill. "
                "0 means none; 0.9 is common.",
    "nesterov": "Measure the gradient a little ahead, where momentum is taking the weights. "
                "Often converges a bit faster.",
    "rho": "How long RMSprop remembers recent gradient sizes. Closer to 1 means a longer, smoother memory.",
    "beta_1": "How long Adam remembers the average gradient direction (its momentum). 0.9 is the usual value.",
    "beta_2": "How long Adam remembers the average squared gradient, which sets each weight's step size. "
              "0.999 is the usual value.",
    "batch_size": "How many training samples are averaged for each weight update. "
                  "Small batches are quick but noisy; large batches are smooth but slow.",
    "l2": "A penalty on large weights added to the loss (weight decay). "
          "Larger values give smoother, simpler boundaries.",
    "dropout": "The fraction of hidden units switched off at random at each training step, "
               "which fights overfitting. 0 turns it off.",
    "seed": "The starting number of the random generator: the same seed gives the same data and first weights.",
}
ITEM_TIPS = {
    "classification": "Sort points into classes. The output is the probability of each class.",
    "regression": "Predict a number for each point. The output is one linear unit: the fitted value itself.",
    "sine": "1D: a sine wave. The hidden units' bends add up to its hills and valleys.",
    "step": "1D: a jump from low to high. Hard to fit with smooth units: watch the edge.",
    "abs": "1D: |x|, a V shape. Two relu units are enough to draw it.",
    "poly": "1D: a noisy cubic curve with one hill and one valley.",
    "plane": "2D: a tilted flat surface. A network with no hidden layer fits it exactly.",
    "bumps": "2D: a few round hills and dips added together.",
    "saddle": "2D: a surface that goes up one way and down the other, like a horse's saddle.",
    "moons": "Two interleaving half circles.", "circles": "A ring of one class around a disc of the other.",
    "xor": "Four clusters, diagonal corners share a class: no straight line can split them.",
    "spiral": "Two arms winding around each other; needs a few bent layers.",
    "gaussians": "Two round blobs; a straight line nearly separates them.",
    "paper_ball": "3D: two sheets of paper crumpled together into a ball, the book's picture of what "
                  "a network uncrumples.",
    "swiss_roll": "3D: a sheet rolled up, each class on one half.",
    "spheres": "3D: one sphere of points inside another.",
    CSV_ITEM: "Load your own points from a CSV file.",
    "mnist": "The book's hello world: 28×28 handwritten digits, 10 classes. Uses the offline sample "
             "(5,000 digits) when the full set is not on this computer.",
    "fashion_mnist": "28×28 pictures of clothes in 10 classes, the same format as MNIST "
                     "(Debian: apt install dataset-fashion-mnist).",
    "mnist_sample": "The 5,000 real MNIST digits shipped with Uncrumple (4,000 to train, 1,000 to test).",
    "binary_crossentropy": "The usual loss for two classes: punishes confident wrong answers hard.",
    "mse": "Mean squared error between the predicted probability and the label (0 or 1).",
    "categorical_crossentropy": "Crossentropy with one softmax output per class and one-hot labels.",
    "sparse_categorical_crossentropy": "Crossentropy with one softmax output per class and integer labels.",
    "sgd": "Plain gradient descent: step against the gradient, optionally with momentum.",
    "rmsprop": "Divides each step by a running average of recent gradient sizes, so every weight gets its own step.",
    "adagrad": "Shrinks each weight's steps as its gradients add up, so steps get smaller over time.",
    "adam": "Momentum plus RMSprop-style step sizes; a robust default.",
}

#: the tooltips that change for a regression task (the rest stay as in :data:`TIPS` and :data:`ITEM_TIPS`)
REGRESSION_TIPS = {
    "dataset": "The points the network learns to fit: a curve over one input, or a surface over two.",
    "csv_path": "A CSV file with one sample per row: the feature columns and a number to predict. "
                "The target is the column named label, class, target or y, else the last.",
    "browse": "Choose a CSV file with one sample per row: the features, then the number to predict.",
    "noise": "How much random jitter is added to every target value. More noise scatters the points "
             "around the curve.",
    "loss": "How far the network's outputs are from the targets; training makes this number smaller.",
    "mse": "Mean squared error: the average of (output − target)². Big misses count a lot.",
    "mae": "Mean absolute error: the average of |output − target|. Every miss counts by its size.",
    "huber": "Huber: squared error for misses under 1, absolute error beyond, so a few wild points "
             "pull less.",
}
