"""Turnstile's Lambda code: handlers (thin) and the domain logic they call.

Every import inside this package is relative, so the local cloud can load the deployed asset under
its own package name and run exactly what ships.
"""
