# Shared by the scripts: where the embedded stack keeps its data.
#
# stack_dir NAME: the project-local .ypa/NAME, unless running as root from a folder the servers'
# unprivileged account (PostgreSQL refuses root) cannot reach, such as a clone under /root; then a
# folder under /var/tmp named after the clone, so every run from this clone finds the same stack.
stack_dir() {
  local name=$1 local_dir="$PWD/.ypa/$1"
  local account=${YPA_STACK_USER:-postgres}
  if [ "$(id -u)" -eq 0 ] && id "$account" >/dev/null 2>&1 &&
     ! runuser -u "$account" -- test -x "$PWD" 2>/dev/null; then
    echo "/var/tmp/ypa-$(printf '%s' "$PWD" | md5sum | cut -c1-8)/$name"
  else
    echo "$local_dir"
  fi
}
