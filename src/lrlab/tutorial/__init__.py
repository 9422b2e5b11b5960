"""The tutorial's MNIST pieces: the data, the models and the demo parts."""
