"""Tools for working on the project, such as the synthetic-corpus generator (``python -m tools.synth``).

They live beside the service, not in it: nothing under ``app/`` imports them, and the installed package leaves
them out. Run them from the project root.
"""
