# join_order_wall.gp: why spawn all, then join all (join_order, section
# pattern): the wall time for N tasks per strategy, CPU-bound tasks on the
# left, sleeping tasks on the right. Points: tasks, then median ms and its
# 95% CI for cpu, then the same for sleep. Log-log: joining in the loop
# grows as N (slope 1), concurrent strategies stay flat while the cores
# (CPU) or the sleeps (IO) overlap.
load 'common.gp'
unset title
set multiplot layout 1,2 title heading margins 0.08, 0.98, 0.25, 0.81 spacing 0.09, 0
set logscale x 2
set logscale y
set xlabel 'tasks (N, log scale)'
set ylabel 'wall time until all are joined (ms, log)'

set title 'CPU-bound tasks'
set key off
plot for [i=1:n] file(i) using (dodge(i, $1)):2:3:4 with yerrorlines @style notitle

set title 'sleeping tasks'
# One key for both panels, under them both.
set key at screen 0.5, screen 0.03 center bottom horizontal reverse Left
plot for [i=1:n] file(i) using (dodge(i, $1)):5:6:7 with yerrorlines @style title columnheader(1)
unset multiplot
