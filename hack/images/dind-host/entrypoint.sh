#!/bin/sh
# A restarted host keeps its filesystem: dockerd (and its containerd) refuse to start over the
# stale PID files of the previous run, so remove them first.
set -eu
# / shared, as under systemd: the network helper bind-mounts dockerd's netns folder with rslave
# propagation, and on a slave-only / (a container's default) namespaces made later never reach it.
mount --make-rshared /
rm -f /var/run/docker.pid /var/run/docker/containerd/containerd.pid /run/docker/containerd/containerd.pid
# --tls=false: without it dockerd 20.10 sleeps ~15 s at start to warn about plain tcp.
# --cgroup-parent: the host's cgroup tree is shared (bind-mounted); keep each host's containers apart.
exec dockerd \
  -H tcp://0.0.0.0:2375 -H unix:///var/run/docker.sock --tls=false \
  --cgroup-parent "/$(hostname)" "$@"
