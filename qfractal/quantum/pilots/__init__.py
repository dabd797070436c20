"""Pilots: run a program on a provider's cloud devices (in a pool worker, never in the
server's loop)."""
