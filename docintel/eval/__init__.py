"""Evaluation: evidence recall and cost per route, answer hit@k, needle-in-a-haystack, label fidelity."""
