#!/usr/bin/python3
"""A foreign chat client on plain libzmq (python3-zmq) and msgpack.

Speaks the wire contract only: REQ to the broker, SUB to the proxy, one
MessagePack map per request, exact topic comparison on deliveries. Logs in,
creates a channel, subscribes to it, publishes and waits for its own
publication. Prints one JSON object per line: {"event": ..., ...}.

usage: py_chat_client.py FRONTEND XPUB USER CHANNEL MESSAGE
"""
import sys
import time

import msgpack
import zmq

from py_common import Peer, out, publications

TIMEOUT_MS = 5000


class Client(Peer):
    def request(self, service, **data):
        self.clock += 1
        data.update(timestamp=time.time(), clock=self.clock)  # seconds: the contract accepts both
        self.req.send(msgpack.packb({"service": service, "data": data}, use_bin_type=True))
        reply = msgpack.unpackb(self.req.recv(), raw=False)
        self.clock = max(self.clock, int(reply.get("data", {}).get("clock", 0)))
        out("reply", service=reply.get("service"), data=reply.get("data"))
        return reply

    def next_delivery(self, timeout_ms):
        """The next publication whose topic is exactly one of ours, or None."""
        for topic, raw in publications(self.sub, timeout_ms):
            if topic not in self.topics:
                continue
            payload = msgpack.unpackb(raw, raw=False)
            self.clock = max(self.clock, int(payload.get("data", {}).get("clock", 0)))
            out("delivery", topic=topic, service=payload.get("service"), data=payload.get("data"))
            return payload
        return None


def main():
    frontend, xpub, user, channel, message = sys.argv[1:6]
    c = Client(frontend, xpub, TIMEOUT_MS)
    try:
        c.request("login", user=user)
        c.request("channel", channel=channel)
        c.subscribe(channel)
        c.subscribe(user)
        # Subscriptions reach the server asynchronously: message ourselves
        # until one comes back, then the channel subscription is in place too.
        for i in range(20):
            text = "sync %d" % i
            c.request("message", src=user, dst=user, message=text)
            if c.next_delivery(500) is not None:
                break
        else:
            out("error", text="subscription never took effect")
            return 1
        c.request("publish", user=user, channel=channel, message=message)
        while True:
            got = c.next_delivery(TIMEOUT_MS)
            if got is None:
                out("error", text="no delivery of our publication")
                return 1
            if got["service"] == "publish" and got["data"].get("message") == message:
                break
        c.request("history", channel=channel)
        out("done", clock=c.clock)
        return 0
    except zmq.error.Again:
        out("error", text="request timed out")
        return 1
    finally:
        c.close()


if __name__ == "__main__":
    sys.exit(main())
