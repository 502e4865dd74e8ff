"""The one exception of training that a user can cause and fix."""


class TrainError(Exception):
    """A run cannot go on; the message is one sentence saying what happened and what to do."""
