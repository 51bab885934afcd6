#!/bin/sh
# capture.sh — Istio-style transparent capture with iptables nat REDIRECT, for ztunnel.yaml and sidecar.yaml.
#
# Run it as root inside the network namespace whose traffic Envoy should capture (a pod, or a node in the
# ztunnel shape), with Envoy running as its own user (--proxy-uid) so Envoy's own connections are not captured:
#
#   outbound: every TCP connection opened in this namespace, except Envoy's (owner uid) and those to loopback,
#             is redirected to Envoy's outbound listener (default 15001); Envoy's original_dst listener filter
#             reads the address the application dialled back from the connection (SO_ORIGINAL_DST).
#   inbound:  every TCP connection arriving from outside, except to the excluded ports (HBONE 15008, admin and
#             metrics), is redirected to Envoy's inbound listener (default 15006).
#
# usage: capture.sh [--outbound] [--inbound] [--proxy-uid UID] [--outbound-port P] [--inbound-port P]
#                   [--inbound-exclude-ports P,P,...] [--outbound-exclude-ports P,P,...] [--ipv6] [--clean]
#   Neither --outbound nor --inbound means both. --ipv6 applies the same rules with ip6tables.
#   --clean removes the chains this script created (and nothing else).
#
# The chains are AW_OUTPUT / AW_INBOUND in the nat table, jumped to from OUTPUT / PREROUTING (Istio names its own
# ISTIO_OUTPUT / ISTIO_INBOUND, istio/istio:tools/istio-iptables/pkg/capture/run.go).
set -eu

outbound=0
inbound=0
proxy_uid=1337
outbound_port=15001
inbound_port=15006
inbound_exclude="15008,15000,15020,15021,15090"
outbound_exclude=""
ipv6=0
clean=0

while [ $# -gt 0 ]; do
  case "$1" in
    --outbound) outbound=1 ;;
    --inbound) inbound=1 ;;
    --proxy-uid) proxy_uid="$2"; shift ;;
    --outbound-port) outbound_port="$2"; shift ;;
    --inbound-port) inbound_port="$2"; shift ;;
    --inbound-exclude-ports) inbound_exclude="$2"; shift ;;
    --outbound-exclude-ports) outbound_exclude="$2"; shift ;;
    --ipv6) ipv6=1 ;;
    --clean) clean=1 ;;
    -h|--help) sed -n '2,20p' "$0"; exit 0 ;;
    *) echo "capture.sh: unknown option $1" >&2; exit 2 ;;
  esac
  shift
done
if [ "$outbound" = 0 ] && [ "$inbound" = 0 ]; then outbound=1; inbound=1; fi

apply() {
  ipt="$1"
  loopback="$2"
  # Remove what an earlier run left, so the script can be run again.
  $ipt -t nat -D OUTPUT -p tcp -j AW_OUTPUT 2>/dev/null || true
  $ipt -t nat -D PREROUTING -p tcp -j AW_INBOUND 2>/dev/null || true
  for chain in AW_OUTPUT AW_INBOUND; do
    $ipt -t nat -F "$chain" 2>/dev/null || true
    $ipt -t nat -X "$chain" 2>/dev/null || true
  done
  [ "$clean" = 1 ] && return 0

  if [ "$outbound" = 1 ]; then
    $ipt -t nat -N AW_OUTPUT
    # Envoy's own connections (to peers, to the original destination) go out as they are.
    $ipt -t nat -A AW_OUTPUT -m owner --uid-owner "$proxy_uid" -j RETURN
    $ipt -t nat -A AW_OUTPUT -d "$loopback" -j RETURN
    for p in $(echo "$outbound_exclude" | tr ',' ' '); do
      $ipt -t nat -A AW_OUTPUT -p tcp --dport "$p" -j RETURN
    done
    $ipt -t nat -A AW_OUTPUT -p tcp -j REDIRECT --to-ports "$outbound_port"
    $ipt -t nat -A OUTPUT -p tcp -j AW_OUTPUT
  fi
  if [ "$inbound" = 1 ]; then
    $ipt -t nat -N AW_INBOUND
    for p in $(echo "$inbound_exclude" | tr ',' ' '); do
      $ipt -t nat -A AW_INBOUND -p tcp --dport "$p" -j RETURN
    done
    $ipt -t nat -A AW_INBOUND -p tcp -j REDIRECT --to-ports "$inbound_port"
    $ipt -t nat -A PREROUTING -p tcp -j AW_INBOUND
  fi
}

apply iptables 127.0.0.0/8
if [ "$ipv6" = 1 ]; then apply ip6tables ::1/128; fi
