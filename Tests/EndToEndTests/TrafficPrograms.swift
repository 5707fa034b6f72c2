import Foundation

/// The small python3 programs the traffic tests run inside their namespaces. They are written
/// into each topology's work directory, so the tests need nothing but python3 on the machine.
enum TrafficProgram: String, CaseIterable, Sendable {
  case server, probe, stream, listServer

  /// The system python: a version manager's shim on PATH (pyenv) can take over a second to
  /// start, which would eat into the connection timeouts on a loaded machine.
  static let python =
    FileManager.default.isExecutableFile(atPath: "/usr/bin/python3")
    ? "/usr/bin/python3" : "python3"

  var fileName: String { "\(rawValue).py" }

  var source: String {
    switch self {
    case .server: Self.serverSource
    case .probe: Self.probeSource
    case .stream: Self.streamSource
    case .listServer: Self.listServerSource
    }
  }

  /// `server.py PORT...`: listens on every port, IPv4 and IPv6. On each connection it sends a
  /// "." every 100 ms and echoes whatever the client sends, until the client goes away.
  private static let serverSource = #"""
    import socket, sys, threading, time

    def serve(connection):
        def echo():
            try:
                while data := connection.recv(64):
                    connection.sendall(data)
            except OSError:
                pass
        threading.Thread(target=echo, daemon=True).start()
        try:
            while True:
                connection.sendall(b".")
                time.sleep(0.1)
        except OSError:
            connection.close()

    def accept_forever(listener):
        while True:
            connection, _ = listener.accept()
            threading.Thread(target=serve, args=(connection,), daemon=True).start()

    for port in map(int, sys.argv[1:]):
        listener = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
        listener.bind(("::", port))
        listener.listen(64)
        threading.Thread(target=accept_forever, args=(listener,), daemon=True).start()
    print("listening", flush=True)
    threading.Event().wait()
    """#

  /// `probe.py ADDRESS PORT [ADDRESS PORT]...`: tries every pair at once and prints
  /// `ADDRESS PORT OUTCOME` per pair. A handshake that gets no answer within a second was
  /// dropped; a reset means refused; "connected" also needs the server's first byte, so the
  /// data path works both ways.
  private static let probeSource = #"""
    import socket, sys, threading

    CONNECT_TIMEOUT = 1.0
    # Generous: a connection that was accepted must not be reported as dropped because a
    # loaded machine was slow to schedule the server.
    FIRST_BYTE_TIMEOUT = 10.0

    def probe(address, port):
        family = socket.AF_INET6 if ":" in address else socket.AF_INET
        with socket.socket(family, socket.SOCK_STREAM) as s:
            s.settimeout(CONNECT_TIMEOUT)
            try:
                s.connect((address, port))
            except socket.timeout:
                return "dropped"
            except ConnectionRefusedError:
                return "refused"
            except OSError as error:
                return f"error {error}"
            s.settimeout(FIRST_BYTE_TIMEOUT)
            try:
                return "connected" if s.recv(1) else "error closed without data"
            except OSError as error:
                return f"error no data: {error}"

    pairs = list(zip(sys.argv[1::2], map(int, sys.argv[2::2])))
    results = [None] * len(pairs)
    def run(index):
        results[index] = probe(*pairs[index])
    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(pairs))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for (address, port), result in zip(pairs, results):
        print(address, port, result)
    """#

  /// `stream.py ADDRESS PORT READY GO SECONDS`: holds one connection open, sending a "c"
  /// every 100 ms. Creates READY once the server's first byte arrived; from the moment GO
  /// exists it counts for SECONDS the server's "." ticks and the echoes of its own "c", and
  /// prints them as JSON. Echoes prove the client's packets still pass the firewall.
  private static let streamSource = #"""
    import json, os, socket, sys, time

    address, port, ready, go, seconds = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4], float(sys.argv[5])
    report = {"ticks": 0, "echoes": 0, "received_until": 0.0, "closed": False}
    try:
        s = socket.create_connection((address, port), timeout=10)
        if s.recv(1) != b".":
            raise RuntimeError("no first tick")
        open(ready, "w").close()
        s.settimeout(0.05)
        deadline = time.monotonic() + 60
        go_at = None
        next_send = 0.0
        while True:
            now = time.monotonic()
            if now > deadline:
                raise RuntimeError("GO never appeared")
            if go_at is None and os.path.exists(go):
                go_at = now
            if go_at is not None and now - go_at >= seconds:
                break
            if now >= next_send:
                s.sendall(b"c")
                next_send = now + 0.1
            try:
                data = s.recv(64)
            except socket.timeout:
                continue
            if not data:
                report["closed"] = True
                break
            if go_at is not None:
                report["ticks"] += data.count(b".")
                report["echoes"] += data.count(b"c")
                report["received_until"] = time.monotonic() - go_at
    except Exception as error:
        report["error"] = str(error)
    print(json.dumps(report), flush=True)
    """#

  /// `listServer.py PORT LIST STATUS`: an HTTP server on 127.0.0.1:PORT answering every GET
  /// with the file LIST, or with the status code written in the file STATUS while it exists.
  private static let listServerSource = #"""
    import http.server, os, sys

    port, list_path, status_path = int(sys.argv[1]), sys.argv[2], sys.argv[3]

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            if os.path.exists(status_path):
                code = int(open(status_path).read().strip())
                body = b"failing on purpose\n"
            else:
                code = 200
                body = open(list_path, "rb").read()
            self.send_response(code)
            self.send_header("Content-Type", "text/plain")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    server = http.server.ThreadingHTTPServer(("127.0.0.1", port), Handler)
    print("listening", flush=True)
    server.serve_forever()
    """#
}
