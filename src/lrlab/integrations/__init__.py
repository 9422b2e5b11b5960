"""Thin adapters from the trainers people use to lrlab's range test, sweep and confirmation.

``lrlab.integrations.lightning`` (needs ``lightning`` or ``pytorch_lightning``) and
``lrlab.integrations.transformers`` (needs ``transformers``) are imported on their own; importing this
package imports neither.
"""
