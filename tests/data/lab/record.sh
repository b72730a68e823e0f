#!/usr/bin/env bash
# Record the project's real-client VoIP test captures.
#
# Builds a private network-namespace lab (a Linux bridge "switch" with a SPAN
# port made by tc mirred), places two phones on it, runs real calls with
# baresip / sipp and captures the mirrored traffic with tcpdump.  Writes, next
# to this script:  <scenario>.pcap, <scenario>.sip.log and expected.json.
#
#   usage (root):  tests/data/lab/record.sh [SCENARIO...]     (default: all)
#                  tests/data/lab/record.sh --verify-only [SCENARIO...]
#                  (only re-check existing captures, rewrite expected.json + README table)
#
# Env: VREC_MEDIA_SECS (default 3)  seconds of media per call
#      VREC_KEEP=1                  keep the temporary work dir (configs, raw logs)
#
# Topology (every name starts with vrec- / vr so nothing collides with other labs):
#   vrec-a    vrA0 10.250.7.11/24 02:1a:b0:07:00:0a ──veth── vrswA ┐
#   vrec-b    vrB0 10.250.7.12/24 02:1a:b0:07:00:0b ──veth── vrswB ┴ vrbr0 (bridge in vrec-sw)
#   vrec-mon  vrM0 (no IP, promisc) ──veth── vrswM   (not a bridge member: SPAN destination)
#   tc on vrswA/vrswB: clsact + ingress match-all -> mirred egress mirror dev vrswM
# Only the ingress of the phone-facing ports is mirrored, so every frame is seen once.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ALL_SCENARIOS=(udp-pcmu tcp-pcmu udp-srtp tls-srtp tls-rtp udp-dtls tls-dtls udp-g722
               udp-g722-srtp udp-opus udp-opus-srtp udp-srtp-fallback sipp-pcap sipp-tcp-pcap)
MEDIA_SECS=${VREC_MEDIA_SECS:-3}

NS_SW=vrec-sw; NS_MON=vrec-mon; NS_A=vrec-a; NS_B=vrec-b
A_IP=10.250.7.11; B_IP=10.250.7.12
A_MAC=02:1a:b0:07:00:0a; B_MAC=02:1a:b0:07:00:0b

die() { echo "record.sh: $*" >&2; exit 1; }
log() { echo "record.sh: $*" >&2; }

# ---------------------------------------------------------------- arguments
VERIFY_ONLY=0
if [[ ${1:-} == --verify-only ]]; then VERIFY_ONLY=1; shift; fi
if [[ $# -eq 0 ]]; then
  SCENARIOS=("${ALL_SCENARIOS[@]}")
else
  SCENARIOS=()
  for s in "$@"; do
    case " ${ALL_SCENARIOS[*]} " in *" $s "*) SCENARIOS+=("$s") ;;
      *) die "unknown scenario '$s' (known: ${ALL_SCENARIOS[*]})" ;; esac
  done
fi

[[ $EUID -eq 0 || $VERIFY_ONLY == 1 ]] || die "needs root (network namespaces)"
for t in ip tc tcpdump tshark baresip sipp openssl python3 editcap flock ss sed awk; do
  command -v "$t" >/dev/null || die "missing tool: $t"
done
[[ -d /usr/lib/baresip/modules ]] || die "baresip modules not found in /usr/lib/baresip/modules"

# one recorder at a time (the namespace names are fixed)
exec 9<"${BASH_SOURCE[0]}"
flock -n 9 || die "another record.sh is running"

WORK=$(mktemp -d -t vrec-record.XXXXXX)
PIDS=()          # every background process this script started
NAMESPACES=()    # every namespace this script created

alive() {        # alive PID: running (a zombie child that was not reaped yet does not count)
  local st
  st=$(sed 's/.*) //' "/proc/$1/stat" 2>/dev/null | cut -d' ' -f1) || return 1
  [[ -n $st && $st != Z ]]
}
dead() { ! alive "$1"; }
forget_pid() {   # forget_pid PID: drop a reaped PID from PIDS so it is never signalled again
  local p keep=()
  for p in "${PIDS[@]}"; do [[ $p == "$1" ]] || keep+=("$p"); done
  PIDS=("${keep[@]}")
}
stop_pid() {     # stop_pid PID: SIGTERM, up to 3 s grace, SIGKILL; reap it. PID must be our child
  local pid=$1 i       # (an unreaped child keeps its PID, so signalling it cannot hit anyone else)
  if alive "$pid"; then
    kill -TERM "$pid" 2>/dev/null || true
    for i in $(seq 30); do alive "$pid" || break; sleep 0.1; done
    alive "$pid" && kill -KILL "$pid" 2>/dev/null
  fi
  wait "$pid" 2>/dev/null || true
  forget_pid "$pid"
}

