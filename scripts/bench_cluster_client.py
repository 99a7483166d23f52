#!/usr/bin/env python3
"""Pushers for scripts/bench-cluster.sh, and the sealed-lag sampler.

    bench_cluster_client.py push  TOKEN SECONDS PUSHERS URL [URL ...]
        PUSHERS threads, spread round-robin over the URLs (one keep-alive connection each), each
        pushing for SECONDS: a unique 4 KiB blob (POST /v1/namespaces/bench/blobs) then a
        one-file version of it (PUT …/artifacts/p<N>/versions/<i>). Every request carries a unique
        X-Request-ID (`bench-<run>-<pusher>-<i>-{blob,version}`), which its audit record keeps.
        Prints `versions=<n> seconds=<s> failures=<f> p90_ms=<version latency p90>`.

    bench_cluster_client.py count TOKEN VERSIONS PUSHERS URL
        The same pushes, but exactly VERSIONS of them (spread over PUSHERS threads, one
        keep-alive connection each, all to URL) instead of for a time: what scripts/bench-write-cost.sh
        counts instructions, statements and S3 requests over. Prints the same line.

    bench_cluster_client.py lag   PSQL_URL SCHEMA SECONDS PREFIX
        Samples `audit_pending` every 20 ms through one psql session for SECONDS (plus 3 s to drain),
        then reads the sealed records whose request id starts with PREFIX and whose time falls after the
        first sample. A record's sealed lag
        is the time of the first sample after its timestamp in which it was no longer pending,
        minus its timestamp (an upper bound, 20 ms granular). Prints
        `sealed_lag_p50_ms=… sealed_lag_p99_ms=… sealed_records=… never_sealed=…`.
"""
import http.client
import json
import os
import resource
import subprocess
import sys
import threading
import time
import urllib.parse


