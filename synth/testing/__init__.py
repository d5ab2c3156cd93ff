"""For test authors: the pytest plugin's helpers and the Hypothesis strategies.

Kept import-light: the plugin module imports this package, so nothing heavy loads here.
"""
