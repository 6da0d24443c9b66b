#!/usr/bin/python3
"""A foreign client written the way other teams write theirs: pyzmq + msgpack.

Plain python3-zmq REQ to the broker and SUB to the proxy, one MessagePack
map {service, data} per request, `timestamp: int(time.time() * 1000)` (a
uint64 on the wire, as every Python client of the course sends it) and a
plain int Lamport counter updated from each reply with max(). Deliveries
are matched on the exact topic (a SUB socket filters by prefix).

It makes no judgement of its own: it prints one JSON object per line of
what it sent and got, for the conformance test to assert on.

  {"event": "reply", "step", "request_service", "service", "sent", "sent_clock", "data", "types"}
  {"event": "timeout", "step"}          no reply (the socket is then replaced)
  {"event": "delivery", "topic", "service", "data", "types", "keys"}
  {"event": "ignored", "topic"}         prefix match dropped by the exact compare
  {"event": "subscribed"} / {"event": "error", "text"} / {"event": "done"}

`types` names the Python type msgpack decoded `timestamp` and `clock` to
("int", "float", "str", "missing", ...): a typed client needs integers.

usage: py_conformance_client.py services FRONTEND XPUB USER PEER CHANNEL
       py_conformance_client.py bad      FRONTEND XPUB USER CHANNEL
"""
import math
import sys
import time
import uuid
from datetime import datetime, timezone

import msgpack
import zmq

from py_common import Peer, out, publications

TIMEOUT_MS = 10000


def type_of(d, key):
    if not isinstance(d, dict) or key not in d:
        return "missing"
    return type(d[key]).__name__


class Client(Peer):
    def __init__(self, frontend, xpub):
        super().__init__(frontend, xpub, TIMEOUT_MS)
        self.deliveries = []
        self.ignored = set()

    def request(self, step, service, **data):
        """Stamps and sends one request; fields given here win over the stamp."""
        self.clock += 1
        body = {"timestamp": int(time.time() * 1000), "clock": self.clock}
        body.update(data)
        return self.send_raw(step, msgpack.packb({"service": service, "data": body}), service, body)

    def send_raw(self, step, frame, service=None, sent=None):
        self.req.send(frame)
        try:
            raw = self.req.recv()
        except zmq.error.Again:
            out("timeout", step=step, service=service)
            self.renew_req()
            return {}
        reply = msgpack.unpackb(raw, raw=False)
        data = reply.get("data") if isinstance(reply, dict) else None
        if isinstance(data, dict):
            c = data.get("clock")
            if isinstance(c, (int, float)) and not isinstance(c, bool) and math.isfinite(c):
                self.clock = max(self.clock, int(c))
        sent_clock = sent.get("clock") if isinstance(sent, dict) else None
        out("reply", step=step, request_service=service,
            service=reply.get("service") if isinstance(reply, dict) else None,
            sent=sent, sent_clock=sent_clock, data=data,
            types={"timestamp": type_of(data, "timestamp"), "clock": type_of(data, "clock")})
        return data if isinstance(data, dict) else {}

    def pump(self, timeout_ms):
        """Reads publications for up to timeout_ms (0: only what is there)."""
        for topic, raw in publications(self.sub, timeout_ms):
            if topic not in self.topics:
                self.ignored.add(topic)
                out("ignored", topic=topic)
                continue
            payload = msgpack.unpackb(raw, raw=False)
            if not isinstance(payload, dict):
                continue
            data = payload.get("data")
            if isinstance(data, dict):
                c = data.get("clock")
                if isinstance(c, int) and not isinstance(c, bool):
                    self.clock = max(self.clock, c)
            self.deliveries.append((topic, payload))
            out("delivery", topic=topic, service=payload.get("service"), data=data,
                types={"timestamp": type_of(data, "timestamp"), "clock": type_of(data, "clock")},
                keys=sorted(str(k) for k in payload))

    def wait_for(self, pred, timeout_ms):
        deadline = time.monotonic() + timeout_ms / 1000
        while True:
            for d in self.deliveries:
                if pred(*d):
                    return d
            left = int((deadline - time.monotonic()) * 1000)
            if left <= 0:
                return None
            self.pump(min(left, 200))


def text_of(payload):
    data = payload.get("data")
    return data.get("message") if isinstance(data, dict) else None


def messages(reply):
    m = reply.get("messages")
    return m if isinstance(m, list) else []


