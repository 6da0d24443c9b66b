"""The reference shape for the cluster benchmark, on libzmq via pyzmq:
libzmq's C zmq_proxy in front (ROUTER/DEALER for requests, XSUB/XPUB for
publications) and REP workers that store nothing: each request is decoded
(MessagePack), a publish is published to its channel, and every request is
answered OK. Run with /usr/bin/python3 (Debian's python3-zmq and
python3-msgpack).

  reference.py rr-proxy <frontend> <backend>
  reference.py ps-proxy <xsub> <xpub>
  reference.py worker <backend> <xsub>
"""
import sys
import time

import msgpack
import zmq

role = sys.argv[1]
ctx = zmq.Context()


def sock(kind, **opts):
    s = ctx.socket(kind)
    s.setsockopt(zmq.LINGER, 0)
    for k, v in opts.items():
        s.setsockopt(getattr(zmq, k), v)
    return s


if role == "rr-proxy":
    front = sock(zmq.ROUTER, SNDHWM=100000, RCVHWM=100000)
    back = sock(zmq.DEALER, SNDHWM=100000, RCVHWM=100000)
    front.bind(sys.argv[2])
    back.bind(sys.argv[3])
    print("ready", flush=True)
    zmq.proxy(front, back)
elif role == "ps-proxy":
    xsub = sock(zmq.XSUB, RCVHWM=100000)
    xpub = sock(zmq.XPUB, SNDHWM=100000)
    xsub.bind(sys.argv[2])
    xpub.bind(sys.argv[3])
    print("ready", flush=True)
    zmq.proxy(xsub, xpub)
elif role == "worker":
    rep = sock(zmq.REP)
    rep.connect(sys.argv[2])
    pub = sock(zmq.PUB, SNDHWM=100000)
    pub.connect(sys.argv[3])
    clock = 0
    print("ready", flush=True)
    while True:
        req = msgpack.unpackb(rep.recv(), raw=False)
        service = req.get("service", "?") if isinstance(req, dict) else "?"
        data = req.get("data", {}) if isinstance(req, dict) else {}
        clock = max(clock, data.get("clock", 0) if isinstance(data.get("clock", 0), int) else 0) + 1
        now = time.time() * 1000
        if service == "publish":
            msg = {"id": data.get("id"), "user": data.get("user"), "channel": data.get("channel"),
                   "message": data.get("message"), "timestamp": now, "clock": clock}
            pub.send_multipart([str(data.get("channel")).encode(), msgpack.packb({"service": "publish", "data": msg})])
            reply = {"status": "OK", "id": data.get("id")}
        else:
            reply = {"status": "sucesso"}
        clock += 1
        reply.update({"timestamp": now, "clock": clock})
        rep.send(msgpack.packb({"service": service, "data": reply}))
else:
    sys.exit("unknown role " + role)
