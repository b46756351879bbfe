"""Each moto gap Turnstile relies on, worked around in one small named adapter.

Every adapter has a test in tests/localcloud/ that fails if moto's own behaviour changes (so the
adapter can be dropped or must be revised).
"""
