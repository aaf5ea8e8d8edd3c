"""The training workspace: the decision boundary and the loss and accuracy curves."""
