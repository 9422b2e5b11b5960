"""The NumPy 2D lab: landscapes, batched descent, LR sensitivity, optimizer comparison."""
