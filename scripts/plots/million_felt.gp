# million_felt.gp: ten thousand threads, felt where? (million, section
# felt): the wake-up latency of a ready thread (half a pipe ping-pong round
# trip) against the number of other threads, blocked (they cost memory,
# not scheduling) or runnable (each wants a CPU). Points: other threads,
# median µs (solid) and 95th percentile µs (dashed): every wake-up is a
# sample, and runnable threads show in the tail first.
load 'common.gp'
set logscale x 10
set logscale y
set xlabel 'other threads (log scale)'
set ylabel 'wake-up latency, median and p95 (µs, log scale)'
plot for [i=1:n] file(i) using (dodge(i, $1)):2 with linespoints @style title columnheader(1), \
     for [i=1:n] file(i) using (dodge(i, $1)):3 with linespoints lc rgb color(i) dt 2 pt point(i) lw 1 ps point_size(i) notitle
