#!/bin/sh
# Re-record the stack_* captures of tests/golden/ftrace (see README-captures.md).
# Needs root, tracefs and trace-cmd; works in a private tracefs instance so other
# users of tracing are not disturbed. Output goes to $OUT (default /tmp/fk_captures).
set -eu
OUT=${OUT:-/tmp/fk_captures}
T=/sys/kernel/tracing
mkdir -p "$OUT"
mountpoint -q $T || mount -t tracefs nodev $T
gcc -O0 -fno-omit-frame-pointer -fno-pie -no-pie -o "$OUT/fkwork" "$(dirname "$0")/fkwork.c"
I=$T/instances/fk_capture
mkdir -p $I
W=$I/events/syscalls/sys_enter_write
X=$I/events/sched/sched_process_exit
echo 0 > $I/tracing_on

# 1. stacktrace trigger
echo > $I/trace
echo 'comm == "fkwork"' > $W/filter
echo 'stacktrace if comm == "fkwork"' > $W/trigger
echo 1 > $W/enable; echo 1 > $I/tracing_on; "$OUT/fkwork"; echo 0 > $I/tracing_on; echo 0 > $W/enable
cat $I/trace > "$OUT/stack_tracefs_trigger.txt"
echo '!stacktrace if comm == "fkwork"' > $W/trigger

# 2. options/stacktrace + userstacktrace
echo > $I/trace
for o in stacktrace userstacktrace sym-userobj sym-offset; do echo 1 > $I/options/$o; done
echo 1 > $W/enable; echo 1 > $I/tracing_on; "$OUT/fkwork"; echo 0 > $I/tracing_on; echo 0 > $W/enable
cat $I/trace > "$OUT/stack_tracefs_options_user.txt"
for o in stacktrace userstacktrace sym-userobj sym-offset; do echo 0 > $I/options/$o; done

# 3. triggers on two events, read back by trace-cmd (record -T needs ftrace_enabled, refused here)
echo > $I/trace
echo 'comm == "fkwork"' > $X/filter
echo stacktrace > $W/trigger; echo stacktrace > $X/trigger
echo 1 > $W/enable; echo 1 > $X/enable; echo 1 > $I/tracing_on; "$OUT/fkwork"; echo 0 > $I/tracing_on
echo 0 > $W/enable; echo 0 > $X/enable; echo '!stacktrace' > $W/trigger; echo '!stacktrace' > $X/trigger
echo 0 > $W/filter; echo 0 > $X/filter
trace-cmd extract -B fk_capture -o "$OUT/fk.dat"
trace-cmd report -i "$OUT/fk.dat" > "$OUT/stack_tracecmd_report.txt"
trace-cmd report -l -i "$OUT/fk.dat" > "$OUT/stack_tracecmd_latency.txt"
trace-cmd report -R -i "$OUT/fk.dat" > "$OUT/stack_tracecmd_raw.txt"
rmdir $I 2>/dev/null || true
echo "captures in $OUT"
