"""The file agent goenv-tui runs on a remote host: a small Python program read over stdin.

It answers JSON-lines requests (stat, read, listdir, write_atomic, run, …) over one SSH channel,
concurrently (a thread per request, answers tagged with the request id), so the hundreds of
small file operations and the parallel shell traces of a diagnosis cost no SSH handshake each.
`run` starts the command in its own session under a deadline and kills its process group
afterwards, as the local runner does. Its source is sent as the remote command's argument; it
only ever touches the paths it is asked about.
"""

AGENT = r'''
import base64, json, os, zlib, pwd, shutil, signal, socket, stat as S, subprocess, sys, tempfile, threading, time, platform

def info(path, follow):
    try:
        st = os.stat(path) if follow else os.lstat(path)
    except OSError as e:
        return {"path": path, "exists": False, "error": e.strerror or str(e)}
    target = None
    if S.S_ISLNK(st.st_mode):
        try:
            target = os.readlink(path)
        except OSError:
            target = None
    return {"path": path, "exists": True, "is_file": S.S_ISREG(st.st_mode), "is_dir": S.S_ISDIR(st.st_mode),
            "is_symlink": S.S_ISLNK(st.st_mode), "mode": st.st_mode, "size": st.st_size, "uid": st.st_uid,
            "mtime_ns": st.st_mtime_ns, "link_target": target}

def write_atomic(path, data, mode):
    directory = os.path.dirname(os.path.abspath(path)) or "."
    old = None
    try:
        old = os.stat(path)
    except OSError:
        pass
    fd, tmp = tempfile.mkstemp(prefix=".goenv-tui.", dir=directory)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        if mode is not None:
            os.chmod(tmp, mode)
        elif old is not None:
            os.chmod(tmp, S.S_IMODE(old.st_mode))
        if old is not None:
            try:
                os.chown(tmp, old.st_uid, old.st_gid)
            except PermissionError:
                pass
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise

def open_regular(path):
    # A FIFO blocks its opener until a writer comes, a device like /dev/zero never ends: only a
    # regular file (or /dev/null) is opened for reading (the same rule as host/local.py).
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_NOCTTY)
    try:
        st = os.fstat(fd)
        if not S.S_ISREG(st.st_mode):
            if S.S_ISCHR(st.st_mode) and st.st_rdev == os.stat(os.devnull).st_rdev:
                return os.fdopen(fd, "rb")
            kind = ("a FIFO (named pipe)" if S.S_ISFIFO(st.st_mode) else "a character device" if S.S_ISCHR(st.st_mode)
                    else "a block device" if S.S_ISBLK(st.st_mode) else "a socket" if S.S_ISSOCK(st.st_mode)
                    else "a directory" if S.S_ISDIR(st.st_mode) else "not a regular file")
            real = os.path.realpath(path)
            raise ValueError(path + ": " + kind + (" (" + real + ")" if real != path else "") + ", not a regular file; not read")
        os.set_blocking(fd, True)
        return os.fdopen(fd, "rb")
    except BaseException:
        try:
            os.close(fd)
        except OSError:
            pass
        raise

def binhead(path, magic):
    with open_regular(path) as fh:
        data = fh.read()
    head = data[:4096]
    at = -1
    start = 0
    while True:
        at = data.find(magic, start)
        if at < 0 or at % 16 == 0:
            break
        start = at + 1
    block = data[at:at + 65536] if at >= 0 else b""
    return head, at, block, len(data)

def run(argv, env, cwd, timeout, stdin, hold, idle=None):
    start = time.monotonic()
    try:
        proc = subprocess.Popen(argv, env=env, cwd=cwd, start_new_session=True, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE,
                                stdin=subprocess.PIPE if (stdin is not None or hold) else subprocess.DEVNULL)
    except OSError as e:
        return {"returncode": None, "stdout": "", "stderr": "", "timed_out": False, "duration_ms": 0.0,
                "error": "cannot start " + argv[0] + ": " + (e.strerror or str(e))}
    bufs = {"out": [], "err": []}

    last = [start]  # when stderr last said something (a traced shell that prints is progressing)

    def pump(stream, key):
        for chunk in iter(lambda: stream.read1(65536), b""):
            bufs[key].append(chunk)
            if key == "err":
                last[0] = time.monotonic()

    readers = [threading.Thread(target=pump, args=(proc.stdout, "out"), daemon=True),
               threading.Thread(target=pump, args=(proc.stderr, "err"), daemon=True)]
    for r in readers:
        r.start()
    if stdin is not None:
        try:
            proc.stdin.write(stdin)
            proc.stdin.close()
        except OSError:
            pass
    timed_out = False
    stalled = False
    while True:
        now = time.monotonic()
        left = start + timeout - now
        if idle is not None:
            left = min(left, last[0] + idle - now)
        try:
            proc.wait(timeout=max(0.0, min(left, 0.1)))
            break
        except subprocess.TimeoutExpired:
            if left > 0:
                continue
        timed_out = True
        stalled = idle is not None and time.monotonic() < start + timeout
        try:
            os.killpg(proc.pid, signal.SIGHUP)
        except OSError:
            pass
        time.sleep(0.3)
    for r in readers:
        r.join(timeout=0.15)
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except OSError:
        pass
    for r in readers:
        r.join(timeout=0.5)
    if proc.stdin is not None:
        try:
            proc.stdin.close()
        except OSError:
            pass
    code = proc.wait()
    # Traces are large and repetitive (PS4 repeats every watched value): compressed they cross
    # the connection ten to fifty times faster.
    return {"returncode": None if timed_out else code, "timed_out": timed_out, "stalled": stalled, "z": True,
            "stdout": base64.b64encode(zlib.compress(b"".join(bufs["out"]), 1)).decode(),
            "stderr": base64.b64encode(zlib.compress(b"".join(bufs["err"]), 1)).decode(),
            "duration_ms": (time.monotonic() - start) * 1000,
            "error": (("no progress for %gs" % idle) if stalled else ("timed out after %gs" % timeout))
            if timed_out else None}

def handle(req):
    op = req["op"]
    if op == "run":
        stdin = base64.b64decode(req["stdin"]) if req.get("stdin") is not None else None
        return run(req["argv"], req.get("env"), req.get("cwd"), req["timeout_s"], stdin, req.get("hold", False),
                   req.get("idle_s"))
    if op == "stat":
        return info(req["path"], True)
    if op == "lstat":
        return info(req["path"], False)
    if op == "prefetch":
        # Each path, and every hop of its symlink chain (the way goenv-tui follows one: relative
        # targets against the realpath of the link's folder), with the lookups that walk asks.
        out = {"lstat": {}, "stat": {}, "realpath": {}}
        for path in req["dirs"]:
            out["realpath"][path] = {"path": os.path.realpath(path)}
        for path in req["paths"]:
            cur = path
            for _ in range(40):
                if cur in out["lstat"]:
                    break
                out["lstat"][cur] = lst = info(cur, False)
                # Nothing there (or not reachable): following it finds nothing either.
                out["stat"][cur] = info(cur, True) if lst["exists"] else lst
                if not lst["exists"]:
                    break
                if not lst["is_symlink"] or lst["link_target"] is None:
                    break
                base = os.path.dirname(cur)
                out["realpath"][base] = {"path": os.path.realpath(base)}
                target = lst["link_target"]
                cur = os.path.normpath(target if target.startswith("/") else os.path.join(out["realpath"][base]["path"], target))
        return out
    if op == "read":
        with open_regular(req["path"]) as fh:
            data = fh.read() if req.get("limit") is None else fh.read(req["limit"])
        return {"data": base64.b64encode(data).decode()}
    if op == "listdir":
        return {"names": sorted(os.listdir(req["path"]))}
    if op == "realpath":
        return {"path": os.path.realpath(req["path"])}
    if op == "which":
        return {"path": shutil.which(req["name"], path=req.get("path"))}
    if op == "write":
        write_atomic(req["path"], base64.b64decode(req["data"]), req.get("mode"))
        return {}
    if op == "makedirs":
        os.makedirs(req["path"], exist_ok=True)
        return {}
    if op == "remove_file":
        try:
            os.unlink(req["path"])
        except FileNotFoundError:
            pass
        return {}
    if op == "remove_tree":
        shutil.rmtree(req["path"], ignore_errors=True)
        return {}
    if op == "mkdtemp":
        return {"path": tempfile.mkdtemp(prefix=req["prefix"])}
    if op == "binhead":
        head, at, block, size = binhead(req["path"], base64.b64decode(req["magic"]))
        return {"head": base64.b64encode(head).decode(), "at": at, "block": base64.b64encode(block).decode(), "size": size}
    if op == "contains":
        with open_regular(req["path"]) as fh:
            data = fh.read()
        return {"found": [n for n in req["needles"] if n.encode() in data]}
    if op == "info":
        pw = pwd.getpwuid(os.getuid())
        return {"hostname": socket.gethostname(), "system": platform.system(), "machine": platform.machine(),
                "euid": os.geteuid(), "home": os.path.expanduser("~"), "shell": pw.pw_shell, "environ": dict(os.environ),
                "has_timeout": shutil.which("timeout", path="/usr/bin:/bin:/usr/local/bin") is not None}
    raise ValueError("unknown op " + op)

out = sys.stdout
lock = threading.Lock()

def serve(req):
    try:
        res = {"ok": True, "result": handle(req)}
    except OSError as e:
        res = {"ok": False, "error": (getattr(e, "filename", None) or "") + ": " + (e.strerror or str(e))}
    except ValueError as e:
        res = {"ok": False, "error": str(e)}
    except Exception as e:
        res = {"ok": False, "error": type(e).__name__ + ": " + str(e)}
    res["id"] = req.get("id")
    with lock:
        out.write(json.dumps(res) + "\n")
        out.flush()

out.write(json.dumps({"ready": True, "info": handle({"op": "info"})}) + "\n")
out.flush()
for line in sys.stdin:
    # Every request in its own thread: shells traced in parallel, file lookups in between.
    threading.Thread(target=serve, args=(json.loads(line),), daemon=True).start()
'''
