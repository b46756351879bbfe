"""Typed models at every edge: HR events in, step inputs and results between states."""