def push(token, seconds, pushers, urls, versions=None):
    """Pushes for `seconds`, or (when `versions` is given) exactly that many versions in all."""
    run = os.urandom(4).hex()
    deadline = time.monotonic() + seconds
    counts, failures, latencies = [0] * pushers, [0] * pushers, []
    lock = threading.Lock()

    def more(index, i):
        if versions is None:
            return time.monotonic() < deadline
        return i < versions // pushers + (1 if index < versions % pushers else 0)

    def pusher(index):
        target = urllib.parse.urlsplit(urls[index % len(urls)])
        connection = http.client.HTTPConnection(target.hostname, target.port, timeout=60)
        i = 0
        while more(index, i):
            i += 1
            rid = f"bench-{run}-{index}-{i}"
            headers = {"Authorization": f"Bearer {token}"}
            try:
                connection.request("POST", "/v1/namespaces/bench/blobs", body=os.urandom(4096),
                                   headers={**headers, "X-Request-ID": rid + "-blob"})
                response = connection.getresponse()
                body = response.read()
                if response.status != 201:
                    failures[index] += 1
                    continue
                address = json.loads(body)["address"]
                manifest = json.dumps({"files": [{"path": "f", "address": address}]}).encode()
                started = time.monotonic()
                connection.request("PUT", f"/v1/namespaces/bench/artifacts/p{index}-{run}/versions/{i}", body=manifest,
                                   headers={**headers, "X-Request-ID": rid + "-version", "Content-Type": "application/json"})
                response = connection.getresponse()
                response.read()
                if response.status == 201:
                    counts[index] += 1
                    with lock:
                        latencies.append(time.monotonic() - started)
                else:
                    failures[index] += 1
            except (OSError, http.client.HTTPException):
                failures[index] += 1
                connection.close()
                connection = http.client.HTTPConnection(target.hostname, target.port, timeout=60)

    started = time.monotonic()
    threads = [threading.Thread(target=pusher, args=(n,)) for n in range(pushers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.monotonic() - started
    latencies.sort()
    p90 = latencies[int(len(latencies) * 0.9)] * 1000 if latencies else float("nan")
    return {"versions": sum(counts), "seconds": round(elapsed, 3), "failures": sum(failures), "p90_ms": round(p90, 1), "run": run}


def push_line(result):
    return " ".join(f"{key}={result[key]}" for key in ("versions", "seconds", "failures", "p90_ms", "run"))


def lag(psql_url, schema, seconds, prefix):
    session = subprocess.Popen(["psql", "-X", "-A", "-t", "-q", psql_url], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                               stderr=subprocess.DEVNULL, text=True, bufsize=1)
    session.stdin.write(f'SET search_path TO "{schema}";\n')
    samples = []  # (epoch seconds, set of pending request ids)
    deadline = time.monotonic() + seconds + 3
    while time.monotonic() < deadline:
        # The marker ends every answer, so a failed query (no audit_pending before schema 5) cannot
        # leave the reader waiting.
        session.stdin.write("SELECT extract(epoch FROM clock_timestamp()) || '|' || "
                            "coalesce(string_agg(request_id, ','), '') FROM audit_pending;\n\\echo END\n")
        session.stdin.flush()
        for line in iter(session.stdout.readline, ""):
            line = line.strip()
            if line == "END":
                break
            stamp, _, ids = line.partition("|")
            try:
                samples.append((float(stamp), set(filter(None, ids.split(",")))))
            except ValueError:
                pass
        time.sleep(0.02)
    session.stdin.write(f"SELECT request_id || '|' || time FROM audit_log WHERE request_id LIKE '{prefix}%';\n")
    session.stdin.close()
    records = [line.strip().split("|") for line in session.stdout if "|" in line]
    session.wait()
    lags, never = [], 0
    first = samples[0][0] if samples else float("inf")
    for rid, stamp in records:
        written = int(stamp) / 1000
        if written < first:
            continue  # written before sampling began (an earlier run)
        sealed = next((t for t, pending in samples if t > written and rid not in pending), None)
        if sealed is None:
            never += 1
        else:
            lags.append((sealed - written) * 1000)
    lags.sort()
    pick = lambda q: f"{lags[min(len(lags) - 1, int(len(lags) * q))]:.0f}" if lags else "nan"
    print(f"sealed_lag_p50_ms={pick(0.5)} sealed_lag_p99_ms={pick(0.99)} sealed_records={len(lags)} never_sealed={never}")


TICK = os.sysconf("SC_CLK_TCK")


def process_times(pid):
    """(utime + stime, cutime + cstime, parent pid) of `pid` in clock ticks, or None once it is gone.

    The fields after the command name, which may hold spaces: /proc/PID/stat fields 4, 14-17."""
    try:
        fields = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return int(fields[11]) + int(fields[12]), int(fields[13]) + int(fields[14]), int(fields[1])


def all_processes():
    """{pid: (own ticks, reaped children's ticks, parent pid, comm, cmdline)} of every process now."""
    table = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        times = process_times(entry)
        try:
            comm = open(f"/proc/{entry}/comm").read().strip()
            cmdline = open(f"/proc/{entry}/cmdline", "rb").read().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        if times:
            table[int(entry)] = (*times, comm, cmdline)
    return table


def cpu_snapshot(spec):
    """CPU seconds used so far by each group of `spec` (`name=what;…`), and by the machine.

    `what` is `pid,pid…` (those processes, all threads), `tree:pid` (that process, its live
    children and the children it has reaped: a PostgreSQL postmaster and its backends, whose CPU
    stays counted after they exit), `comm:NAME` (every process of that name, with what those
    whose parent has another name reaped) or `cmd:TEXT` (every process whose command line holds
    TEXT, with what it reaped)."""
    table = all_processes()
    groups = {}
    for item in filter(None, spec.split(";")):
        name, what = item.split("=", 1)
        ticks = 0
        if what.startswith("tree:"):
            root = int(what[5:])
            if root in table:
                ticks += table[root][0] + table[root][1]
            ticks += sum(row[0] + row[1] for row in table.values() if row[2] == root)
        elif what.startswith("comm:"):
            ticks += sum(row[0] + (row[1] if table.get(row[2], (0, 0, 0, ""))[3] != row[3] else 0)
                         for row in table.values() if row[3] == what[5:])
        elif what.startswith("cmd:"):
            ticks += sum(row[0] + row[1] for row in table.values() if what[4:] in row[4])
        else:
            ticks += sum(table[int(pid)][0] for pid in what.split(",") if int(pid) in table)
        groups[name] = groups.get(name, 0) + ticks / TICK
    user, nice, system, _idle, _iowait, irq, softirq, steal = map(int, open("/proc/stat").readline().split()[1:9])
    groups["machine"] = (user + nice + system + irq + softirq) / TICK
    groups["steal"] = steal / TICK
    return groups


def own_cpu():
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def measure(token, seconds, pushers, spec, urls):
    """One window of scripts/bench-cluster.sh: the pushes of `push`, and the CPU seconds every
    group of `spec` (see cpu_snapshot), the pushers (this process) and the whole machine used
    meanwhile, with the load average before and after. Prints one JSON object."""
    load_before = float(open("/proc/loadavg").read().split()[0])
    before, pushers_before = cpu_snapshot(spec), own_cpu()
    result = push(token, seconds, pushers, urls)
    pushers_cpu = own_cpu() - pushers_before
    after = cpu_snapshot(spec)
    cpu = {name: round(after[name] - before[name], 3) for name in before}
    cpu["pushers"] = round(pushers_cpu, 3)
    result["cpu"] = cpu
    result["load"] = [load_before, float(open("/proc/loadavg").read().split()[0])]
    print(json.dumps(result))


def median(values):
    values = sorted(v for v in values if v == v)
    if not values:
        return float("nan")
    middle = len(values) // 2
    return values[middle] if len(values) % 2 else (values[middle - 1] + values[middle]) / 2


def report(windows_path, result_path, totals):
    """Summarises the windows of scripts/bench-cluster.sh (one JSON object a line: round, pushers,
    nodes, the `measure` object as `window`, statements, commits, rollbacks), writes them and the
    summary to `result_path` and prints the table and the RESULT line; `totals` are `key=value`
    words of the whole run (deadlocks, rollback_ratio, sealed_lag_p99_ms), placed in the line."""
    windows = [json.loads(line) for line in open(windows_path) if line.strip()]
    groups = ("serve", "postgres", "moto", "pushers")

    def figures(w):
        window, versions = w["window"], max(1, w["window"]["versions"])
        cpu = dict(window["cpu"])
        # node1, node2, …: one serve process each; those past the window's node count took no pushes.
        nodes = sorted(key for key in cpu if key.startswith("node"))
        cpu["serve"] = sum(cpu[key] for key in nodes)
        idle = sum(cpu[key] for key in nodes[w["nodes"]:])
        ours = sum(cpu.get(g, 0) for g in groups)
        f = {"rate": window["versions"] / window["seconds"], "cpu_ms": 1000 * ours / versions,
             "busy": cpu["machine"] / window["seconds"] / os.cpu_count(),
             "others": (cpu["machine"] - ours) / window["seconds"] / os.cpu_count(),
             "idle_nodes": idle / window["seconds"],
             "statements": (w["statements"] / versions) if w.get("statements") is not None else float("nan"),
             "rollbacks": w["rollbacks"] / max(1, w["commits"] + w["rollbacks"])}
        for g in groups:
            f[g] = 1000 * cpu.get(g, 0) / versions
        return f

    for w in windows:
        w["figures"] = figures(w)
    print(f"{'round':>5} {'push':>4} {'nodes':>5} {'ver/s':>7} {'CPU ms/ver':>10} {'serve':>6} {'pg':>6} {'moto':>6} "
          f"{'push':>6} {'idle nodes':>10} {'stmt/ver':>8} {'rollback':>8} {'busy':>5} {'others':>6} {'load':>9}")
    for w in windows:
        f = w["figures"]
        print(f"{w['round']:>5} {w['pushers']:>4} {w['nodes']:>5} {f['rate']:7.1f} {f['cpu_ms']:10.2f} {f['serve']:6.2f} "
              f"{f['postgres']:6.2f} {f['moto']:6.2f} {f['pushers']:6.2f} {100 * f['idle_nodes']:9.1f}% {f['statements']:8.2f} {100 * f['rollbacks']:7.2f}% "
              f"{100 * f['busy']:4.0f}% {100 * f['others']:5.0f}% {w['window']['load'][0]:4.1f}-{w['window']['load'][1]:<4.1f}")
    summary = {}
    for pushers in sorted({w["pushers"] for w in windows}, reverse=True):
        mine = [w for w in windows if w["pushers"] == pushers]
        nodes = sorted({w["nodes"] for w in mine})
        rounds = sorted({w["round"] for w in mine})
        cell = {(w["round"], w["nodes"]): w["figures"] for w in mine}
        entry = {"nodes": {}}
        for n in nodes:
            entry["nodes"][n] = {key: round(median(cell[(r, n)][key] for r in rounds if (r, n) in cell), 4)
                                 for key in ("rate", "cpu_ms", "statements", "rollbacks", "others", "idle_nodes") + groups}
        for n in nodes[1:]:
            for key, label in (("rate", "writes"), ("cpu_ms", "cpu")):
                ratios = [cell[(r, n)][key] / cell[(r, nodes[0])][key] for r in rounds
                          if (r, n) in cell and (r, nodes[0]) in cell and cell[(r, nodes[0])][key] > 0]
                entry[f"{label}_{n}n_vs_{nodes[0]}n_rounds"] = [round(x, 3) for x in ratios]
                entry[f"{label}_{n}n_vs_{nodes[0]}n"] = round(median(ratios), 3)
        summary[pushers] = entry
        print(f"\n{pushers} pushers, medians of {len(rounds)} rounds (per-round ratios against {nodes[0]} node in brackets):")
        for n in nodes:
            e = entry["nodes"][n]
            line = (f"  {n} node(s): {e['rate']:7.1f} versions/s, {e['cpu_ms']:6.2f} CPU ms/version (serve {e['serve']:.2f}, "
                    f"postgres {e['postgres']:.2f}, moto {e['moto']:.2f}, pushers {e['pushers']:.2f}), "
                    f"{e['statements']:.2f} statements/version, idle nodes {100 * e['idle_nodes']:.1f}% of a core")
            if n != nodes[0]:
                line += (f"; versions/s x{entry[f'writes_{n}n_vs_{nodes[0]}n']:.2f} {entry[f'writes_{n}n_vs_{nodes[0]}n_rounds']}, "
                         f"CPU/version x{entry[f'cpu_{n}n_vs_{nodes[0]}n']:.2f} {entry[f'cpu_{n}n_vs_{nodes[0]}n_rounds']}")
            print(line)
    main = summary[max(summary)]
    fmt = lambda x, digits=2: "nan" if x != x else f"{x:.{digits}f}"
    values = {"writes_2n_vs_1n": fmt(main.get("writes_2n_vs_1n", float("nan"))),
              "writes_3n_vs_1n": fmt(main.get("writes_3n_vs_1n", float("nan")))}
    values.update(dict(word.split("=", 1) for word in totals))
    values["writes_1n"] = fmt(main["nodes"][1]["rate"], 1)
    for n in (1, 2, 3):
        if n in main["nodes"]:
            values[f"cpu_ms_per_version_{n}n"] = fmt(main["nodes"][n]["cpu_ms"])
    values["cpu_2n_vs_1n"] = fmt(main.get("cpu_2n_vs_1n", float("nan")))
    values["cpu_3n_vs_1n"] = fmt(main.get("cpu_3n_vs_1n", float("nan")))
    values["others_cpu_percent"] = fmt(100 * median(w["figures"]["others"] for w in windows), 0)
    result = json.load(open(result_path)) if os.path.exists(result_path) else {}
    result.update({"windows": windows, "summary": {str(k): v for k, v in summary.items()}, "result": values})
    with open(result_path, "w") as out:
        json.dump(result, out, indent=1)
    print("RESULT " + " ".join(f"{key}={value}" for key, value in values.items()))


if __name__ == "__main__":
    if sys.argv[1] == "push":
        print(push_line(push(sys.argv[2], float(sys.argv[3]), int(sys.argv[4]), sys.argv[5:])))
    elif sys.argv[1] == "count":
        print(push_line(push(sys.argv[2], float("inf"), int(sys.argv[4]), sys.argv[5:], versions=int(sys.argv[3]))))
    elif sys.argv[1] == "measure":
        measure(sys.argv[2], float(sys.argv[3]), int(sys.argv[4]), sys.argv[5], sys.argv[6:])
    elif sys.argv[1] == "report":
        report(sys.argv[2], sys.argv[3], sys.argv[4:])
    elif sys.argv[1] == "lag":
        lag(sys.argv[2], sys.argv[3], float(sys.argv[4]), sys.argv[5])
    else:
        sys.exit("usage: bench_cluster_client.py push|count|measure|lag|report …")