lab_down() {      # stop what we started, delete the namespaces we created
  local pid ns
  for pid in "${PIDS[@]}"; do stop_pid "$pid"; done
  PIDS=()
  for ns in "${NAMESPACES[@]}"; do ip netns del "$ns" 2>/dev/null; done
  NAMESPACES=()
}

cleanup() {
  local rc=$?
  set +e
  lab_down
  if [[ ${VREC_KEEP:-0} == 1 ]]; then log "work dir kept: $WORK"; else rm -rf "$WORK"; fi
  exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT TERM HUP

# ---------------------------------------------------------------- topology
lab_up() {
  local ns
  for ns in $NS_SW $NS_MON $NS_A $NS_B; do
    if ip netns list | awk '{print $1}' | grep -qx "$ns"; then
      # left over by an aborted run of this script (we hold the lock, so it is not in use)
      [[ -z $(ip netns pids "$ns") ]] || die "namespace $ns exists and has processes; not touching it"
      ip netns del "$ns"
    fi
    ip netns add "$ns"; NAMESPACES+=("$ns")
    ip -n "$ns" link set lo up
    # no IPv6: avoids RS/DAD/MLD noise in the captures
    ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
  done

  ip -n $NS_SW link add vrbr0 type bridge
  ip -n $NS_SW link set vrbr0 type bridge stp_state 0 forward_delay 0
  ip -n $NS_SW link set vrbr0 up

  # SPAN destination port: not enslaved to the bridge, no IP address on the monitor side
  ip link add vrM0 netns $NS_MON type veth peer name vrswM netns $NS_SW
  ip -n $NS_SW link set vrswM up
  ip -n $NS_MON link set vrM0 promisc on up

  local tag ns_p ip mac
  for tag in A B; do
    if [[ $tag == A ]]; then ns_p=$NS_A ip=$A_IP mac=$A_MAC; else ns_p=$NS_B ip=$B_IP mac=$B_MAC; fi
    ip link add vr${tag}0 netns "$ns_p" type veth peer name vrsw${tag} netns $NS_SW
    ip -n "$ns_p" link set vr${tag}0 address "$mac"
    ip -n "$ns_p" addr add "$ip/24" dev vr${tag}0
    ip -n "$ns_p" link set vr${tag}0 up
    ip -n $NS_SW link set vrsw${tag} master vrbr0
    ip -n $NS_SW link set vrsw${tag} up
    ip netns exec $NS_SW tc qdisc add dev vrsw${tag} clsact
    # match-all; cls_matchall is missing from some kernels, u32 "match u32 0 0" is equivalent
    if ! ip netns exec $NS_SW tc filter add dev vrsw${tag} ingress matchall \
           action mirred egress mirror dev vrswM 2>/dev/null; then
      ip netns exec $NS_SW tc filter add dev vrsw${tag} ingress protocol all prio 1 u32 \
           match u32 0 0 action mirred egress mirror dev vrswM
    fi
  done
  if command -v ping >/dev/null; then
    ip netns exec $NS_A ping -c1 -W2 $B_IP >/dev/null || die "lab: phone A cannot reach phone B"
  fi
}

# ---------------------------------------------------------------- helpers
wait_for() {     # wait_for SECONDS CMD...: poll CMD every 0.1 s
  local n=$(( $1 * 10 )); shift
  while (( n-- > 0 )); do "$@" >/dev/null 2>&1 && return 0; sleep 0.1; done
  return 1
}
listening() {    # listening NS PROTO(udp|tcp) IP:PORT
  ip netns exec "$1" ss -Hln --"$2" | awk '{print $4}' | grep -qx "$3"
}

CAP_PID=
capture_start() {   # capture_start OUT.pcap LOG
  ( exec ip netns exec $NS_MON tcpdump -n -i vrM0 -s 0 -U -w "$1" ) >"$2" 2>&1 &
  CAP_PID=$!; PIDS+=("$CAP_PID")
  wait_for 10 grep -q 'listening on' "$2" || die "tcpdump did not start: $(cat "$2")"
}
capture_stop() {
  sleep 0.5                     # let the last packets (BYE/200, RTCP BYE, ICMP) arrive
  stop_pid "$CAP_PID"
}

mkcert() {       # mkcert DIR CN IP -> DIR/cert.pem (certificate + key in ONE file)
  openssl req -x509 -newkey rsa:2048 -nodes -days 3650 -subj "/CN=$2" \
      -addext "subjectAltName=IP:$3" -keyout "$1/key.pem" -out "$1/crt.pem" 2>/dev/null
  cat "$1/crt.pem" "$1/key.pem" >"$1/cert.pem"
}

# baresip_cfg DIR USER IP IFACE TONE_HZ RTP_PORTS ANSWERMODE TRANSPORT CODEC MEDIAENC SRTP_MODULES(yes|no)
baresip_cfg() {
  local d=$1 user=$2 ip=$3 ifc=$4 tone=$5 ports=$6 am=$7 tp=$8 codec=$9 enc=${10} srtp=${11}
  mkdir -p "$d"
  {
    echo "poll_method		epoll"
    echo "sip_listen		$ip:5060"          # TLS listens on port+1 = 5061
    if [[ $tp == tls ]]; then mkcert "$d" "phone-$user" "$ip"; echo "sip_certificate		$d/cert.pem"; fi
    echo "call_local_timeout	60"
    echo "call_max_calls		1"
    # no sound card: sine source (48 kHz stereo only), aubridge to a nil device as sink
    echo "audio_source		ausine,$tone"
    echo "audio_player		aubridge,nil$user"
    echo "audio_alert		aubridge,nil$user"
    echo "ausrc_srate		48000"
    echo "ausrc_channels		2"
    echo "auplay_srate		48000"
    echo "auplay_channels		2"
    echo "rtp_ports		$ports"
    echo "rtcp_mux		no"
    echo "rtp_stats		no"
    echo "jitter_buffer_delay	5-10"
    echo "net_interface		$ifc"
    echo "opus_bitrate		28000"
    echo "module_path		/usr/lib/baresip/modules"
    echo "module			g711.so"
    echo "module			g722.so"
    echo "module			opus.so"
    echo "module			ausine.so"
    echo "module			aubridge.so"
    if [[ $srtp == yes ]]; then
      echo "module			srtp.so"
      echo "module			dtls_srtp.so"
    fi
    echo "module_tmp		uuid.so"
    echo "module_tmp		account.so"
    echo "module_app		menu.so"      # NOT stdio.so: it needs a TTY
  } >"$d/config"
  local params=";regint=0;answermode=$am;audio_codecs=$codec"
  [[ -n $enc ]] && params+=";mediaenc=$enc"
  local tpp=""; [[ $tp != udp ]] && tpp=";transport=$tp"
  echo "<sip:$user@$ip$tpp>$params" >"$d/accounts"
  : >"$d/contacts"
}

clean_log() {    # strip ANSI colours, CRs, the menu's ~10/s status line and the echo of -e typing
  sed -E 's/\x1b\[[0-9;]*[A-Za-z]//g; s/\r$//; s/\r/\n/g' "$1" \
    | sed -E 's/\[[0-9]+:[0-9]{2}:[0-9]{2}\] audio= *[0-9]+\/ *[0-9]+ \(bit\/s\) *//g' \
    | awk '/^\/[^ ]*( .*)?$/ { pend = $0; next }      # "/", "/d", "/di", ... keep the last one
           pend != "" { print pend; pend = "" }
           /^[ \t]+$/ { next }                         # what is left of a status line
           { print }
           END { if (pend != "") print pend }'
}

# prepare_baresip SCENARIO_DIR TRANSPORT CODEC MEDIAENC_A MEDIAENC_B B_HAS_SRTP
prepare_baresip() {
  local w=$1 tp=$2 codec=$3 enc_a=$4 enc_b=$5 b_srtp=$6
  # A: 440 Hz tone, RTP ports 20000-20999; B: 1000 Hz tone, RTP ports 30000-30999
  baresip_cfg "$w/A" a $A_IP vrA0 440  20000-20999 manual "$tp" "$codec" "$enc_a" yes
  baresip_cfg "$w/B" b $B_IP vrB0 1000 30000-30999 auto   "$tp" "$codec" "$enc_b" "$b_srtp"
}

# run_baresip SCENARIO_DIR TRANSPORT
run_baresip() {
  local w=$1 tp=$2
  # callee B: auto-answer; stopped after the caller hung up (-t is only a safety net)
  ( cd "$w/B" && exec ip netns exec $NS_B baresip -4 -s -f "$w/B" -t $((MEDIA_SECS + 40)) ) \
      </dev/null >"$w/B.raw" 2>&1 &
  local bp=$!; PIDS+=("$bp")
  local lport=5060 lproto=udp
  [[ $tp == tcp ]] && lproto=tcp
  [[ $tp == tls ]] && { lproto=tcp; lport=5061; }
  wait_for 10 listening $NS_B $lproto $B_IP:$lport || die "baresip B not listening on $lproto $lport"
  # caller A dials at start-up.  Once A receives media, let the call run MEDIA_SECS and stop
  # A with SIGTERM: baresip then hangs up (BYE) and quits, like with -t (kept as a safety net).
  # baresip appends the account's ;transport= to the dialled URI itself.
  ( cd "$w/A" && exec ip netns exec $NS_A baresip -4 -s -f "$w/A" -t $((MEDIA_SECS + 20)) \
        -e "/dial sip:b@$B_IP" ) </dev/null >"$w/A.raw" 2>&1 &
  local ap=$!; PIDS+=("$ap")
  if wait_for 15 grep -q "incoming rtp for 'audio' established" "$w/A.raw"; then
    sleep "$MEDIA_SECS"
  else
    log "WARNING: caller saw no incoming RTP within 15 s"
  fi
  if alive "$ap"; then kill -TERM "$ap"; fi
  wait_for 5 dead "$ap" || log "WARNING: caller did not quit within 5 s"
  stop_pid "$ap"
  # B has received the BYE; give it a moment for the RTCP BYE, then stop it
  sleep 0.5
  stop_pid "$bp"
  {
    echo "##### phone A (caller) $A_IP - baresip $(baresip_version) -s trace"
    clean_log "$w/A.raw"
    echo
    echo "##### phone B (callee) $B_IP - baresip $(baresip_version) -s trace"
    clean_log "$w/B.raw"
  } >"$w/sip.log"
}

baresip_version() { dpkg-query -W -f '${Version}' baresip-core 2>/dev/null || echo '?'; }
sipp_version() { sipp -v 2>/dev/null | grep -o 'v[0-9][0-9.]*[0-9]' | head -1; }

# prepare_sipp SCENARIO_DIR
prepare_sipp() {
  local w=$1
  # uac_pcap replays pcap/g711a.pcap (PCMA, 7 s) relative to the cwd: keep the first
  # MEDIA_SECS seconds (30 ms packets) so the capture stays small.
  mkdir -p "$w/pcap"
  editcap -r /usr/share/sip-tester/g711a.pcap "$w/pcap/g711a.pcap" "1-$(( MEDIA_SECS * 1000 / 30 ))" >/dev/null
  cp /usr/share/sip-tester/dtmf_2833_1.pcap "$w/pcap/"
}

# run_sipp SCENARIO_DIR TRANSPORT(udp|tcp)
run_sipp() {
  local w=$1 tp=$2 st=u1
  [[ $tp == tcp ]] && st=t1
  ( cd "$w" && exec ip netns exec $NS_B sipp -sn uas -i $B_IP -p 5060 -t $st -mi $B_IP -mp 6000 \
        -rtp_echo -m 1 -nostdin -trace_msg -message_file "$w/B.msg" -trace_err -error_file "$w/B.err" ) \
      </dev/null >"$w/B.raw" 2>&1 &
  local bp=$!; PIDS+=("$bp")
  wait_for 10 listening $NS_B $tp $B_IP:5060 || die "sipp uas not listening"
  ( cd "$w" && exec ip netns exec $NS_A timeout 60 sipp -sn uac_pcap $B_IP:5060 -i $A_IP -p 5060 -t $st \
        -mi $A_IP -mp 7000 -m 1 -nostdin -trace_msg -message_file "$w/A.msg" -trace_err -error_file "$w/A.err" ) \
      </dev/null >"$w/A.raw" 2>&1 &
  local ap=$!; PIDS+=("$ap")
  wait "$ap" || log "WARNING: sipp uac exited non-zero: $(tail -3 "$w/A.raw")"
  forget_pid "$ap"
  sleep 0.5
  stop_pid "$bp"
  {
    echo "##### phone A (caller) $A_IP - sipp $(sipp_version) -sn uac_pcap -trace_msg"
    sed 's/\r$//' "$w/A.msg"
    echo
    echo "##### phone B (callee) $B_IP - sipp $(sipp_version) -sn uas -rtp_echo -trace_msg"
    sed 's/\r$//' "$w/B.msg"
  } >"$w/sip.log"
}

record() {       # record SCENARIO
  local s=$1 w="$WORK/$1"
  mkdir -p "$w"
  local tp=udp codec=PCMU enc_a="" enc_b="" b_srtp=yes tool=baresip
  case $s in
    udp-pcmu)          ;;
    tcp-pcmu)          tp=tcp ;;
    udp-srtp)          enc_a=srtp-mand; enc_b=srtp-mand ;;
    tls-srtp)          tp=tls; enc_a=srtp-mand; enc_b=srtp-mand ;;
    tls-rtp)           tp=tls ;;
    udp-dtls)          enc_a=dtls_srtp; enc_b=dtls_srtp ;;
    tls-dtls)          tp=tls; enc_a=dtls_srtp; enc_b=dtls_srtp ;;
    udp-g722)          codec=G722/16000/1 ;;
    udp-g722-srtp)     codec=G722/16000/1; enc_a=srtp-mand; enc_b=srtp-mand ;;
    udp-opus)          codec=opus/48000/2 ;;
    udp-opus-srtp)     codec=opus/48000/2; enc_a=srtp-mand; enc_b=srtp-mand ;;
    udp-srtp-fallback) enc_a=srtp; b_srtp=no ;;
    sipp-pcap)         tool=sipp ;;
    sipp-tcp-pcap)     tool=sipp; tp=tcp ;;
  esac
  if [[ $tool == baresip ]]; then prepare_baresip "$w" $tp "$codec" "$enc_a" "$enc_b" $b_srtp
  else prepare_sipp "$w"; fi
  capture_start "$w/capture.pcap" "$w/tcpdump.log"
  if [[ $tool == baresip ]]; then run_baresip "$w" $tp
  else run_sipp "$w" $tp; fi
  capture_stop
  cp "$w/capture.pcap" "$HERE/$s.pcap"
  cp "$w/sip.log" "$HERE/$s.sip.log"
}

