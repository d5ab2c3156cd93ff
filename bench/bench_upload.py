"""Upload throughput of the S3 sink to a moto server over real HTTP on loopback.

1,000 small PNG images (64x64) put with 1 and with 8 concurrent uploads.
Run: .venv/bin/python bench/bench_upload.py [COUNT]
"""

from __future__ import annotations

import logging
import os
import sys
import time

from moto.server import ThreadedMotoServer

from synth.config.preset import load_preset
from synth.imaging.encode import encode_image
from synth.imaging.render import render
from synth.output import s3
from synth.plan import image_spec


def main(count: int = 1000) -> None:
    os.environ.setdefault("AWS_ACCESS_KEY_ID", "bench")
    os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "bench")
    os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")
    preset = load_preset("dents").with_overrides(width=64, height=64)
    bodies = [
        encode_image(render(preset, image_spec(preset, 0, i), 0).image, "png") for i in range(count)
    ]
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    endpoint = f"http://{host}:{port}"
    try:
        for concurrency in (1, 8):
            bucket = f"bench-{concurrency}"
            sink = s3.S3Sink(
                s3.client(endpoint, concurrency=concurrency),
                bucket,
                create_bucket=True,
                concurrency=concurrency,
            )
            sink.prepare(overwrite=False)
            start = time.perf_counter()
            for i, body in enumerate(bodies):
                sink.put(f"images/{i:06d}.png", body, "image/png")
            sink.flush()
            seconds = time.perf_counter() - start
            sink.close()
            print(
                f"concurrency {concurrency}: {count} objects in {seconds:.2f} s, "
                f"{count / seconds:,.0f} objects/s"
            )
    finally:
        server.stop()


if __name__ == "__main__":
    main(*(int(a) for a in sys.argv[1:]))
