"""Stage 1: what to make. A preset file becomes one validated, frozen configuration."""
