# The PostgreSQL settings that every load-test script gives its cluster, in
# one place, so that figures from run.sh, ab.sh, ab_ceiling.sh, explain_ab.sh and
# statement_costs.sh are taken under the same configuration.
#
# More WAL between checkpoints than the default keeps a checkpoint from
# landing inside one phase and not another; shared_buffers is modest (the
# service's own deployment guidance is in docs/operations.md). Durability
# settings (fsync, synchronous_commit) are each script's own choice and are
# said in its header. Sourced, not run.

LOADTEST_PG_SETTINGS=(
  shared_buffers=256MB
  max_wal_size=4GB
  checkpoint_timeout=30min
)

# The settings as postgres/pg_ctl command-line flags: -c name=value ...
loadtest_pg_flags() {
  local s
  for s in "${LOADTEST_PG_SETTINGS[@]}"; do printf -- '-c %s ' "$s"; done
}

# The settings written with ALTER SYSTEM through `psql_c` (each script
# defines it for its own connection); they take effect at the next restart.
loadtest_pg_alter_system() {
  local s
  for s in "${LOADTEST_PG_SETTINGS[@]}"; do psql_c "ALTER SYSTEM SET ${s%%=*} = '${s#*=}'"; done
}
