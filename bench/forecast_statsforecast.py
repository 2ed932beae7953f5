"""statsforecast's side of bench/forecast (issue 14), run in the bench's cached venv.

  m3 IN OUT      AutoETS and AutoTheta on the M3 series in IN (JSON list of {id, m, h, x}),
                 with the 80 % interval and the 0.95 quantile; writes {model: {id: {mean, lo80, hi80, hi95}}, seconds: {model: s}}.
  daily IN OUT N D H   AutoETS(season_length=7) on N daily series of D days (float64 matrix in IN),
                 h = H, n_jobs = cores; writes {seconds, n, rss_mb}.
"""
import json
import os
import resource
import sys
import time

import numpy as np
import pandas as pd
from statsforecast import StatsForecast
from statsforecast.models import AutoETS, AutoTheta


def m3(inp, out):
    series = json.load(open(inp))
    result = {"AutoETS": {}, "AutoTheta": {}}
    seconds = {"AutoETS": 0.0, "AutoTheta": 0.0}
    # One call per (season length, horizon): statsforecast forecasts one h per call.
    groups = {}
    for s in series:
        groups.setdefault((s["m"], s["h"]), []).append(s)
    for (m, h), group in groups.items():
        rows = []
        for s in group:
            n = len(s["x"])
            rows.append(pd.DataFrame({"unique_id": s["id"], "ds": np.arange(1, n + 1), "y": np.asarray(s["x"], dtype=float)}))
        df = pd.concat(rows)
        for name, model in (("AutoETS", AutoETS(season_length=m)), ("AutoTheta", AutoTheta(season_length=m))):
            sf = StatsForecast(models=[model], freq=1, n_jobs=os.cpu_count())
            t0 = time.perf_counter()
            fc = sf.forecast(df=df, h=h, level=[80, 90])
            seconds[name] += time.perf_counter() - t0
            for uid, g in fc.groupby("unique_id"):
                result[name][str(uid)] = {
                    "mean": g[name].tolist(),
                    "lo80": g[f"{name}-lo-80"].tolist(), "hi80": g[f"{name}-hi-80"].tolist(),
                    # The upper bound of the central 90 % interval is the 0.95 quantile: the 95 % upper bound.
                    "hi95": g[f"{name}-hi-90"].tolist(),
                }
    json.dump({"forecasts": result, "seconds": seconds}, open(out, "w"))


def daily(inp, out, n, d, h):
    y = np.fromfile(inp, dtype="<f8").reshape(n, d)
    ds = pd.date_range("2023-01-02", periods=d, freq="D")
    df = pd.DataFrame({"unique_id": np.repeat(np.arange(n), d), "ds": np.tile(ds, n), "y": y.ravel()})
    sf = StatsForecast(models=[AutoETS(season_length=7)], freq="D", n_jobs=os.cpu_count())
    t0 = time.perf_counter()
    sf.forecast(df=df, h=h)
    seconds = time.perf_counter() - t0
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024 + resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    json.dump({"seconds": seconds, "n": n, "rss_mb": rss}, open(out, "w"))


if __name__ == "__main__":
    if sys.argv[1] == "m3":
        m3(sys.argv[2], sys.argv[3])
    else:
        daily(sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5]), int(sys.argv[6]))