def services(c, user, peer, channel):
    prefixed = user + "bel"  # a SUB socket for `user` receives this one's messages too
    c.request("login", "login", user=user)
    c.request("login-peer", "login", user=peer)
    c.request("login-prefixed", "login", user=prefixed)
    c.request("users", "users")
    c.request("channel", "channel", channel=channel)
    c.request("channel-again", "channel", channel=channel)
    c.request("channels", "channels")

    c.subscribe(channel)
    c.subscribe(user)
    # Subscriptions reach the proxy asynchronously: message ourselves until
    # one comes back; the channel subscription, sent before, is then in place.
    for i in range(20):
        text = "sync %d" % i
        c.request("sync", "message", src=user, dst=user, message=text)
        if c.wait_for(lambda t, p: t == user and text_of(p) == text, 500):
            out("subscribed")
            break
    else:
        out("error", text="subscription never took effect")

    posts = ["%s says hello #%d" % (user, i) for i in (1, 2, 3)]
    for i, text in enumerate(posts, 1):
        c.request("publish-%d" % i, "publish", user=user, channel=channel, message=text)
    own_id = "%s-%s" % (user, uuid.uuid4().hex[:12])
    last = "%s posts with an id" % user
    c.request("publish-id", "publish", user=user, channel=channel, message=last, id=own_id)
    c.request("publish-retry", "publish", user=user, channel=channel, message=last, id=own_id)
    posts.append(last)

    to_peer = "psst %s, from %s" % (peer, user)
    to_user = "hi back %s, from %s" % (user, peer)
    c.request("message-1", "message", src=user, dst=peer, message=to_peer)
    c.request("message-2", "message", src=peer, dst=user, message=to_user, id="%s-pm-%s" % (peer, uuid.uuid4().hex[:8]))
    c.request("message-prefixed", "message", src=peer, dst=prefixed, message="not for %s" % user)

    for text in posts:
        c.wait_for(lambda t, p, text=text: t == channel and text_of(p) == text, TIMEOUT_MS)
    c.wait_for(lambda t, p: t == user and text_of(p) == to_user, TIMEOUT_MS)
    deadline = time.monotonic() + TIMEOUT_MS / 1000
    while prefixed not in c.ignored and time.monotonic() < deadline:
        c.pump(200)
    c.pump(500)  # a duplicate delivery would show up here

    page = c.request("history-channel", "history", channel=channel)
    msgs = messages(page)
    c.request("history-limit", "history", channel=channel, limit=2)
    third = msgs[2] if len(msgs) >= 4 and isinstance(msgs[2], dict) else {}
    c.request("history-before-id", "history", channel=channel, limit=2, before=third.get("id", "unknown"))
    c.request("history-before-clock", "history", channel=channel, before=third.get("clock", 0))
    conv = c.request("history-private", "history", user=user, peer=peer)
    pms = messages(conv)
    c.request("history-private-limit", "history", user=user, peer=peer, limit=1)
    second = pms[1] if len(pms) >= 2 and isinstance(pms[1], dict) else {}
    c.request("history-private-before", "history", user=user, peer=peer, limit=1, before=second.get("id", "unknown"))


def bad(c, user, channel):
    c.request("login", "login", user=user)
    c.request("channel", "channel", channel=channel)

    def publish(step, text, **override):
        try:
            c.request(step, "publish", user=user, channel=channel, message=text, **override)
        except (OverflowError, TypeError, ValueError) as e:
            out("unpackable", step=step, text=str(e))

    cases = [
        ("clock-negative", {"clock": -1}),
        ("clock-string", {"clock": "abc"}),
        ("clock-uint64-max", {"clock": 2**64 - 1}),
        ("clock-nan", {"clock": float("nan")}),
        ("clock-inf", {"clock": float("inf")}),
        ("timestamp-iso", {"timestamp": datetime.now(timezone.utc).isoformat()}),
        ("timestamp-seconds", {"timestamp": time.time()}),
        ("clock-float", {"clock": 5.0}),
    ]
    for name, override in cases:
        publish(name, "bad input %s" % name, **override)
        publish("after-" + name, "normal after %s" % name)

    # Garbage that is not a request at all: answered on the same socket.
    c.send_raw("garbage-reserved-byte", b"\xc1")
    c.send_raw("garbage-array", msgpack.packb(["publish", {"user": user}]))
    c.request("garbage-no-data", "publish")
    c.request("garbage-unknown-service", "frobnicate")
    c.request("garbage-peer-service", "election")
    publish("after-garbage", "normal after garbage")

    # The largest integer a double holds exactly, as a float: a clock this
    # high used to leave the server's own counter unable to tick.
    publish("clock-max-safe", "bad input clock-max-safe", clock=9007199254740991.0)
    for i in range(1, 6):
        publish("after-clock-max-safe-%d" % i, "normal after clock-max-safe %d" % i)
    c.request("history-bad", "history", channel=channel)


def main():
    mode = sys.argv[1]
    c = Client(sys.argv[2], sys.argv[3])
    try:
        if mode == "services":
            services(c, *sys.argv[4:7])
        elif mode == "bad":
            bad(c, *sys.argv[4:6])
        else:
            out("error", text="unknown mode %r" % mode)
            return 2
        out("done", clock=c.clock)
        return 0
    finally:
        c.close()


if __name__ == "__main__":
    sys.exit(main())
