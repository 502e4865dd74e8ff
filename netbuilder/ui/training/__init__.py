"""The training room: the dock with its settings form, live curves, runs list, evaluation, health, learning-rate
test and search tabs, and the controller that owns a run's child process."""
