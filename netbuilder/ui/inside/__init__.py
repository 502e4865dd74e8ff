"""The look-inside room: the volumes picture, feature maps, predictions on the user's own images and the model
summary."""
