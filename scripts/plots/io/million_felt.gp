# Drawn by plot.py once tlcharts.py takes in tlcharts_io.py (see there).
# million_felt.gp: ten thousand threads, felt where? (million, section
# felt): the wake-up latency of a ready thread (half a pipe ping-pong round
# trip) against the number of other threads, blocked (they cost memory,
# not scheduling) or runnable (each wants a CPU). Points: other threads,
# median µs and its 95% CI.
load 'common.gp'
set logscale x 10
set logscale y
set xlabel 'other threads (log scale)'
set ylabel 'wake-up latency (µs, log scale)'
plot for [i=1:n] file(i) using (dodge(i, $1)):2:3:4 with yerrorlines @style title columnheader(1)
