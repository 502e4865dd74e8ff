"""The live check: every block's shape or typed problem, costs, the summary table, explanations and the
training-health rules."""
