"""Stage 3: pixels. Textures, defect painters, the rendered image and mask, and their encodings."""
