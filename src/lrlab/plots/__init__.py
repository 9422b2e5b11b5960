"""Figures, one module per part. matplotlib is imported here and nowhere else.

Plot functions read result objects and draw on an ``Axes`` (a new figure when
``ax`` is None); they never compute a suggestion or run an optimizer.
"""
