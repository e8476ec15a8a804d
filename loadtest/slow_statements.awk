# Counts the statements PostgreSQL logged as slow (log_min_duration_statement)
# in a stretch of its log that belong to the service under test: the load
# generator's own check of the database (sessions that touch its loadgen_
# tables) and the harness's CHECKPOINTs and VACUUM (ANALYZE)s are left out,
# since they run after or between the timed phases and say nothing about
# rebound's writes (rebound's own VACUUM of its staging tables counts).
# Prints: slow statements, how many of them COMMITs, the longest COMMIT (ms).
# Log lines start "date time zone [pid] LOG:  duration: N ms  statement: ...".
/loadgen_/ { harness[$4] = 1 }
/ duration: / {
    k++
    pid[k] = $4
    commit[k] = / statement: COMMIT/
    harness_stmt[k] = / statement: (CHECKPOINT|VACUUM \(ANALYZE\))/
    for (i = 1; i <= NF; i++) if ($i == "duration:") ms[k] = $(i + 1) + 0
}
END {
    n = 0; c = 0; max = 0
    for (j = 1; j <= k; j++) {
        if ((pid[j] in harness) || harness_stmt[j]) continue
        n++
        if (commit[j]) { c++; if (ms[j] > max) max = ms[j] }
    }
    printf "%d %d %.0f\n", n, c, max
}
