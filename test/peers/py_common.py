"""What the Python test peers share: one JSON object per output line, and
plain libzmq sockets (a REQ with a receive timeout, a SUB, and reading
two-frame publications for a while).

Imported by the scripts beside it (python3 puts a script's folder first on
sys.path).
"""
import json
import math
import time

import zmq


def clean(v):
    """JSON-safe copy: NaN/inf, bytes and integers beyond 2**53 become strings."""
    if isinstance(v, float) and not math.isfinite(v):
        return repr(v)
    if isinstance(v, (bytes, bytearray)):
        return "bytes:" + bytes(v).hex()
    if isinstance(v, dict):
        return {str(k): clean(x) for k, x in v.items()}
    if isinstance(v, (list, tuple)):
        return [clean(x) for x in v]
    if isinstance(v, int) and not isinstance(v, bool) and abs(v) > 2**53:
        return str(v)
    return v


def out(event, **fields):
    """Prints {"event": event, **fields} as one JSON line."""
    print(json.dumps(clean({"event": event, **fields}), ensure_ascii=False, default=repr), flush=True)


def req_socket(ctx, endpoint, timeout_ms):
    """A REQ socket connected to `endpoint`; recv raises zmq.error.Again after timeout_ms."""
    s = ctx.socket(zmq.REQ)
    s.setsockopt(zmq.LINGER, 0)
    s.setsockopt(zmq.RCVTIMEO, timeout_ms)
    s.connect(endpoint)
    return s


def sub_socket(ctx, endpoint):
    """A SUB socket connected to `endpoint`, subscribed to nothing yet."""
    s = ctx.socket(zmq.SUB)
    s.setsockopt(zmq.LINGER, 0)
    s.connect(endpoint)
    return s


def publications(sub, timeout_ms):
    """Yields (topic, payload bytes) of each two-frame message arriving within timeout_ms (0: those already there)."""
    deadline = time.monotonic() + timeout_ms / 1000
    while True:
        left = max(0, int((deadline - time.monotonic()) * 1000))
        if not sub.poll(left):
            return
        frames = sub.recv_multipart()
        if len(frames) == 2:
            yield frames[0].decode("utf-8", "replace"), frames[1]


class Peer:
    """A contract client's sockets: a REQ to the broker (replaced by
    `renew_req` after a timeout) and a SUB to the proxy, with the topics
    subscribed kept for the exact comparison a SUB socket does not make."""

    def __init__(self, frontend, xpub, timeout_ms):
        self.ctx = zmq.Context()
        self.frontend = frontend
        self.timeout_ms = timeout_ms
        self.clock = 0
        self.req = req_socket(self.ctx, frontend, timeout_ms)
        self.sub = sub_socket(self.ctx, xpub)
        self.topics = set()

    def renew_req(self):
        self.req.close()
        self.req = req_socket(self.ctx, self.frontend, self.timeout_ms)

    def subscribe(self, topic):
        self.topics.add(topic)
        self.sub.setsockopt(zmq.SUBSCRIBE, topic.encode())

    def close(self):
        self.req.close()
        self.sub.close()
        self.ctx.term()
