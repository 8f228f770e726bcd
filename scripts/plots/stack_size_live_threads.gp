# stack_size_live_threads.gp: what spawning one more thread, and a context
# switch, cost while N other threads are alive and blocked (stack_size,
# section live_threads). Points: threads alive, median µs, 95% CI.
load 'common.gp'
set logscale x 10
set logscale y
set xlabel 'threads already alive (log scale)'
set ylabel 'time (µs, log scale)'
plot for [i=1:n] file(i) using (dodge(i, $1)):2:3:4 with yerrorlines @style title columnheader(1)
