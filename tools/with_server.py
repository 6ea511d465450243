"""Run a command against a live server: `article-facts serve` on a free loopback port, its database built from the
seeds in a temporary folder; `{base}` in the command becomes the server's URL. The command's exit status is ours.

    python -m tools.with_server node clients/typescript/build/example.js {base}
"""

import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path


def main() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    base = f"http://127.0.0.1:{port}"
    serve = Path(sys.executable).with_name("article-facts")
    with tempfile.TemporaryDirectory() as folder:
        db = Path(folder) / "facts.sqlite3"
        server = subprocess.Popen([str(serve), "serve", "--db", str(db), "--port", str(port)])
        try:
            deadline = time.monotonic() + 120
            while True:
                try:
                    with urllib.request.urlopen(f"{base}/healthz", timeout=1) as response:
                        if response.status == 200:
                            break
                except OSError:
                    pass
                if server.poll() is not None or time.monotonic() > deadline:
                    print("the server did not start", file=sys.stderr)
                    return 1
                time.sleep(0.2)
            return subprocess.run([arg.replace("{base}", base) for arg in sys.argv[1:]], check=False).returncode
        finally:
            server.terminate()
            server.wait(timeout=30)


if __name__ == "__main__":
    raise SystemExit(main())