# ---------------------------------------------------------------- verification
# verify.py reads every recorded <scenario>.pcap with tshark and its .sip.log, derives the
# ground truth (expected.json) from the SDP offer/answer + what tshark sees on the wire,
# cross-checks both, prints one line per capture and regenerates the table in README.md.
# It does not use the project's analyzer. Exit status 1 = a capture is not what its name says.
write_verify_py() {
cat >"$1" <<'PY'
import collections, datetime, json, math, os, re, subprocess, sys

here, scenarios, order = sys.argv[1], sys.argv[2].split(), sys.argv[3].split()
A_IP, B_IP = "10.250.7.11", "10.250.7.12"
STATIC_PT = {0: "PCMU", 8: "PCMA", 9: "G722"}
# what each scenario must look like (independent of the logs: the scenario definition)
WANT = {  # scenario: (signaling, keying, codec)
    "udp-pcmu": ("udp", None, "PCMU"), "tcp-pcmu": ("tcp", None, "PCMU"),
    "udp-srtp": ("udp", "sdes", "PCMU"), "tls-srtp": ("tls", "sdes", "PCMU"),
    "tls-rtp": ("tls", None, "PCMU"), "udp-dtls": ("udp", "dtls-srtp", "PCMU"),
    "tls-dtls": ("tls", "dtls-srtp", "PCMU"), "udp-g722": ("udp", None, "G722"),
    "udp-g722-srtp": ("udp", "sdes", "G722"), "udp-opus": ("udp", None, "opus"),
    "udp-opus-srtp": ("udp", "sdes", "opus"), "udp-srtp-fallback": ("udp", None, "PCMU"),
    "sipp-pcap": ("udp", None, "PCMA"), "sipp-tcp-pcap": ("tcp", None, "PCMA"),
}
ENTROPY_ENCRYPTED = 7.9      # bits/byte over all RTP payloads of a stream
errors = []

def fail(scen, msg):
    errors.append(f"{scen}: {msg}")

def tshark_rows(pcap, *fields, flt=None):
    cmd = ["tshark", "-r", pcap, "-n", "--enable-heuristic", "rtp_udp", "-d", "tcp.port==5061,tls",
           "-T", "fields", "-E", "separator=\t", "-E", "occurrence=f"]
    if flt:
        cmd += ["-Y", flt]
    for f in fields:
        cmd += ["-e", f]
    out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
    return [line.split("\t") for line in out.splitlines()]

# ---- SIP log -> messages (caller's section only: it sent the offer and received the answer)
START = re.compile(r"^(?:[A-Z]+ sips?:\S+ SIP/2\.0|SIP/2\.0 (\d{3}) .*)$")

def sip_messages(path):
    text = open(path, encoding="utf-8", errors="replace").read()
    caller = text.split("##### phone B", 1)[0]
    lines, msgs, i = caller.splitlines(), [], 0
    while i < len(lines):
        m = START.match(lines[i])
        if not m:
            i += 1
            continue
        msg = {"start": lines[i], "status": int(m.group(1)) if m.group(1) else None, "headers": {}, "sdp": []}
        i += 1
        while i < len(lines) and lines[i].strip():
            if ":" in lines[i]:
                k, v = lines[i].split(":", 1)
                msg["headers"].setdefault(k.strip().lower(), v.strip())
            i += 1
        while i < len(lines) and not lines[i].strip():
            i += 1
        while i < len(lines) and re.match(r"^[a-z]=", lines[i]):
            msg["sdp"].append(lines[i].strip())
            i += 1
        msgs.append(msg)
    return msgs

def parse_sdp(lines):
    sdp = {"c": None, "port": None, "proto": None, "fmts": [], "rtpmap": {}, "crypto": [], "fingerprint": False}
    for l in lines:
        k, v = l[0], l[2:]
        if k == "c" and (sdp["c"] is None or sdp["port"] is not None):
            sdp["c"] = v.split()[-1]
        elif k == "m" and v.startswith("audio ") and sdp["port"] is None:
            parts = v.split()
            sdp["port"], sdp["proto"], sdp["fmts"] = int(parts[1]), parts[2], [int(x) for x in parts[3:]]
        elif l.startswith("a=rtpmap:"):
            pt, enc = v[len("rtpmap:"):].split(None, 1)
            sdp["rtpmap"][int(pt)] = enc.split("/")[0]
        elif l.startswith("a=crypto:"):
            sdp["crypto"].append(v.split(None, 2)[1])
        elif l.startswith("a=fingerprint:"):
            sdp["fingerprint"] = True
    return sdp

def rtcp_kind(p):
    """'clear' if p is a complete cleartext RTCP compound packet, 'srtcp' if it is an RTCP
    header followed by ciphertext + E|index (E bit set) + 80-bit tag, else 'unknown'."""
    o = 0
    while o + 4 <= len(p) and p[o] >> 6 == 2 and 200 <= p[o + 1] <= 206:
        o += (int.from_bytes(p[o + 2:o + 4], "big") + 1) * 4
    if o == len(p):
        return "clear"
    first = (int.from_bytes(p[2:4], "big") + 1) * 4
    if len(p) >= 14 + 8 and first <= len(p) - 14 and p[len(p) - 14] & 0x80:
        return "srtcp"
    return "unknown"

def entropy(data):
    if not data:
        return 0.0
    c, n = collections.Counter(data), len(data)
    return -sum(x / n * math.log2(x / n) for x in c.values())

def analyse(scen):
    pcap, log = os.path.join(here, scen + ".pcap"), os.path.join(here, scen + ".sip.log")
    msgs = sip_messages(log)
    offer = next((m for m in msgs if m["start"].startswith("INVITE ") and m["sdp"]), None)
    answer = next((m for m in msgs if m["status"] and 200 <= m["status"] < 300
                   and "INVITE" in m["headers"].get("cseq", "") and m["sdp"]), None)
    if not offer or not answer:
        fail(scen, "no SDP offer/answer in the SIP log")
        return None
    o, a = parse_sdp(offer["sdp"]), parse_sdp(answer["sdp"])
    via = re.match(r"SIP/2\.0/(\w+)", offer["headers"].get("via", ""))
    signaling = via.group(1).lower() if via else "?"
    profile = a["proto"]
    if a["port"] == 0:
        fail(scen, "media rejected in the answer (port 0)")
    if "SAVP" in profile and a["fingerprint"] and profile.startswith("UDP/TLS"):
        keying = "dtls-srtp"
    elif a["crypto"]:
        keying = "sdes"
    else:
        keying = None
    encrypted_sdp = keying is not None

    # ---- wire: every frame once
    rows = tshark_rows(pcap, "frame.len", "frame.protocols", "ip.src", "udp.srcport", "ip.dst",
                       "udp.dstport", "tcp.srcport", "tcp.dstport", "tls.handshake.type", "rtp.p_type",
                       "rtp.ssrc", "udp.payload")
    npk, nbytes = len(rows), os.path.getsize(pcap)
    sip_udp = sip_tcp = tls_hello_5061 = 0
    dtls_media = 0
    flows = collections.defaultdict(lambda: {"n": 0, "pt": collections.Counter(), "ssrc": set(), "payload": bytearray()})
    rtcp = collections.defaultdict(collections.Counter)
    media_ports = {o["port"], o["port"] + 1, a["port"], a["port"] + 1}
    for (flen, protos, src, sport, dst, dport, tsport, tdport, hs, pt, ssrc, payload) in rows:
        layers = protos.split(":")
        if "icmp" in layers:
            continue
        if "sip" in layers and "udp" in layers:
            sip_udp += 1
        if "sip" in layers and "tcp" in layers:
            sip_tcp += 1
        if "tls" in layers and "5061" in (tsport, tdport) and hs == "1":
            tls_hello_5061 += 1
        if "dtls" in layers and sport and int(sport) in media_ports and int(dport) in media_ports:
            dtls_media += 1
        if sport and int(sport) in media_ports and int(dport) in media_ports and payload:
            b = bytes.fromhex(payload)
            if len(b) >= 8 and b[0] >> 6 == 2 and 200 <= b[1] <= 204:   # RTCP (not muxed here)
                rtcp[(src, int(sport), dst, int(dport))][rtcp_kind(b)] += 1
                continue
        if "rtp" in layers and "rtcp" not in layers and pt:
            f = flows[(src, int(sport), dst, int(dport))]
            f["n"] += 1
            f["pt"][int(pt)] += 1
            f["ssrc"].add(ssrc)
            if int(pt) not in (101,):      # telephone-event is not audio
                f["payload"] += bytes.fromhex(payload)[12:]

    # ---- expected media streams from the SDP, checked against the wire
    want_sig, want_key, want_codec = WANT[scen]
    tuples = [(o["c"], o["port"], a["c"], a["port"]), (a["c"], a["port"], o["c"], o["port"])]
    media, codecs = [], set()
    for t in tuples:
        f = flows.pop(t, None)
        if not f or f["n"] == 0:
            fail(scen, "no RTP/SRTP packets on %s:%d -> %s:%d" % t)
            continue
        audio_pt = max((p for p in f["pt"] if p != 101), key=lambda p: f["pt"][p], default=None)
        codec = a["rtpmap"].get(audio_pt) or o["rtpmap"].get(audio_pt) or STATIC_PT.get(audio_pt, str(audio_pt))
        codecs.add(codec)
        h = entropy(f["payload"])
        looks_enc = h >= ENTROPY_ENCRYPTED
        if looks_enc != encrypted_sdp:
            fail(scen, "%s:%d -> %s:%d" % t + f" payload entropy {h:.2f} bits/byte contradicts SDP "
                 f"(encrypted={encrypted_sdp})")
        media.append({"src": t[0], "src_port": t[1], "dst": t[2], "dst_port": t[3], "kind": "rtp",
                      "encrypted": encrypted_sdp, "packets": f["n"], "payload_type": audio_pt,
                      "ssrc": sorted(f["ssrc"])[0] if len(f["ssrc"]) == 1 else sorted(f["ssrc"]),
                      "payload_entropy": round(h, 2)})
    rtcp_list = [{"src": t[0], "src_port": t[1], "dst": t[2], "dst_port": t[3], "kind": "rtcp",
                  "packets": sum(c.values()), "cleartext_packets": c["clear"], "srtcp_packets": c["srtcp"]}
                 for t, c in sorted(rtcp.items())]
    for t, f in flows.items():
        if f["n"] >= 5:
            fail(scen, "unexpected RTP-looking flow %s:%d -> %s:%d (%d packets)" % (t + (f["n"],)))
    codec = codecs.pop() if len(codecs) == 1 else "/".join(sorted(codecs))

    # ---- the capture must be what its name says
    if signaling != want_sig:
        fail(scen, f"SIP transport {signaling}, expected {want_sig}")
    if want_sig == "udp" and not sip_udp:
        fail(scen, "no SIP over UDP in the pcap")
    if want_sig == "tcp" and not sip_tcp:
        fail(scen, "no SIP over TCP in the pcap")
    if want_sig == "tls" and (not tls_hello_5061 or sip_udp or sip_tcp):
        fail(scen, f"TLS: {tls_hello_5061} ClientHello on 5061, {sip_udp + sip_tcp} cleartext SIP frames")
    if keying != want_key:
        fail(scen, f"keying {keying}, expected {want_key}")
    if (keying == "dtls-srtp") != (dtls_media > 0):
        fail(scen, f"{dtls_media} DTLS frames on the media ports, keying {keying}")
    if codec != want_codec:
        fail(scen, f"codec {codec}, expected {want_codec}")

    notes = []
    if scen == "udp-srtp-fallback":
        notes.append("offer RTP/AVP with a=crypto (mediaenc=srtp, best effort); answer without "
                     "a=crypto -> cleartext RTP")
    if scen.startswith("sipp"):
        notes.append("SDP answer of sipp's built-in uas says PCMU (PT 0) but both directions carry "
                     "PT 8 PCMA (uac plays a PCMA pcap, uas echoes it); DTMF PT 101 at the end")
    if keying:
        notes.append("baresip sends its first RTCP APP (PING) and the final RTCP BYE+SDES in clear "
                     "even though media is SRTP; this is not cleartext audio")
    return {
        "file": scen + ".pcap", "signaling": signaling, "profile": profile, "codec": codec,
        "media": media, "keying": keying, "rtcp": rtcp_list,
        "offer_profile": o["proto"], "offer_crypto": bool(o["crypto"]), "crypto_suite": (a["crypto"] or [None])[0],
        "packets": npk, "bytes": nbytes, "notes": "; ".join(notes),
    }

expected_path = os.path.join(here, "expected.json")
try:
    expected = {e["file"]: e for e in json.load(open(expected_path))["captures"]}
except (OSError, ValueError, KeyError):
    expected = {}
for scen in scenarios:
    e = analyse(scen)
    if e is None:
        continue
    expected[e["file"]] = e
    st = ", ".join("%s:%d->%s:%d %d%s" % (m["src"], m["src_port"], m["dst"], m["dst_port"], m["packets"],
                                          " enc" if m["encrypted"] else "") for m in e["media"])
    print(f"{e['file']:24} {e['packets']:4d} packets {e['bytes']:7d} bytes  sip={e['signaling']:3} "
          f"{e['profile']:20} {e['codec']:5} keying={e['keying'] or '-':9} rtp: {st}")

caps = [expected[s + ".pcap"] for s in order if s + ".pcap" in expected]
json.dump({"description": "Ground truth for tests/data/lab/*.pcap, derived from the baresip/sipp SIP "
           "traces (SDP offer/answer) and tshark; see README.md. Not produced by the project's analyzer.",
           "phones": {"A": {"ip": A_IP, "mac": "02:1a:b0:07:00:0a", "role": "caller"},
                      "B": {"ip": B_IP, "mac": "02:1a:b0:07:00:0b", "role": "callee"}},
           "captures": caps}, open(expected_path, "w"), indent=2)
open(expected_path, "a").write("\n")

# ---- README table (between the markers)
readme = os.path.join(here, "README.md")
if os.path.exists(readme):
    text = open(readme).read()
    b, e_ = "<!-- table:begin (generated by record.sh) -->", "<!-- table:end -->"
    if b in text and e_ in text:
        rows = ["| scenario | packets | bytes | SIP | media profile (SDP answer) | codec | media encrypted | keying | RTP streams (packets) |",
                "|---|---:|---:|---|---|---|---|---|---|"]
        for c in caps:
            st = "<br>".join("%s:%d -> %s:%d (%d)" % (m["src"], m["src_port"], m["dst"], m["dst_port"], m["packets"])
                             for m in c["media"])
            enc = "yes" if c["media"] and all(m["encrypted"] for m in c["media"]) else "no"
            rows.append(f"| {c['file'][:-5]} | {c['packets']} | {c['bytes']} | {c['signaling'].upper()} | "
                        f"{c['profile']} | {c['codec']} | {enc} | {c['keying'] or '-'} | {st} |")
        total = sum(c["bytes"] for c in caps)
        rows.append(f"\nTotal pcap size: {total} bytes. Table last regenerated "
                    f"{datetime.date.today().isoformat()}.")
        text = text[:text.index(b) + len(b)] + "\n" + "\n".join(rows) + "\n" + text[text.index(e_):]
        open(readme, "w").write(text)

for err in errors:
    print("FAIL " + err, file=sys.stderr)
sys.exit(1 if errors else 0)
PY
}

# ---------------------------------------------------------------- main
if [[ $VERIFY_ONLY == 1 ]]; then
  write_verify_py "$WORK/verify.py"
  python3 "$WORK/verify.py" "$HERE" "${SCENARIOS[*]}" "${ALL_SCENARIOS[*]}"
  exit $?        # (not exec: the EXIT trap must still remove $WORK)
fi
lab_up
for s in "${SCENARIOS[@]}"; do
  log "recording $s"
  record "$s"
done
lab_down
write_verify_py "$WORK/verify.py"
python3 "$WORK/verify.py" "$HERE" "${SCENARIOS[*]}" "${ALL_SCENARIOS[*]}"
