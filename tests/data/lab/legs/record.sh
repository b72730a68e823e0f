#!/usr/bin/env bash
# Record real calls through a SIP proxy (kamailio) with and without a media relay (rtpengine):
# the per-leg test captures of tests/test_lab_legs.py.  Writes, next to this script:
#   <scenario>.pcap        what the SPAN port saw (tcpdump -s 0 -U, nothing filtered)
#   <scenario>.sip.log     both phones' baresip -s traces + kamailio's per-message log
#   expected.json          ground truth per capture, from tshark and the scenario definition
#                          (not from the project's analyzer): legs, streams, who removed SRTP
#
#   usage (root):  tests/data/lab/legs/record.sh [SCENARIO...]   (default: all)
#
# Topology (names start with vleg- / vl):
#   vleg-a  vlA0 10.250.8.11  phone A (baresip, caller, dials sip:b@10.250.8.12 via the proxy)
#   vleg-b  vlB0 10.250.8.12  phone B (baresip, auto-answer)
#   vleg-p  vlP0 10.250.8.10  kamailio 5.6 (record-routing proxy) + rtpengine (userspace, --table=-1)
#   vleg-mon vlM0             SPAN destination; tc mirred of the ingress of vlswA/vlswB/vlswP
# Scenarios:
#   relay-srtp-rtp  A offers RTP/SAVP (SDES); rtpengine answers A with SRTP and offers B plain
#                   RTP/AVP: SRTP on leg A<->P, RTP on leg P<->B. The relay removed SRTP.
#   relay-rtp-srtp  A offers plain RTP/AVP; rtpengine offers B RTP/SAVP: RTP on A's leg, SRTP on
#                   B's. Nobody was offered SRTP and answered plain: no downgrade.
#   proxy-srtp      no relay: kamailio forwards SDP unchanged, A and B talk SRTP directly.
#   proxy-fallback  no relay: A offers best-effort SRTP (RTP/AVP + a=crypto), B has no SRTP and
#                   answers plain: B removed SRTP (kamailio only forwarded B's answer).
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ALL=(relay-srtp-rtp relay-rtp-srtp proxy-srtp proxy-fallback)
MEDIA_SECS=${VLEG_MEDIA_SECS:-3}
A_IP=10.250.8.11; B_IP=10.250.8.12; P_IP=10.250.8.10
NS_SW=vleg-sw; NS_MON=vleg-mon; NS_A=vleg-a; NS_B=vleg-b; NS_P=vleg-p

die() { echo "legs/record.sh: $*" >&2; exit 1; }
log() { echo "legs/record.sh: $*" >&2; }
[[ $EUID -eq 0 ]] || die "needs root (network namespaces)"
for t in ip tc tcpdump tshark baresip kamailio rtpengine python3; do command -v $t >/dev/null || die "missing $t"; done
SCENARIOS=("$@"); [[ ${#SCENARIOS[@]} -gt 0 ]] || SCENARIOS=("${ALL[@]}")

exec 9<"${BASH_SOURCE[0]}"; flock -n 9 || die "another legs/record.sh is running"
WORK=$(mktemp -d -t vleg-record.XXXXXX)
PIDS=(); NAMESPACES=()
alive() { local st; st=$(sed 's/.*) //' "/proc/$1/stat" 2>/dev/null | cut -d' ' -f1) || return 1; [[ -n $st && $st != Z ]]; }
stop_pid() {
  local pid=$1 i keep=() p
  if alive "$pid"; then
    kill -TERM "$pid" 2>/dev/null || true
    for i in $(seq 30); do alive "$pid" || break; sleep 0.1; done
    alive "$pid" && kill -KILL "$pid" 2>/dev/null
  fi
  wait "$pid" 2>/dev/null || true
  for p in "${PIDS[@]}"; do [[ $p == "$pid" ]] || keep+=("$p"); done; PIDS=("${keep[@]}")
}
cleanup() {
  local rc=$? pid ns; set +e
  for pid in "${PIDS[@]}"; do stop_pid "$pid"; done
  for ns in "${NAMESPACES[@]}"; do
    for pid in $(ip netns pids "$ns" 2>/dev/null); do kill -KILL "$pid" 2>/dev/null; done   # kamailio's children
    ip netns del "$ns" 2>/dev/null
  done
  [[ ${VLEG_KEEP:-0} == 1 ]] && log "work dir kept: $WORK" || rm -rf "$WORK"
  exit $rc
}
trap cleanup EXIT; trap 'exit 130' INT TERM HUP
wait_for() { local n=$(( $1 * 10 )); shift; while (( n-- > 0 )); do "$@" >/dev/null 2>&1 && return 0; sleep 0.1; done; return 1; }
listening() { ip netns exec "$1" ss -Hln --"$2" | awk '{print $4}' | grep -qx "$3"; }

lab_up() {
  local ns tag ip nsx mac
  for ns in $NS_SW $NS_MON $NS_A $NS_B $NS_P; do
    if ip netns list | awk '{print $1}' | grep -qx "$ns"; then
      [[ -z $(ip netns pids "$ns") ]] || die "namespace $ns exists and has processes"
      ip netns del "$ns"
    fi
    ip netns add "$ns"; NAMESPACES+=("$ns")
    ip -n "$ns" link set lo up
    ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
  done
  ip -n $NS_SW link add vlbr0 type bridge
  ip -n $NS_SW link set vlbr0 type bridge stp_state 0 forward_delay 0
  ip -n $NS_SW link set vlbr0 up
  ip link add vlM0 netns $NS_MON type veth peer name vlswM netns $NS_SW
  ip -n $NS_SW link set vlswM up
  ip -n $NS_MON link set vlM0 promisc on up
  for tag in A B P; do
    case $tag in A) nsx=$NS_A ip=$A_IP mac=02:1a:b0:08:00:0a ;; B) nsx=$NS_B ip=$B_IP mac=02:1a:b0:08:00:0b ;;
                 P) nsx=$NS_P ip=$P_IP mac=02:1a:b0:08:00:10 ;; esac
    ip link add vl${tag}0 netns $nsx type veth peer name vlsw${tag} netns $NS_SW
    ip -n $nsx link set vl${tag}0 address $mac
    ip -n $nsx addr add $ip/24 dev vl${tag}0
    ip -n $nsx link set vl${tag}0 up
    ip -n $NS_SW link set vlsw${tag} master vlbr0
    ip -n $NS_SW link set vlsw${tag} up
    ip netns exec $NS_SW tc qdisc add dev vlsw${tag} clsact
    ip netns exec $NS_SW tc filter add dev vlsw${tag} ingress matchall action mirred egress mirror dev vlswM 2>/dev/null \
      || ip netns exec $NS_SW tc filter add dev vlsw${tag} ingress protocol all prio 1 u32 match u32 0 0 \
           action mirred egress mirror dev vlswM
  done
}

