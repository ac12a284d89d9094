"""Every write of contracts/, one module per area."""
