"""Training: run a network on data in a process of its own, with metrics, checkpoints and a CLI (no Qt)."""
