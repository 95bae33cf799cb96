"""Fault injection: faulty plugins in every hook."""
