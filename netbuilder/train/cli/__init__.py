"""The headless training commands: `train`, `evaluate`, `lr-find`, `features`, `search`, and the flags they share."""
