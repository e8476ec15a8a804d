#!/usr/bin/env python3
"""Read-API benchmark client and EXPLAIN collector (issue 5), standard library only.

  bench.py http    --base http://127.0.0.1:PORT --token TOKEN --known FILE --out results.json [--quick] [--only G,..]
  bench.py explain --sql-dir DIR --out-md explain.md --out-json explain.json
  bench.py report  --results results.json --sql-dir DIR [--pgss pgss.tsv]

`http` measures single-connection, sequential latency over a kept-alive HTTP/1.1
connection (the time from sending the request to having read the whole body),
with a few unrecorded warm-up requests per scenario, and optionally a small
concurrent run. `explain` runs EXPLAIN (ANALYZE, BUFFERS) of the service's own
SQL (dumped by dump_sql) with representative parameters three ways: custom plan
(parameters known), generic plan, and what the service runs (a custom plan for
the statements it plans per call, listed in plan_per_call.txt; otherwise what a
prepared statement uses by default after five executions); it flags any
sequential scan of events.
psql is found through the usual PG* environment variables.
"""
import argparse
import http.client
import json
import os
import random
import re
import statistics
import subprocess
import sys
import threading
import time
import urllib.parse

#------------------------------------------------------------------------------
# helpers


def psql(sql, *, db=None, timeout=600):
    """Runs SQL with psql -At and returns stdout (raises on error)."""
    cmd = ["psql", "-X", "-q", "-At", "-v", "ON_ERROR_STOP=1"]
    if db:
        cmd += ["-d", db]
    r = subprocess.run(cmd, input=sql, capture_output=True, text=True, timeout=timeout)
    if r.returncode != 0:
        raise RuntimeError("psql failed: " + r.stderr.strip())
    return r.stdout


def loadavg():
    with open("/proc/loadavg") as f:
        return float(f.read().split()[0])


