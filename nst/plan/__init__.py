"""The run's plan: its coarse-to-fine stages and their weights, what a step costs, and the records it hands out."""
