# Redis for the tests, sourced by .ci/run (and by a packaging test that
# checks it stops what it starts). ensure_redis makes sure a Redis answers
# on JSMBOT_TEST_REDIS_ADDR: if nothing does, it installs redis-server when
# missing, starts one, and stops it when the calling shell exits.

redis_up() {
  # A PING answered with +PONG, without needing redis-cli.
  { exec 3<>"/dev/tcp/${JSMBOT_TEST_REDIS_ADDR%:*}/${JSMBOT_TEST_REDIS_ADDR##*:}"; } 2>/dev/null || return 1
  printf 'PING\r\n' >&3
  local reply=""
  read -r -t 2 reply <&3 || true
  exec 3>&- 3<&-
  [[ "$reply" == "+PONG"* ]]
}

ensure_redis() {
  redis_up && return 0
  if ! command -v redis-server >/dev/null 2>&1; then
    echo "ci: installing redis-server"
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq redis-server >/dev/null
  fi
  echo "ci: starting redis-server on ${JSMBOT_TEST_REDIS_ADDR}"
  redis_pid=$(mktemp /tmp/jsmbot-ci-redis.XXXXXX.pid)
  redis-server --daemonize yes --pidfile "$redis_pid" --bind "${JSMBOT_TEST_REDIS_ADDR%:*}" --port "${JSMBOT_TEST_REDIS_ADDR##*:}" \
    --save "" --appendonly no --dir /tmp --logfile /tmp/jsmbot-ci-redis.log
  for _ in $(seq 1 50); do redis_up && break; sleep 0.1; done
  redis_up || { echo "ci: redis-server did not come up"; return 1; }
  # Stop what we started, however the run ends.
  trap stop_redis EXIT
}

stop_redis() {
  echo "ci: stopping redis-server on ${JSMBOT_TEST_REDIS_ADDR}"
  local pid=""
  [[ -s "${redis_pid:-}" ]] && pid=$(cat "$redis_pid")
  if [[ -n "$pid" ]] && kill "$pid" 2>/dev/null; then
    # Wait until it no longer answers.
    for _ in $(seq 1 50); do redis_up || break; sleep 0.05; done
  fi
  rm -f "${redis_pid:-}"
}