kamailio_cfg() {   # kamailio_cfg FILE RELAY(yes|no) OFFER_FLAGS
  {
    echo '#!KAMAILIO'
    echo "debug=1"; echo "log_stderror=yes"; echo "children=1"; echo "auto_aliases=no"
    echo "listen=udp:$P_IP:5060"; echo "alias=$P_IP"
    echo 'mpath="/usr/lib/x86_64-linux-gnu/kamailio/modules/"'
    for m in tm sl rr maxfwd textops siputils pv xlog; do echo "loadmodule \"$m.so\""; done
    if [[ $2 == yes ]]; then
      echo 'loadmodule "rtpengine.so"'
      echo 'modparam("rtpengine", "rtpengine_sock", "udp:127.0.0.1:2223")'
    fi
    cat <<'KAM'
request_route {
    xlog("L_ALERT", "kamailio: $rm $ru from $si:$sp\n");
    if (!mf_process_maxfwd_header("10")) { sl_send_reply("483", "Too Many Hops"); exit; }
    if (has_totag()) {
        if (loose_route()) { route(RELAY); }
        if (is_method("ACK") && t_check_trans()) { t_relay(); }
        exit;
    }
    if (is_method("CANCEL")) { if (t_check_trans()) { route(RELAY); } exit; }
    record_route();
    route(RELAY);
}
route[RELAY] {
KAM
    if [[ $2 == yes ]]; then
      echo "    if (is_method(\"INVITE\") && has_body(\"application/sdp\")) { rtpengine_offer(\"$3\"); }"
      echo '    if (is_method("BYE")) { rtpengine_delete(); }'
    fi
    cat <<'KAM'
    t_on_reply("REPLY");
    if (!t_relay()) { sl_reply_error(); }
    exit;
}
onreply_route[REPLY] {
    xlog("L_ALERT", "kamailio: reply $rs $rr from $si:$sp\n");
KAM
    if [[ $2 == yes ]]; then
      echo '    if (has_body("application/sdp")) { rtpengine_answer("replace-origin replace-session-connection"); }'
    fi
    echo "}"
  } >"$1"
}

baresip_cfg() {    # baresip_cfg DIR USER IP IFACE TONE PORTS ANSWERMODE MEDIAENC OUTBOUND(yes|no)
  local d=$1
  mkdir -p "$d"
  cat >"$d/config" <<CFG
poll_method		epoll
sip_listen		$3:5060
call_local_timeout	60
call_max_calls		1
audio_source		ausine,$5
audio_player		aubridge,nil$2
audio_alert		aubridge,nil$2
ausrc_srate		48000
ausrc_channels		2
auplay_srate		48000
auplay_channels		2
rtp_ports		$6
rtcp_mux		no
rtp_stats		no
jitter_buffer_delay	5-10
net_interface		$4
module_path		/usr/lib/baresip/modules
module			g711.so
module			ausine.so
module			aubridge.so
module			srtp.so
module_tmp		uuid.so
module_tmp		account.so
module_app		menu.so
CFG
  local params=";regint=0;answermode=$7;audio_codecs=PCMU"
  [[ -n $8 ]] && params+=";mediaenc=$8"
  [[ $9 == yes ]] && params+=";outbound=\"sip:$P_IP;lr\""
  echo "<sip:$2@$3>$params" >"$d/accounts"; : >"$d/contacts"
}

clean_log() { sed -E 's/\x1b\[[0-9;]*[A-Za-z]//g; s/\r$//; s/\r/\n/g' "$1" \
  | sed -E 's/\[[0-9]+:[0-9]{2}:[0-9]{2}\] audio= *[0-9]+\/ *[0-9]+ \(bit\/s\) *//g' | grep -v '^[[:space:]]*$' | grep -v '^/' ; }

record() {
  local s=$1 w="$WORK/$1" relay=no flags="" enc_a="" enc_b=""
  case $s in
    relay-srtp-rtp) relay=yes; flags="RTP/AVP replace-origin replace-session-connection"; enc_a=srtp-mand ;;
    relay-rtp-srtp) relay=yes; flags="RTP/SAVP replace-origin replace-session-connection"; enc_b=srtp-mand ;;
    proxy-srtp)     enc_a=srtp-mand; enc_b=srtp-mand ;;
    proxy-fallback) enc_a=srtp ;;
    *) die "unknown scenario $s" ;;
  esac
  mkdir -p "$w"
  kamailio_cfg "$w/kamailio.cfg" $relay "$flags"
  baresip_cfg "$w/A" a $A_IP vlA0 440 20000-20999 manual "$enc_a" yes
  baresip_cfg "$w/B" b $B_IP vlB0 1000 30000-30999 auto "$enc_b" no
  ( exec ip netns exec $NS_MON tcpdump -n -i vlM0 -s 0 -U -w "$w/capture.pcap" ) >"$w/tcpdump.log" 2>&1 &
  local cap=$!; PIDS+=("$cap")
  wait_for 10 grep -q 'listening on' "$w/tcpdump.log" || die "tcpdump did not start"
  if [[ $relay == yes ]]; then
    ( exec ip netns exec $NS_P rtpengine --foreground --log-stderr --table=-1 --interface=$P_IP \
        --listen-ng=127.0.0.1:2223 --port-min=40000 --port-max=40999 --log-level=5 ) >"$w/rtpengine.log" 2>&1 &
    PIDS+=("$!")
    wait_for 10 listening $NS_P udp 127.0.0.1:2223 || die "rtpengine not listening: $(tail -5 "$w/rtpengine.log")"
  fi
  ( exec ip netns exec $NS_P kamailio -DD -E -f "$w/kamailio.cfg" -P "$w/kamailio.pid" -Y "$w/kam" ) >"$w/kamailio.log" 2>&1 &
  local kp=$!; PIDS+=("$kp")
  wait_for 10 listening $NS_P udp $P_IP:5060 || die "kamailio not listening: $(tail -5 "$w/kamailio.log")"
  ( cd "$w/B" && exec ip netns exec $NS_B baresip -4 -s -f "$w/B" -t $((MEDIA_SECS + 40)) ) </dev/null >"$w/B.raw" 2>&1 &
  local bp=$!; PIDS+=("$bp")
  wait_for 10 listening $NS_B udp $B_IP:5060 || die "baresip B not listening"
  ( cd "$w/A" && exec ip netns exec $NS_A baresip -4 -s -f "$w/A" -t $((MEDIA_SECS + 20)) \
        -e "/dial sip:b@$B_IP" ) </dev/null >"$w/A.raw" 2>&1 &
  local ap=$!; PIDS+=("$ap")
  if wait_for 15 grep -q "incoming rtp for 'audio' established" "$w/A.raw"; then sleep "$MEDIA_SECS"
  else log "WARNING: $s: caller saw no incoming RTP within 15 s"; fi
  alive $ap && kill -TERM $ap
  wait_for 5 bash -c "! kill -0 $ap 2>/dev/null" || true
  stop_pid $ap; sleep 0.5; stop_pid $bp; sleep 0.5
  stop_pid $kp
  for pid in "${PIDS[@]}"; do [[ $pid == "$cap" ]] || stop_pid "$pid"; done
  for pid in $(ip netns pids $NS_P); do kill -TERM "$pid" 2>/dev/null; done
  stop_pid $cap
  cp "$w/capture.pcap" "$HERE/$s.pcap"
  {
    echo "##### phone A (caller) $A_IP - baresip -s trace"; clean_log "$w/A.raw"; echo
    echo "##### phone B (callee) $B_IP - baresip -s trace"; clean_log "$w/B.raw"; echo
    echo "##### proxy $P_IP - kamailio $(kamailio -v | head -1 | awk '{print $3}') (relay: $relay ${flags:+, rtpengine_offer(\"$flags\")})"
    grep -a 'kamailio:' "$w/kamailio.log" | sed -E 's/^.*kamailio: /kamailio: /'
  } >"$HERE/$s.sip.log"
  log "$s: $(tshark -r "$HERE/$s.pcap" 2>/dev/null | wc -l) frames"
}

lab_up
for s in "${SCENARIOS[@]}"; do record "$s"; done
python3 "$HERE/verify.py" "$HERE" "${ALL[@]}"   # every scenario: expected.json covers them all
