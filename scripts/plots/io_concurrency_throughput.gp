# io_concurrency_throughput.gp: threads or an event loop for IO
# (io_concurrency, section io): requests per second (left) and the p99
# latency (right) against the number of connections, one series per server
# (thread_per_connection, pool, epoll, libuv). Points: connections, then
# median req/s and its 95% CI, then median p99 ms and its 95% CI. Log-log:
# while every connection gets its answer after the wait, throughput grows
# as C (slope 1) and latency stays at the wait; where a server falls behind,
# its throughput flattens and its latency climbs. A series that stops early
# is a server the caps could not hold further.
load 'common.gp'
unset title
set multiplot layout 1,2 title heading margins 0.08, 0.98, 0.25, 0.81 spacing 0.09, 0
set logscale x 10
set logscale y
set xlabel 'connections (log scale)'

set title 'throughput'
set ylabel 'requests per second (log)'
set key off
plot for [i=1:n] file(i) using (dodge(i, $1)):2:3:4 with yerrorlines @style notitle

set title 'latency p99'
set ylabel 'p99 latency (ms, log)'
# One key for both panels, under them both.
set key at screen 0.5, screen 0.03 center bottom horizontal reverse Left
plot for [i=1:n] file(i) using (dodge(i, $1)):5:6:7 with yerrorlines @style title columnheader(1)
unset multiplot
