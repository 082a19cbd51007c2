"""Pictures larger than memory allows: the tile plan, the budget that chooses it, the objective in tiles."""
