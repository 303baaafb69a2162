"""Benchmarks: conversation simulator, load test, NLU baselines and costs (`make bench`).

Benchmarks print and record numbers; they never fail because a number is slow or low.
"""
