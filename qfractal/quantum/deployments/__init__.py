"""Deployments: named lists of quantum programs, owned by their user (routes
`/quantum/deployments/`)."""
