"""Helpers for testing and benchmarking the grader (synthetic classes built from the real course notebooks)."""
