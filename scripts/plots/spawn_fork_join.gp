# spawn_fork_join.gp: how long a fork-join of T threads takes, per strategy
# (spawn_cost, section fork_join). Series: strategies; points: threads,
# median µs, its 95% CI. Log-log: the strategies differ by decades.
load 'common.gp'
set xlabel 'threads forked and joined (T, log scale)'
set ylabel 'time per fork-join (µs, log scale)'
set logscale x 2
set logscale y
plot for [i=1:n] file(i) using (dodge(i, $1)):2:3:4 with yerrorlines @style title columnheader(1)
