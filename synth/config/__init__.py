"""Stage 1: what to make. A preset file becomes one validated, frozen configuration.

styles.py holds the output styles a preset may name.
"""
