"""CPython's tracemalloc as a test oracle for src/snapshot.

Reads one JSON request on stdin, prints one JSON list of results on stdout. Every result is
computed by the standard library of the interpreter running this script (tracemalloc,
fnmatch), never by code of ours. Request:

  {"snapshots": [{"traces": [[size, [[file, line], ...most recent first], total|null], ...],
                  "limit": n}, ...],
   "ops": [{"op": "statistics", "snap": i, "key": k, "cumulative": bool},
           {"op": "compare", "snap": i, "old": j, "key": k, "cumulative": bool},
           {"op": "filter", "snap": i, "filters": [[inclusive, pattern, lineno|null, all_frames]]},
           {"op": "traces", "snap": i},
           {"op": "format_size", "values": [[number, sign], ...]},
           {"op": "fnmatch", "cases": [[name, pattern], ...]},
           {"op": "format", "frames": [[file, line], ...], "limit": n|null, "most_recent_first": bool},
           {"op": "error", "snap": i, "key": k, "cumulative": bool}]}
"""
import json
import sys
import fnmatch
import tracemalloc


def raw(trace):
    size, frames, total = trace
    return (0, size, tuple((f, l) for f, l in frames), total)


def dump_traces(snapshot):
    return [[t[1], [list(f) for f in t[2]], t[3]] for t in snapshot.traces._traces]


def main():
    request = json.load(sys.stdin)
    snaps = [tracemalloc.Snapshot([raw(t) for t in s["traces"]], s["limit"])
             for s in request.get("snapshots", [])]
    out = []
    for op in request["ops"]:
        kind = op["op"]
        if kind == "statistics":
            out.append([str(s) for s in snaps[op["snap"]].statistics(op["key"], op["cumulative"])])
        elif kind == "compare":
            stats = snaps[op["snap"]].compare_to(snaps[op["old"]], op["key"], op["cumulative"])
            out.append([str(s) for s in stats])
        elif kind == "filter":
            filters = [tracemalloc.Filter(i, p, l, a) for i, p, l, a in op["filters"]]
            out.append(dump_traces(snaps[op["snap"]].filter_traces(filters)))
        elif kind == "traces":
            out.append([str(t) for t in snaps[op["snap"]].traces])
        elif kind == "format_size":
            out.append([tracemalloc._format_size(v, s) for v, s in op["values"]])
        elif kind == "fnmatch":
            out.append([fnmatch.fnmatch(n, p) for n, p in op["cases"]])
        elif kind == "format":
            tb = tracemalloc.Traceback(tuple(tuple(f) for f in op["frames"]))
            def getline(filename, lineno):
                return "  <%s, %s>  " % (filename, lineno) if lineno % 3 else ""
            from unittest import mock
            with mock.patch("tracemalloc.linecache.getline", side_effect=getline):
                out.append(tb.format(op["limit"], op["most_recent_first"]))
        elif kind == "error":
            try:
                snaps[op["snap"]].statistics(op["key"], op["cumulative"])
                out.append(None)
            except Exception as e:
                out.append([type(e).__name__, str(e)])
        else:
            raise ValueError("unknown op %r" % kind)
    json.dump(out, sys.stdout, ensure_ascii=False)


if __name__ == "__main__":
    main()
