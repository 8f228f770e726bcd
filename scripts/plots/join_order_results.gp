# join_order_results.gp: when results arrive (join_order, section order):
# the time to the first and to the last result consumed, joining in spawn
# order or as tasks complete, against N. Series: strategy (colour) and
# metric (circle: first, square: last); points: tasks, median ms, 95% CI.
load 'common.gp'
set logscale x 2
set xlabel 'tasks of varied length (N, log scale)'
set logscale y
set ylabel 'time from the start (ms, log scale)'
plot for [i=1:n] file(i) using (dodge(i, $1)):2:3:4 with yerrorlines @style title columnheader(1)
