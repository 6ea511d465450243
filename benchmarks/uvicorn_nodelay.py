"""uvicorn's command line, with TCP_NODELAY on every connection of ``--workers N`` too.

uvicorn's supervisor binds the listening socket itself with ``proto`` left at 0; accepted sockets inherit it, and
asyncio's loop sets TCP_NODELAY only on sockets whose ``proto`` is IPPROTO_TCP
([Kludex/uvicorn#3149](https://github.com/Kludex/uvicorn/issues/3149), open). With Nagle's algorithm on, each
keep-alive response waits for the client's delayed ACK: two workers served 721 req/s (p50 44 ms) where one
served 2,237 (p50 14 ms). One worker is not affected (asyncio binds from ``getaddrinfo``, which says TCP), nor is
``article-facts serve`` (one process). The bench runs every server through this, with either environment's
uvicorn: ``python benchmarks/uvicorn_nodelay.py <uvicorn's arguments>``.
"""

import socket
import sys

import uvicorn.config
import uvicorn.main

_bind_socket = uvicorn.config.Config.bind_socket


def bind_socket(self: uvicorn.config.Config) -> socket.socket:
    """The socket uvicorn binds, told to be TCP when it is an internet socket (the same file descriptor)."""
    sock = _bind_socket(self)
    if sock.family in (socket.AF_INET, socket.AF_INET6) and sock.proto != socket.IPPROTO_TCP:
        return socket.socket(sock.family, sock.type, socket.IPPROTO_TCP, fileno=sock.detach())
    return sock


uvicorn.config.Config.bind_socket = bind_socket  # type: ignore[method-assign]

if __name__ == "__main__":
    sys.exit(uvicorn.main.main())
