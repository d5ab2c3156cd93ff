"""Stage 4: words. Manifest records for each image, and the manifests that hold them."""
