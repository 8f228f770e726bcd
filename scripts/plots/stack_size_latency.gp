# stack_size_latency.gp: spawn + join time against the stack size
# (stack_size, section latency). Points: stack bytes, median µs, 95% CI.
# Linear y from 0 so that a step (glibc's stack cache no longer holding
# the stack: mapped anew at every spawn) shows as the jump it is.
load 'common.gp'
set logscale x 2
set xtics @bytes_tics
set xlabel 'stack size (log scale)'
set ylabel 'spawn + join one thread (µs)'
set yrange [0:*]
set offsets graph 0.03, graph 0.03, graph 0.1, 0
if (n == 1) { unset key }  # one series: the y axis says what it is
plot for [i=1:n] file(i) using (dodge(i, $1)):2:3:4 with yerrorlines @style title columnheader(1)
