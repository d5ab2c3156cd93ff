"""Stage 5: where it goes. Object layout and the sinks (a folder, S3) that store it."""