def pct(sorted_values, p):
    """Nearest-rank percentile of an ascending list."""
    if not sorted_values:
        return None
    k = max(1, -(-len(sorted_values) * p // 100))  # ceil(n * p / 100)
    return sorted_values[int(k) - 1]


def summarize(samples_ms):
    s = sorted(samples_ms)
    if not s:
        return {"n": 0}
    return {"n": len(s), "p50": pct(s, 50), "p90": pct(s, 90), "p99": pct(s, 99), "max": s[-1],
            "mean": statistics.fmean(s)}


#------------------------------------------------------------------------------
# HTTP


class Client:
    def __init__(self, base, token):
        u = urllib.parse.urlsplit(base)
        self.host, self.port = u.hostname, u.port
        self.headers = {"Authorization": "Bearer " + token, "Accept": "application/json"}
        self.conn = None

    def call(self, method, path, body=None):
        """Returns (elapsed_ms, status, body_bytes); reconnects once on a dropped connection."""
        headers = dict(self.headers)
        if body is not None:
            headers["Content-Type"] = "application/json"
        for attempt in (1, 2):
            if self.conn is None:
                self.conn = http.client.HTTPConnection(self.host, self.port, timeout=60)
                self.conn.connect()
            try:
                t0 = time.perf_counter()
                self.conn.request(method, path, body=body, headers=headers)
                resp = self.conn.getresponse()
                data = resp.read()
                elapsed = (time.perf_counter() - t0) * 1000.0
                if resp.getheader("Connection", "").lower() == "close":
                    self.conn.close()
                    self.conn = None
                return elapsed, resp.status, data
            except (http.client.HTTPException, ConnectionError, OSError):
                self.conn.close()
                self.conn = None
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")


def run_http(args):
    rng = random.Random(args.seed)
    known = [line.strip() for line in open(args.known) if line.strip()]
    if len(known) < 1000:
        sys.exit(f"need at least 1000 known addresses in {args.known}, got {len(known)}")
    scale = 0.1 if args.quick else 1.0
    n = lambda x: max(5, int(x * scale))
    client = Client(args.base, args.token)
    results = {"base": args.base, "started": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), "scenarios": []}
    unknown_counter = [0]
    only = set(args.only.split(",")) if args.only else None

    def address(p_known):
        if rng.random() < p_known:
            return rng.choice(known)
        unknown_counter[0] += 1
        return f"nobody.{unknown_counter[0]}.{rng.randrange(10**9)}@unknown-{rng.randrange(500)}.example"

    def scenario(name, group, count, make_request, warmup=10, check=None, note=""):
        """make_request() -> (method, path, body). Warm-up requests are not recorded."""
        if only and group not in only:
            return None
        load0 = loadavg()
        for _ in range(warmup):
            m, p, b = make_request()
            client.call(m, p, b)
        samples, errors, sizes = [], 0, []
        t_start = time.perf_counter()
        for _ in range(count):
            m, p, b = make_request()
            ms, status, data = client.call(m, p, b)
            if status != 200:
                errors += 1
                if errors <= 3:
                    print(f"  {name}: HTTP {status} {data[:200]!r}", file=sys.stderr)
                continue
            if check:
                check(data)
            samples.append(ms)
            sizes.append(len(data))
        wall = time.perf_counter() - t_start
        row = {"name": name, "group": group, "note": note, "errors": errors, "load_before": load0,
               "load_after": loadavg(), "wall_s": wall, "mean_bytes": statistics.fmean(sizes) if sizes else 0}
        row.update(summarize(samples))
        row["samples"] = [round(x, 3) for x in samples]
        results["scenarios"].append(row)
        print(f"  {name:<46} n={row['n']:<5} p50={row.get('p50', 0):8.2f} ms  p99={row.get('p99', 0):8.2f} ms"
              f"  max={row.get('max', 0):8.2f} ms  err={errors}  load={load0:.2f}->{row['load_after']:.2f}",
              flush=True)
        return row

    q = urllib.parse.quote

    # 1. Single status lookups: 80 % known, 20 % never seen.
    scenario("status: one address (80% known)", "single", n(args.single),
             lambda: ("GET", "/v1/recipients/" + q(address(0.8), safe="@"), None), warmup=20)

    # 2. Bulk lookups of 1,000 addresses (90 % known).
    def bulk_body():
        return json.dumps({"addresses": [address(0.9) for _ in range(1000)]})

    def check_bulk(data):
        if len(json.loads(data)["results"]) != 1000:
            raise RuntimeError("bulk lookup did not return 1000 results")

    scenario("lookup: 1,000 addresses (90% known)", "bulk", n(args.bulk),
             lambda: ("POST", "/v1/recipients/lookup", bulk_body()), check=check_bulk)

    # 3. Soft-bounce pages (limit 100), both modes, with and without filters.
    mid_domain = args.mid_domain
    variants = [
        ("", "no filter"),
        ("&domain=gmail.com", "domain=gmail.com (28% of recipients)"),
        (f"&domain={mid_domain}", f"domain={mid_domain} (~1%)"),
        ("&reason=mailboxfull", "reason=mailboxfull"),
        ("&provider=ses", "provider=ses"),
    ]
    per_variant = n(args.soft) // 8
    for mode, base_q in (("window", "mode=window&window=7d&min_failures=3"),
                         ("consecutive", "mode=consecutive&min_streak=3")):
        for extra, label in variants:
            scenario(f"soft-bounces {mode}: {label}", "soft_" + mode, per_variant,
                     lambda base_q=base_q, extra=extra: ("GET", f"/v1/soft-bounces?{base_q}{extra}&limit=100", None),
                     warmup=5)
        if mode == "window":
            scenario("soft-bounces window: 24h, min_failures=2", "soft_window", per_variant,
                     lambda: ("GET", "/v1/soft-bounces?mode=window&window=24h&min_failures=2&limit=100", None), warmup=5)
            scenario("soft-bounces window: 30d, min_failures=10", "soft_window", per_variant,
                     lambda: ("GET", "/v1/soft-bounces?mode=window&window=30d&min_failures=10&limit=100", None), warmup=5)
        else:
            scenario("soft-bounces consecutive: min_streak=10", "soft_consecutive", per_variant,
                     lambda: ("GET", "/v1/soft-bounces?mode=consecutive&min_streak=10&limit=100", None), warmup=5)
            scenario("soft-bounces consecutive: reason=mailboxfull&domain=gmail.com", "soft_consecutive", per_variant,
                     lambda: ("GET", "/v1/soft-bounces?mode=consecutive&min_streak=3&reason=mailboxfull&domain=gmail.com&limit=100", None),
                     warmup=5)
        # Paging: pages 1-10 by next_cursor, over and over.
        state = {"cursor": None, "page": 0}

        def next_page(base_q=base_q, state=state):
            path = f"/v1/soft-bounces?{base_q}&limit=100"
            if state["cursor"]:
                path += "&cursor=" + q(state["cursor"])
            return "GET", path, None

        def follow(data, state=state):
            body = json.loads(data)
            state["page"] += 1
            state["cursor"] = body.get("next_cursor")
            if state["page"] >= 10 or not state["cursor"]:
                state["cursor"], state["page"] = None, 0

        scenario(f"soft-bounces {mode}: pages 1-10 via cursor", "soft_" + mode, per_variant, next_page,
                 check=follow, warmup=0)

    # 4. Stats for 30 days.
    scenario("stats: 30 days by day", "stats", n(args.stats),
             lambda: ("GET", "/v1/stats?group_by=day", None), warmup=5)
    scenario("stats: 30 days by domain", "stats", n(args.stats),
             lambda: ("GET", "/v1/stats?group_by=domain", None), warmup=5)
    scenario("stats: 30 days by provider", "stats_extra", n(args.stats) // 5,
             lambda: ("GET", "/v1/stats?group_by=provider", None), warmup=3)
    scenario("stats: 30 days by reason", "stats_extra", n(args.stats) // 5,
             lambda: ("GET", "/v1/stats?group_by=reason", None), warmup=3)
    scenario("stats: 30 days by day, domain=gmail.com", "stats_extra", n(args.stats) // 5,
             lambda: ("GET", "/v1/stats?group_by=day&domain=gmail.com", None), warmup=3)
    scenario("stats: 30 days by source, provider=ses", "stats_extra", n(args.stats) // 5,
             lambda: ("GET", "/v1/stats?group_by=source&provider=ses", None), warmup=3)
    # Filter combinations no rollup keeps: answered from daily_stats.
    scenario(f"stats: 30 days by day, domain={mid_domain}&reason=mailboxfull", "stats_extra", n(args.stats) // 5,
             lambda: ("GET", f"/v1/stats?group_by=day&domain={mid_domain}&reason=mailboxfull", None), warmup=3)
    scenario("stats: 30 days by provider, domain=gmail.com", "stats_extra", n(args.stats) // 5,
             lambda: ("GET", "/v1/stats?group_by=provider&domain=gmail.com", None), warmup=3)

    # 5. Other read routes, for reference.
    scenario("timeline: one address, 50 newest events", "extra", n(200),
             lambda: ("GET", "/v1/recipients/" + q(rng.choice(known), safe="@") + "/events", None))
    scenario("user status: one user_ref", "extra", n(200),
             lambda: ("GET", "/v1/users/user-" + str(rng.randrange(1, args.recipients + 1)), None))
    scenario("notices: pending, first page of 100", "extra", n(50),
             lambda: ("GET", "/v1/notices?state=pending&limit=100", None))

    # 6. Optional: concurrent single lookups (indicative; the client is Python).
    if args.concurrency > 1 and (not only or "concurrent" in only):
        per_thread = n(args.single) // args.concurrency
        all_samples, lock, errors = [], threading.Lock(), [0]
        load0 = loadavg()

        def worker(seed):
            c = Client(args.base, args.token)
            r = random.Random(seed)
            local = []
            for i in range(per_thread + 10):
                a = r.choice(known) if r.random() < 0.8 else f"nobody.c{seed}.{i}@unknown.example"
                ms, status, _ = c.call("GET", "/v1/recipients/" + q(a, safe="@"))
                if i < 10:
                    continue
                if status != 200:
                    with lock:
                        errors[0] += 1
                    continue
                local.append(ms)
            with lock:
                all_samples.extend(local)

        threads = [threading.Thread(target=worker, args=(1000 + i,)) for i in range(args.concurrency)]
        t0 = time.perf_counter()
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        wall = time.perf_counter() - t0
        row = {"name": f"status: one address, {args.concurrency} connections", "group": "concurrent",
               "note": "", "errors": errors[0], "load_before": load0, "load_after": loadavg(), "wall_s": wall,
               "throughput_rps": len(all_samples) / wall if wall else 0}
        row.update(summarize(all_samples))
        row["samples"] = [round(x, 3) for x in all_samples]
        results["scenarios"].append(row)
        print(f"  {row['name']:<46} n={row['n']:<5} p50={row['p50']:8.2f} ms  p99={row['p99']:8.2f} ms"
              f"  ~{row['throughput_rps']:.0f} req/s", flush=True)

    results["finished"] = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    with open(args.out, "w") as f:
        json.dump(results, f, indent=1)


#------------------------------------------------------------------------------
# EXPLAIN


def lit(s):
    return "'" + s.replace("'", "''") + "'"


def explain_cases(db):
    """Representative parameters, looked up in the seeded database."""
    one = psql("SELECT recipient FROM recipient_state WHERE soft_streak >= 3 ORDER BY recipient LIMIT 1", db=db).strip()
    heavy = psql("SELECT recipient FROM recipient_state WHERE recipient LIKE 'hanako.1@%' LIMIT 1", db=db).strip() or one
    many = psql("SELECT json_agg(recipient) FROM (SELECT recipient FROM recipient_state TABLESAMPLE SYSTEM (1) "
                "REPEATABLE (7) LIMIT 900) s", db=db).strip()
    many = json.dumps(json.loads(many) + [f"nobody{i}@unknown.example" for i in range(1000 - len(json.loads(many)))])
    user = psql("SELECT user_ref FROM recipient_state WHERE user_ref IS NOT NULL ORDER BY user_ref LIMIT 1 OFFSET 1000",
                db=db).strip()
    cur_at, cur_rcpt = psql(
        "SELECT rebound_iso(last_soft_at), recipient FROM recipient_state WHERE last_soft_at IS NOT NULL "
        "ORDER BY last_soft_at DESC, recipient DESC OFFSET least(2000, (SELECT count(last_soft_at) / 2 FROM recipient_state)) "
        "LIMIT 1", db=db, ).strip().split("|")
    today = psql("SELECT to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD')", db=db).strip()
    from_day = psql("SELECT to_char(now() AT TIME ZONE 'UTC' - interval '29 days', 'YYYY-MM-DD')", db=db).strip()
    week = "604800"
    return [
        ("status: one address", "recipients_by_address", [json.dumps([one])]),
        ("lookup: 1,000 addresses", "recipients_by_address", [many]),
        ("user status", "recipients_by_user", [json.dumps([user])]),
        ("timeline: heaviest recipient, 50 newest", "recipient_timeline", [heavy, "", "", "50"]),
        ("soft-bounces window 7d>=3", "soft_bounces_window", [week, "3", "", "", "", "", "", "", "100"]),
        ("soft-bounces window 7d>=3, domain=gmail.com", "soft_bounces_window", [week, "3", "gmail.com", "", "", "", "", "", "100"]),
        ("soft-bounces window 7d>=3, domain=nifty.com", "soft_bounces_window", [week, "3", "nifty.com", "", "", "", "", "", "100"]),
        ("soft-bounces window 7d>=3, reason=mailboxfull", "soft_bounces_window", [week, "3", "", "mailboxfull", "", "", "", "", "100"]),
        ("soft-bounces window 7d>=3, page after a cursor", "soft_bounces_window", [week, "3", "", "", "", "", cur_at, cur_rcpt, "100"]),
        ("soft-bounces window 30d>=10", "soft_bounces_window", ["2592000", "10", "", "", "", "", "", "", "100"]),
        ("soft-bounces consecutive >=3", "soft_bounces_streak", ["3", "", "", "", "", "", "", "100"]),
        ("soft-bounces consecutive >=3, domain=nifty.com", "soft_bounces_streak", ["3", "nifty.com", "", "", "", "", "", "100"]),
        ("soft-bounces consecutive >=3, page after a cursor", "soft_bounces_streak", ["3", "", "", "", "", cur_at, cur_rcpt, "100"]),
        ("soft-bounces consecutive >=10", "soft_bounces_streak", ["10", "", "", "", "", "", "", "100"]),
        ("soft-bounces consecutive >=3, domain=gmail.com, reason=mailboxfull", "soft_bounces_streak",
         ["3", "gmail.com", "mailboxfull", "", "", "", "", "100"]),
        ("stats 30 days by day", "stats_by_day", [from_day, today, "", "", "", ""]),
        ("stats 30 days by domain", "stats_by_domain", [from_day, today, "", "", "", ""]),
        ("stats 30 days by provider", "stats_by_provider", [from_day, today, "", "", "", ""]),
        ("stats 30 days by reason", "stats_by_reason", [from_day, today, "", "", "", ""]),
        ("stats 30 days by day, domain=gmail.com", "stats_by_day_for_domain", [from_day, today, "", "", "gmail.com", ""]),
        ("stats 30 days by day, domain=nifty.com, reason=mailboxfull", "stats_by_day_detailed",
         [from_day, today, "", "", "nifty.com", "mailboxfull"]),
        ("stats 30 days by provider, domain=gmail.com", "stats_by_provider_detailed",
         [from_day, today, "", "", "gmail.com", ""]),
        ("notices: pending, first page", "notices_list", ["pending", "", "", "", "", "100"]),
    ]


SCAN_RE = re.compile(r"(Index Only Scan|Index Scan|Bitmap Index Scan|Seq Scan|Bitmap Heap Scan)"
                     r"(?: Backward)?(?: using (\S+))? on (\S+)")


def partition_map(db):
    """Where events is partitioned (schema/004): each partition and partition
    index -> its parent's name, and the partitions that hold no row."""
    parent = {}
    for line in psql("SELECT c.relname, p.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
                     "JOIN pg_class p ON p.oid = i.inhparent WHERE p.relname LIKE 'events%'", db=db).splitlines():
        child, par = line.split("|")
        parent[child] = par
    empty = set()
    for child, par in parent.items():
        if par == "events" and psql(f'SELECT NOT EXISTS (SELECT 1 FROM "{child}")', db=db).strip() == "t":
            empty.add(child)
    return parent, empty


def plan_summary(lines, parent=None, empty=None):
    """Indexes and sequential scans of a plan, partitions folded into their
    parent (an empty partition's sequential scan reads nothing and is listed
    apart)."""
    parent, empty = parent or {}, empty or set()
    text = "\n".join(lines)
    indexes, seqs, empty_seqs = [], [], []
    for m in SCAN_RE.finditer(text):
        kind, index, rel = m.group(1), m.group(2), m.group(3)
        if kind == "Bitmap Index Scan":
            index, rel = rel, None
        if kind == "Seq Scan":
            if rel in empty:
                if rel not in empty_seqs:
                    empty_seqs.append(rel)
                continue
            rel = parent.get(rel, rel)
            if rel not in seqs:
                seqs.append(rel)
        elif index:
            index = parent.get(index, index)
            if index not in indexes:
                indexes.append(index)
    exec_ms = re.search(r"Execution Time: ([\d.]+) ms", text)
    plan_ms = re.search(r"Planning Time: ([\d.]+) ms", text)
    return {"indexes": indexes, "seq_scans": seqs, "empty_partition_seq_scans": empty_seqs,
            "generic": bool(re.search(r"\$\d", text)),
            "seq_scan_events": any(s == "events" or s.startswith("events ") for s in seqs),
            "execution_ms": float(exec_ms.group(1)) if exec_ms else None,
            "planning_ms": float(plan_ms.group(1)) if plan_ms else None}


def run_explain(args):
    cases = explain_cases(args.db)
    parent, empty = partition_map(args.db)
    per_call_file = os.path.join(args.sql_dir, "plan_per_call.txt")
    per_call = set(open(per_call_file).read().split()) if os.path.exists(per_call_file) else set()
    script = ["\\set ON_ERROR_STOP on"]
    for i, (label, qname, params) in enumerate(cases):
        text = open(os.path.join(args.sql_dir, qname + ".sql")).read().strip().rstrip(";")
        call = f"EXECUTE qb_{i}({', '.join(lit(p) for p in params)})"
        script.append(f"PREPARE qb_{i} AS {text};")
        script += ["\\o /dev/null", call + ";", "\\o"]  # warm the cache once, output discarded
        for mode in ("custom", "generic"):
            script.append(f"SET plan_cache_mode = force_{mode}_plan;")
            script.append(f"\\echo @@CASE {i} {mode}")
            script.append(f"EXPLAIN (ANALYZE, BUFFERS) {call};")
        # What the service runs: statements it plans per call get a custom
        # plan every time (store/reader.cpp); the others run what a prepared
        # statement uses by default once executed five times with such parameters.
        if qname in per_call:
            script.append("SET plan_cache_mode = force_custom_plan;")
        else:
            script.append("SET plan_cache_mode = auto;")
            script += ["\\o /dev/null"] + [call + ";"] * 5 + ["\\o"]
        script.append(f"\\echo @@CASE {i} auto")
        script.append(f"EXPLAIN (ANALYZE, BUFFERS) {call};")
        script.append("SET plan_cache_mode = auto;")
        script.append(f"DEALLOCATE qb_{i};")
    out = psql("\n".join(script) + "\n", db=args.db, timeout=1800)
    plans, current = {}, None
    for line in out.splitlines():
        if line.startswith("@@CASE "):
            _, idx, mode = line.split()
            current = (int(idx), mode)
            plans[current] = []
        elif current is not None:
            plans[current].append(line)
    summary, md = [], ["# EXPLAIN (ANALYZE, BUFFERS) of the read API's SQL", "",
                       "Custom plan = parameters known at planning (the first five executions of a prepared "
                       "statement); generic plan = the plan PostgreSQL may cache and reuse after that; service = "
                       "what the service runs: a custom plan on every call for the statements it plans per call "
                       "(`SET LOCAL plan_cache_mode = force_custom_plan`, store/reader.cpp: the soft-bounce and "
                       "notice lists and every stats statement), otherwise what a prepared statement runs by "
                       "default after five executions with these parameters.", ""]
    if parent:
        md += ["events is partitioned: partition scans are folded into their parent's name; a sequential scan of "
               "an empty partition (a future month, or events_default when nothing waits there) reads no row and is "
               "listed apart.", ""]
    md.append("| query | SQL name | plan | execution ms | indexes used | seq scans |")
    md.append("|---|---|---|---:|---|---|")
    for i, (label, qname, params) in enumerate(cases):
        for mode in ("custom", "generic", "auto"):
            s = plan_summary(plans.get((i, mode), []), parent, empty)
            s.update({"case": label, "query": qname, "plan": mode})
            summary.append(s)
            shown_mode = mode if mode != "auto" else (
                "service → custom (per call)" if qname in per_call else
                "service → auto → " + ("generic" if s["generic"] else "custom"))
            md.append(f"| {label} | `{qname}` | {shown_mode} | {s['execution_ms']} | {', '.join(s['indexes']) or '-'} | "
                      f"{', '.join(s['seq_scans']) or 'none'}{' **(events!)**' if s['seq_scan_events'] else ''}"
                      f"{' (+ empty partitions: ' + ', '.join(s['empty_partition_seq_scans']) + ')' if s['empty_partition_seq_scans'] else ''} |")
    md.append("")
    for i, (label, qname, params) in enumerate(cases):
        shown = [p if len(p) < 120 else p[:100] + f"... ({len(p)} chars)" for p in params]
        for mode in ("custom", "generic"):
            md.append(f"<details><summary>{label} — {mode} plan</summary>")
            md.append("")
            md.append(f"`{qname}` with parameters {json.dumps(shown)}")
            md.append("")
            md.append("```")
            md.extend(plans.get((i, mode), []))
            md.append("```")
            md.append("</details>")
            md.append("")
    with open(args.out_md, "w") as f:
        f.write("\n".join(md))
    with open(args.out_json, "w") as f:
        json.dump(summary, f, indent=1)
    bad = [s for s in summary if s["seq_scan_events"]]
    for s in summary:
        mode = s["plan"] if s["plan"] != "auto" else (
            "svc>call" if s["query"] in per_call else "auto>gen" if s["generic"] else "auto>cus")
        print(f"  {s['case']:<52} {mode:<8} {s['execution_ms'] or 0:9.2f} ms  "
              f"idx={','.join(s['indexes']) or '-'}  seq={','.join(s['seq_scans']) or 'none'}"
              f"{'  empty-partition-seq=' + str(len(s['empty_partition_seq_scans'])) if s['empty_partition_seq_scans'] else ''}")
    print(f"  sequential scans of events: {len(bad)}" + ("" if not bad else "  <-- " + "; ".join(
        f"{s['case']} ({s['plan']})" for s in bad)))


#------------------------------------------------------------------------------
# report


TARGETS = {"single": ("status: one address (p99)", 5.0), "soft": ("soft-bounce page (p99)", 100.0),
           "stats": ("stats, 30 days (p99)", 200.0)}


def norm_sql(s):
    s = re.sub(r"'(?:[^']|'')*'", "?", s)
    s = re.sub(r"\$\d+", "?", s)
    s = re.sub(r"\b\d+(?:\.\d+)?\b", "?", s)
    return re.sub(r"\s+", " ", s).strip().rstrip(";").lower()


def run_report(args):
    res = json.load(open(args.results))
    rows = res["scenarios"]

    def target_of(group):
        if group in ("single", "concurrent"):
            return "p99 < 5 ms", 5.0
        if group.startswith("soft_"):
            return "< 100 ms", 100.0
        if group in ("stats", "stats_extra"):
            return "< 200 ms", 200.0
        return "-", None

    def line(name, r, group):
        target, limit = target_of(group)
        if r.get("n", 0) == 0:
            return f"| {name} | 0 | | | | | {target} | errors={r.get('errors', 0)} |"
        met = "-" if limit is None else ("yes" if r["p99"] < limit else "**no**")
        return (f"| {name} | {r['n']} | {r['p50']:.2f} | {r['p90']:.2f} | {r['p99']:.2f} | {r['max']:.2f} | "
                f"{target} | {met} |")

    out = [f"Measured {res.get('started')} to {res.get('finished')}; load average before/after each scenario in "
           "results JSON.", "",
           "| scenario | n | p50 ms | p90 ms | p99 ms | max ms | target | met |",
           "|---|---:|---:|---:|---:|---:|---|---|"]
    for r in rows:
        out.append(line(r["name"], r, r["group"]))
    # The four figures, pooled over their scenarios.
    pooled = [("**single status lookup**", ["single"], "single"),
              ("**bulk lookup of 1,000**", ["bulk"], "bulk"),
              ("**soft-bounce page, window mode (all variants)**", ["soft_window"], "soft_window"),
              ("**soft-bounce page, consecutive mode (all variants)**", ["soft_consecutive"], "soft_consecutive"),
              ("**stats, 30 days (by day + by domain)**", ["stats"], "stats"),
              ("**stats, 30 days, other groupings and filters**", ["stats_extra"], "stats_extra")]
    out += ["", "| pooled | n | p50 ms | p90 ms | p99 ms | max ms | target | met |",
            "|---|---:|---:|---:|---:|---:|---|---|"]
    for name, groups, g in pooled:
        samples = [x for r in rows if r["group"] in groups for x in r.get("samples", [])]
        out.append(line(name, summarize(samples), g))
    out.append("")
    print("\n".join(out))
    if args.pgss and os.path.exists(args.pgss):
        texts = {}
        for f in sorted(os.listdir(args.sql_dir)):
            if f.endswith(".sql"):
                texts[norm_sql(open(os.path.join(args.sql_dir, f)).read())] = f[:-4]
        print("\nServer-side execution time per statement (pg_stat_statements, during the HTTP run):\n")
        print("| SQL name | calls | mean ms | max ms |")
        print("|---|---:|---:|---:|")
        for line in open(args.pgss):
            parts = line.rstrip("\n").split("\t")
            if len(parts) != 4:
                continue
            query, calls, mean, mx = parts
            name = texts.get(norm_sql(query.replace("\\n", "\n")))
            if name:
                print(f"| `{name}` | {calls} | {float(mean):.2f} | {float(mx):.2f} |")


#------------------------------------------------------------------------------


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)
    h = sub.add_parser("http")
    h.add_argument("--base", required=True)
    h.add_argument("--token", required=True)
    h.add_argument("--known", required=True, help="file of known addresses, one a line")
    h.add_argument("--out", required=True)
    h.add_argument("--recipients", type=int, default=1000000)
    h.add_argument("--mid-domain", default="nifty.com")
    h.add_argument("--single", type=int, default=2000)
    h.add_argument("--bulk", type=int, default=200)
    h.add_argument("--soft", type=int, default=200, help="requests per soft-bounce mode (split over 8 variants)")
    h.add_argument("--stats", type=int, default=100)
    h.add_argument("--concurrency", type=int, default=4, help="connections of the optional concurrent run (1: skip)")
    h.add_argument("--seed", type=int, default=5)
    h.add_argument("--quick", action="store_true", help="a tenth of the requests")
    h.add_argument("--only", help="comma-separated groups to run: single, bulk, soft_window, soft_consecutive, "
                                  "stats, stats_extra, extra, concurrent")
    e = sub.add_parser("explain")
    e.add_argument("--db")
    e.add_argument("--sql-dir", required=True)
    e.add_argument("--out-md", required=True)
    e.add_argument("--out-json", required=True)
    r = sub.add_parser("report")
    r.add_argument("--results", required=True)
    r.add_argument("--sql-dir", required=True)
    r.add_argument("--pgss")
    args = ap.parse_args()
    {"http": run_http, "explain": run_explain, "report": run_report}[args.cmd](args)


if __name__ == "__main__":
    main()
