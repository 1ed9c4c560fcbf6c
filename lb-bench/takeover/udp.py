"""The load of lb-bench/takeover/measure.sh.

udp.py echo                          a UDP echo server on 127.0.0.1:15001; on SIGTERM prints how many sender
                                     addresses it saw (the appliance's upstream 4-tuples: 16 when no client was
                                     rebound, more when a replacement gave clients new upstream sockets)
udp.py client CLIENTS RATE SECONDS   CLIENTS sockets send RATE datagrams per second in all to 127.0.0.1:14433, each a
                                     QUIC short header whose plaintext CID names server ID 0a01 of config 0; prints
                                     how many were sent, answered and lost
"""
import signal
import socket
import struct
import sys
import time

mode = sys.argv[1]
if mode == 'echo':
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
    s.bind(('127.0.0.1', 15001))
    peers = set()

    def report(*_):
        print('upstream addresses seen', len(peers), flush=True)
        sys.exit(0)

    signal.signal(signal.SIGTERM, report)
    while True:
        data, peer = s.recvfrom(2048)
        peers.add(peer)
        s.sendto(data, peer)
else:
    clients, rate, seconds = int(sys.argv[2]), int(sys.argv[3]), float(sys.argv[4])
    socks = []
    for i in range(clients):
        c = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        c.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
        c.bind(('127.0.0.1', 0))
        c.setblocking(False)
        socks.append(c)
    sent = [0] * clients
    got = [0] * clients
    interval = clients / rate
    end = time.time() + seconds
    due = time.time()
    seq = 0

    def drain(i, c):
        try:
            while True:
                c.recv(2048)
                got[i] += 1
        except BlockingIOError:
            pass

    while time.time() < end:
        for i, c in enumerate(socks):
            cid = bytes([0x08, 0x0a, 0x01]) + struct.pack('>IH', i, seq & 0xffff)  # config 0, length 9, SID 0a01
            c.sendto(bytes([0x43]) + cid + struct.pack('>Q', seq) + b'x' * 40, ('127.0.0.1', 14433))
            sent[i] += 1
            drain(i, c)
        seq += 1
        due += interval
        delay = due - time.time()
        if delay > 0:
            time.sleep(delay)
    time.sleep(1.0)
    for i, c in enumerate(socks):
        drain(i, c)
    print('sent', sum(sent), 'replies', sum(got), 'lost', sum(sent) - sum(got))
